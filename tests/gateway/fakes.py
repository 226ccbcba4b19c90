"""A stand-in for Rasa and the action server, recording what the gateway sent; served on a real socket
(tests/channels/fakes.py `served`)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import httpx


@dataclass
class FakeBackends:
    replies: list[dict[str, Any]] = field(default_factory=lambda: [{"recipient_id": "x", "text": "Chào bạn"}])
    rasa_up: bool = True
    actions_up: bool = True
    received: list[dict[str, Any]] = field(default_factory=list)

    def handler(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/health":  # the action server
            if not self.actions_up:
                raise httpx.ConnectError("refused", request=request)
            return httpx.Response(200, json={"status": "ok"})
        if not self.rasa_up:
            raise httpx.ConnectError("refused", request=request)
        if request.url.path == "/status":
            return httpx.Response(200, json={"model_file": "caunoi.tar.gz"})
        if request.url.path == "/webhooks/rest/webhook":
            self.received.append(json.loads(request.content))
            return httpx.Response(200, json=self.replies)
        return httpx.Response(404)
