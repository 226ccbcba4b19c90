"""What the console tests share, over harness/: the gateway app (bot/app.py, console included) with short timings,
the console's tracker calls going to the same fake Rasa, and operators logging in with clients of their own."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
from argon2 import PasswordHasher
from starlette.applications import Starlette

from bot.console import ConsoleOptions, ConsoleServices
from bot.console.operators import Operator, OperatorStore
from bot.gateway.delivery import RetryPolicy
from bot.gateway.inbox import InboxOptions
from bot.gateway.parts import GatewayOptions
from bot.settings import Settings
from harness import app as harness_app
from harness.app import FAST, RunningApp, gateway_app
from harness.rasa import FakeRasa

CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)  # tests only
PASSWORD = "mat-khau-rat-dai-1"


def gateway_options() -> GatewayOptions:
    return GatewayOptions(retry=RetryPolicy(attempts=2, base_delay=0.01, max_delay=0.02), telegram_limits=FAST,
                          zalo_limits=FAST, inbox=InboxOptions(lock_ttl=5.0, sweep_interval=0.05, shutdown_grace=2.0),
                          telegram_timeout=2.0)


def console_app(settings: Settings, rasa: FakeRasa, options: ConsoleOptions | None = None,
                gateway_opts: GatewayOptions | None = None) -> Starlette:
    """`gateway_opts`: the gateway's options when a test needs more than `gateway_options()` (a Zalo double)."""
    return gateway_app(settings, rasa, gateway_opts or gateway_options(),
                       options or ConsoleOptions(hasher=CHEAP_HASHER, heartbeat_seconds=0.5, sweep_seconds=3600))


class Console(RunningApp):
    @property
    def services(self) -> ConsoleServices:
        return self.console

    async def operator(self, username: str, role: str = "operator", alias: str = "", org: str = "") -> Operator:
        store = OperatorStore(self.gateway.redis, self.gateway.settings.secret_key, CHEAP_HASHER)
        return await store.add(username, role, PASSWORD, alias, org=org)

    async def login(self, username: str, role: str = "operator", alias: str = "", org: str = "") -> Session:
        """A new operator (a partner: of `org`), logged in with a client of their own."""
        await self.operator(username, role, alias, org)
        http = self.client()
        response = await http.post("/api/login", json={"username": username, "password": PASSWORD})
        assert response.status_code == 200, response.text
        return Session(http, response.json()["csrf_token"], username)


@dataclass
class Session:
    http: httpx.AsyncClient
    csrf: str
    username: str

    async def post(self, path: str, body: dict[str, Any] | None = None, csrf: bool = True) -> httpx.Response:
        headers = {"X-CSRF-Token": self.csrf} if csrf else {}
        return await self.http.post(path, json=body or {}, headers=headers)

    async def get(self, path: str) -> httpx.Response:
        return await self.http.get(path)


@contextlib.asynccontextmanager
async def over_asgi(app: Starlette) -> AsyncIterator[Console]:
    async with harness_app.over_asgi(app, Console, "http://console.test") as console:
        yield console


@contextlib.asynccontextmanager
async def over_http(app: Starlette) -> AsyncIterator[Console]:
    """A real server (SSE streams and the browser need one), in this event loop."""
    async with harness_app.over_http(app, Console) as console:
        yield console
