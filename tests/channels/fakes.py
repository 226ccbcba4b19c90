"""Stand-ins for Rasa (slow, down, recording order and overlap) and Zalo's two APIs.

Each is written as an httpx handler (request -> response). Zalo's is reached through httpx.MockTransport, as the
gateway's Zalo client is httpx; Rasa's is served on a real local socket (`served`), because the gateway reaches
Rasa and the action server over aiohttp (bot/gateway/backends.py) and the tests must run that code.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import parse_qsl

import httpx
from aiohttp import web

from bot.settings import Settings

Replies = Callable[[dict[str, Any]], list[dict[str, Any]]]
Handler = Callable[[httpx.Request], Awaitable[httpx.Response] | httpx.Response]


@contextlib.asynccontextmanager
async def served(handler: Handler, port: int = 0) -> AsyncIterator[str]:
    """`handler` behind a real HTTP server on 127.0.0.1 (`port`, or a free one) in this event loop: its base URL.

    A handler that raises an httpx error (a stand-in's way of saying that no answer comes: down, timed out) has the
    connection dropped without an answer, and the client sees the server go away, as it would.
    """
    async def handle(request: web.BaseRequest) -> web.StreamResponse:
        asked = httpx.Request(request.method, f"http://{request.host}{request.raw_path}",
                              headers=list(request.headers.items()), content=await request.read())
        try:
            answer = handler(asked)
            if inspect.isawaitable(answer):
                answer = await answer
        except httpx.HTTPError:
            assert request.transport is not None
            request.transport.abort()
            return web.Response(status=500)  # never written: aiohttp sees the connection gone and moves on
        return web.Response(status=answer.status_code, body=answer.content,
                            content_type=answer.headers.get("content-type", "application/json").split(";")[0])

    # A stalled answer is cut off when the stand-in stops, not waited for (aiohttp's default: 60 s).
    runner = web.ServerRunner(web.Server(handle, access_log=None), shutdown_timeout=1.0)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        yield f"http://{host}:{port}"
    finally:
        await runner.cleanup()


def backed_by(settings: Settings, url: str) -> Settings:
    """`settings` with Rasa and the action server both at `url` (one stand-in serves both: /health is the action
    server's)."""
    return replace(settings, rasa_url=url, actions_url=url, rasa_urls=())


def echo(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"recipient_id": message["sender"], "text": f"Đã nhận: {message['message']}"}]


@dataclass
class FakeRasa:
    replies: Replies = echo
    delay: float = 0.0
    down: bool = False
    slow: bool = False  # no answer after `delay`, as when CAUNOI_RASA_TIMEOUT ends the call
    received: list[dict[str, Any]] = field(default_factory=list)
    spans: list[tuple[str, str, float, float]] = field(default_factory=list)  # sender, message, start, end

    async def handler(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/health":  # the action server
            return httpx.Response(200, json={"status": "ok"})
        if request.url.path == "/status":
            return httpx.Response(200, json={"model_file": "caunoi.tar.gz"})
        if self.down:
            raise httpx.ConnectError("refused", request=request)
        body = json.loads(request.content)
        started = time.monotonic()
        if self.slow:
            await asyncio.sleep(self.delay)
            raise httpx.ReadTimeout("timed out", request=request)
        self.received.append(body)
        if self.delay:
            await asyncio.sleep(self.delay)
        self.spans.append((body["sender"], body["message"], started, time.monotonic()))
        return httpx.Response(200, json=self.replies(body))

    def messages(self, sender: str | None = None) -> list[str]:
        return [body["message"] for body in self.received if sender is None or body["sender"] == sender]


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
    _issued: int = 1

    async def handler(self, request: httpx.Request) -> httpx.Response:
        headers = {key.lower(): value for key, value in request.headers.items()}
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
