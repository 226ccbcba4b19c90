"""What the channel tests share, over harness/: the gateway app running with the channel settings' doubles, its
platform webhooks, an injected sleep, and the web channel's chat."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import redis.asyncio

from bot.gateway.parts import Gateway, GatewayOptions
from bot.settings import Settings
from harness.app import FAST, RunningApp, gateway_app, over_asgi
from harness.rasa import FakeRasa

WEBHOOK_SECRET = "test-secret_0123"
ZALO_APP_ID = "1111222233334444"
ZALO_OA_SECRET = "fake-oa-secret-key"
__all__ = ["FAST", "WEBHOOK_SECRET", "ZALO_APP_ID", "ZALO_OA_SECRET", "Running", "Sleeps", "WebChat", "run_gateway"]


@dataclass
class Sleeps:
    """An injected sleep: records every delay and waits only a moment, so backoffs cost no time."""

    delays: list[float] = field(default_factory=list)

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)
        await asyncio.sleep(min(seconds, 0.001))


@dataclass
class WebChat:
    """One conversation on the local web channel as `caunoi chat` holds it: the first message starts it, and the
    id and token the gateway answers with go with every later message and fetch."""

    http: httpx.AsyncClient
    id: str | None = None
    token: str = ""

    async def say(self, **body: Any) -> httpx.Response:
        if self.id is None:
            response = await self.http.post("/webhooks/web", json=body)
            if response.status_code == 200:
                self.id, self.token = response.json()["conversation_id"], response.json()["token"]
            return response
        return await self.http.post("/webhooks/web", json={"conversation_id": self.id, **body}, headers=self.auth)

    async def fetch(self) -> httpx.Response:
        return await self.http.get(f"/webhooks/web/{self.id}/messages", headers=self.auth)

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class Running:
    app: RunningApp
    http: httpx.AsyncClient
    redis: redis.asyncio.Redis

    @property
    def gateway(self) -> Gateway:
        return self.app.gateway

    async def telegram(self, update: dict[str, Any], secret: str | None = WEBHOOK_SECRET) -> httpx.Response:
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
        return await self.http.post("/webhooks/telegram", json=update, headers=headers)

    async def zalo(self, body: bytes, signature: str | None) -> httpx.Response:
        headers = {"content-type": "application/json"}
        if signature is not None:
            headers["X-ZEvent-Signature"] = signature
        return await self.http.post("/webhooks/zalo", content=body, headers=headers)

    def web_chat(self) -> WebChat:
        return WebChat(self.http)

    async def settle(self) -> None:
        """Waits until the gateway has processed everything it queued."""
        await self.app.settle()


@contextlib.asynccontextmanager
async def run_gateway(settings: Settings, rasa: FakeRasa, options: GatewayOptions,
                      client: redis.asyncio.Redis) -> AsyncIterator[Running]:
    async with over_asgi(gateway_app(settings, rasa, options)) as app:
        yield Running(app, app.client(), client)
