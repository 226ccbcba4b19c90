"""Zalo's two APIs (the OA message API and the OAuth server) behind httpx.MockTransport. The fake Rasa and the
Telegram Bot API double are in harness/."""

from __future__ import annotations

import asyncio
import json
from collections import deque
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import httpx


@dataclass
class ZaloRequest:
    url: str
    headers: dict[str, str]
    json: dict[str, Any] | None
    form: dict[str, str] | None


@dataclass
class FakeZalo:
    """The OA message API and the OAuth server. `errors` are Zalo error codes for the next sends (0 = success)."""

    errors: deque[int] = field(default_factory=deque)
    statuses: deque[int] = field(default_factory=deque)  # HTTP statuses for the next sends
    valid_tokens: set[str] = field(default_factory=lambda: {"fake-access-1"})
    refresh_delay: float = 0.0
    sends: list[ZaloRequest] = field(default_factory=list)
    refreshes: list[ZaloRequest] = field(default_factory=list)
    files: dict[str, bytes] = field(default_factory=dict)  # attachment URL -> content, as Zalo's CDN serves it
    downloads: list[str] = field(default_factory=list)
    _issued: int = 1

    async def handler(self, request: httpx.Request) -> httpx.Response:
        headers = {key.lower(): value for key, value in request.headers.items()}
        if request.method == "GET":  # an attachment's download from the CDN
            self.downloads.append(str(request.url))
            content = self.files.get(str(request.url))
            return httpx.Response(200, content=content) if content is not None else httpx.Response(404)
        if request.url.host == "oauth.zalo.test":
            form = dict(parse_qsl(request.content.decode()))
            self.refreshes.append(ZaloRequest(str(request.url), headers, None, form))
            if self.refresh_delay:
                await asyncio.sleep(self.refresh_delay)
            if request.url.path != "/v4/oa/access_token" or headers.get("secret_key") != "fake-app-secret":
                return httpx.Response(200, json={"error": -14014, "error_name": "Invalid secret key"})
            if form.get("refresh_token") != f"fake-refresh-{self._issued}":
                return httpx.Response(200, json={"error": -14020, "error_name": "Invalid refresh token"})
            self._issued += 1
            self.valid_tokens = {f"fake-access-{self._issued}"}
            return httpx.Response(200, json={"access_token": f"fake-access-{self._issued}",
                                             "refresh_token": f"fake-refresh-{self._issued}", "expires_in": "90000"})
        body = json.loads(request.content)
        self.sends.append(ZaloRequest(str(request.url), headers, body, None))
        if self.statuses:
            return httpx.Response(self.statuses.popleft(), json={"error": -1, "message": "server error"})
        if headers.get("access_token") not in self.valid_tokens:
            return httpx.Response(200, json={"error": -216, "message": "Access token is invalid"})
        error = self.errors.popleft() if self.errors else 0
        if error:
            return httpx.Response(200, json={"error": error, "message": "failed"})
        return httpx.Response(200, json={"error": 0, "message": "Success", "data": {"message_id": "m-out-1",
                                                                                    "user_id": "fake"}})

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handler)

    def texts(self) -> list[str]:
        return [request.json["message"]["text"] for request in self.sends
                if request.json is not None and request.json.get("message")]
