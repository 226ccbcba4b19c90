"""A small gateway app for the console tests: the real gateway pieces (Gateway, Telegram and web webhooks) with the
console's routes and services mounted next to them, as bot/app.py will; reached over ASGI or a real uvicorn server."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

import httpx
import uvicorn
from argon2 import PasswordHasher
from asgi_lifespan import LifespanManager
from starlette.applications import Starlette
from starlette.routing import Route

from bot import app as gateway_app
from bot.console import ConsoleOptions, ConsoleServices, create_console_routes
from bot.console.operators import Operator, OperatorStore
from bot.gateway.delivery import Limits, RetryPolicy
from bot.gateway.inbox import InboxOptions
from bot.gateway.parts import Gateway, GatewayOptions
from bot.settings import Settings
from bot.state.ratelimit import Rate
from bot.state.store import free_port

CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)  # tests only
PASSWORD = "mat-khau-rat-dai-1"
FAST = Limits(Rate(10_000.0, burst=100), Rate(10_000.0, burst=100))
_TRACKER_EVENTS = re.compile(r"/conversations/([^/]+)/tracker/events")
_TRACKER = re.compile(r"/conversations/([^/]+)/tracker")


@dataclass
class FakeRasa:
    """Rasa's REST channel (echoes) and the HTTP API parts the console uses (tracker slots, tracker events)."""

    received: list[dict[str, Any]] = field(default_factory=list)
    tracker_events: list[tuple[str, Any, dict[str, str]]] = field(default_factory=list)
    slots: dict[str, dict[str, Any]] = field(default_factory=dict)

    async def handler(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if request.url.port == 5055 or path == "/status":
            return httpx.Response(200, json={"status": "ok"})
        if path == "/webhooks/rest/webhook":
            body = json.loads(request.content)
            self.received.append(body)
            return httpx.Response(200, json=[{"recipient_id": body["sender"], "text": "Bot đã nhận tin nhắn."}])
        found = _TRACKER_EVENTS.fullmatch(path)
        if found and request.method == "POST":
            self.tracker_events.append((unquote(found[1]), json.loads(request.content), dict(request.url.params)))
            return httpx.Response(200, json={})
        found = _TRACKER.fullmatch(path)
        if found:
            return httpx.Response(200, json={"sender_id": unquote(found[1]), "slots": self.slots.get(unquote(found[1]),
                                                                                                     {})})
        return httpx.Response(404)

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handler)

    def messages(self, sender: str) -> list[str]:
        return [body["message"] for body in self.received if body["sender"] == sender]


def gateway_options() -> GatewayOptions:
    return GatewayOptions(retry=RetryPolicy(attempts=2, base_delay=0.01, max_delay=0.02), telegram_limits=FAST,
                          zalo_limits=FAST, inbox=InboxOptions(lock_ttl=5.0, sweep_interval=0.05, shutdown_grace=2.0),
                          telegram_timeout=2.0)


def console_app(settings: Settings, rasa: FakeRasa, options: ConsoleOptions | None = None,
                gateway_opts: GatewayOptions | None = None) -> Starlette:
    """`gateway_opts`: the gateway's options when a test needs more than `gateway_options()` (a Zalo double)."""
    options = options or ConsoleOptions(hasher=CHEAP_HASHER, heartbeat_seconds=0.5, sweep_seconds=3600)
    options = ConsoleOptions(**{**options.__dict__, "rasa_transport": rasa.transport()})

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with Gateway.running(settings, rasa.transport(), gateway_opts or gateway_options()) as gateway, \
                ConsoleServices.running(settings, gateway, options) as console:
            app.state.gateway = gateway
            app.state.console = console
            yield

    routes = [
        Route("/webhooks/telegram", gateway_app.telegram_webhook, methods=["POST"]),
        Route("/webhooks/web", gateway_app.web_message, methods=["POST"]),
        *create_console_routes(),
    ]
    return Starlette(routes=routes, lifespan=lifespan)


@dataclass
class Console:
    app: Starlette
    base_url: str
    transport: httpx.AsyncBaseTransport | None
    clients: list[httpx.AsyncClient] = field(default_factory=list)

    @property
    def services(self) -> ConsoleServices:
        services: ConsoleServices = self.app.state.console
        return services

    @property
    def gateway(self) -> Gateway:
        gateway: Gateway = self.app.state.gateway
        return gateway

    def client(self) -> httpx.AsyncClient:
        client = httpx.AsyncClient(transport=self.transport, base_url=self.base_url, timeout=10.0)
        self.clients.append(client)
        return client

    async def aclose(self) -> None:
        for client in self.clients:
            await client.aclose()

    async def operator(self, username: str, role: str = "operator", alias: str = "") -> Operator:
        store = OperatorStore(self.gateway.redis, self.gateway.settings.secret_key, CHEAP_HASHER)
        return await store.add(username, role, PASSWORD, alias)

    async def login(self, username: str, role: str = "operator", alias: str = "") -> Session:
        """A new operator, logged in with a client of their own."""
        await self.operator(username, role, alias)
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
    async with LifespanManager(app):
        console = Console(app, "http://console.test", httpx.ASGITransport(app=app))
        try:
            yield console
        finally:
            await console.aclose()


@contextlib.asynccontextmanager
async def over_http(app: Starlette) -> AsyncIterator[Console]:
    """A real server (SSE streams and the browser need one), in this event loop."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on", ws="none",
                            loop="asyncio", access_log=False, timeout_graceful_shutdown=1)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    for _ in range(500):
        if server.started or task.done():
            break
        await asyncio.sleep(0.01)
    assert server.started, "the console test server did not start"
    console = Console(app, f"http://127.0.0.1:{port}", None)
    try:
        yield console
    finally:
        await console.aclose()
        server.should_exit = True
        await asyncio.wait_for(task, 10)
