"""The gateway app in this process: bot/app.py's `create_app` (webhooks, console, middleware, the lifespan that
builds every part), with a fake Rasa served on a real port for its Rasa client, its action server check and the
console's tracker calls (they go over the network as in production). Reached over ASGI, or on a real port of this
machine (SSE streams and a browser need one); either way a test reaches the running parts (`gateway`, `console`)
from its own event loop.

    async with over_asgi(gateway_app(settings, FakeRasa(), options)) as app:
        await app.client().post("/webhooks/telegram", json=update, headers=...)
        await app.settle()
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import TypeVar

import httpx
from asgi_lifespan import LifespanManager
from starlette.applications import Starlette

from bot.app import create_app
from bot.console import ConsoleOptions, ConsoleServices
from bot.gateway.delivery import Limits
from bot.gateway.parts import Gateway, GatewayOptions
from bot.settings import Settings
from bot.state import keys
from bot.state.ratelimit import Rate
from bot.state.store import free_port
from harness.rasa import FakeRasa, backed_by
from harness.servers import in_this_loop
from harness.wait import GaveUp, until_async

Handle = TypeVar("Handle", bound="RunningApp")
FAST = Limits(Rate(10_000.0, burst=100), Rate(10_000.0, burst=100))  # no platform rate limit to wait for


def gateway_app(settings: Settings, rasa: FakeRasa | None = None, options: GatewayOptions | None = None,
                console: ConsoleOptions | None = None) -> Starlette:
    """The app, with `rasa` (when given) served from the app's own lifespan, in its event loop, before the gateway
    starts, at the URLs the app's settings name."""
    if rasa is None:
        return create_app(settings, options=options, console=console)
    port = free_port()
    app = create_app(backed_by(settings, f"http://127.0.0.1:{port}"), options=options, console=console)
    product = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(running: Starlette) -> AsyncIterator[None]:
        async with rasa.serving(port), product(running):
            yield

    app.router.lifespan_context = lifespan
    return app


@dataclass
class RunningApp:
    app: Starlette
    base_url: str
    transport: httpx.AsyncBaseTransport | None  # None: a real server at base_url
    clients: list[httpx.AsyncClient] = field(default_factory=list)

    @property
    def gateway(self) -> Gateway:
        gateway: Gateway = self.app.state.gateway
        return gateway

    @property
    def console(self) -> ConsoleServices:
        console: ConsoleServices = self.app.state.console
        return console

    def client(self, peer: tuple[str, int] | None = None) -> httpx.AsyncClient:
        """A client of its own (its own cookies), closed with the app; over ASGI, `peer` is the address the app
        sees the request come from."""
        transport = self.transport
        if peer is not None:
            assert isinstance(transport, httpx.ASGITransport), "a real server sees this machine's own address"
            transport = httpx.ASGITransport(app=self.app, client=peer)
        client = httpx.AsyncClient(transport=transport, base_url=self.base_url, timeout=10.0)
        self.clients.append(client)
        return client

    async def aclose(self) -> None:
        for client in self.clients:
            await client.aclose()

    async def settle(self, timeout: float = 10.0) -> None:
        await settle(self, timeout=timeout)


async def settle(*apps: RunningApp, timeout: float = 10.0) -> None:
    """Until the gateways (workers sharing one Redis) have processed everything they accepted."""
    async def drained() -> bool:
        for running in apps:
            await running.gateway.worker.idle()
        return not await apps[0].gateway.inbox.pending()

    try:
        await until_async(drained, timeout, "the inbox to drain")
    except GaveUp as error:
        redis, pending = apps[0].gateway.redis, await apps[0].gateway.inbox.pending()
        locks = {c: await redis.pttl(keys.inbox_lock(c)) for c in pending}
        lengths = {c: await redis.llen(keys.inbox(c)) for c in pending}
        active = [running.gateway.worker._active for running in apps]
        raise GaveUp(f"the inbox did not drain: locks {locks} lengths {lengths} active {active}") from error


@contextlib.asynccontextmanager
async def over_asgi(app: Starlette, handle: type[Handle] = RunningApp,  # type: ignore[assignment]
                    base_url: str = "http://gateway") -> AsyncIterator[Handle]:
    """Reached over ASGI, its lifespan run here; `handle` is the class the caller wants it as. The first start in a
    test run loads the content and the models' tables: on a busy machine that takes longer than asgi-lifespan's 5 s."""
    async with LifespanManager(app, startup_timeout=60):
        running = handle(app, base_url, httpx.ASGITransport(app=app))
        try:
            yield running
        finally:
            await running.aclose()


@contextlib.asynccontextmanager
async def over_http(app: Starlette, handle: type[Handle] = RunningApp) -> AsyncIterator[Handle]:  # type: ignore[assignment]
    """On a real port, served from this event loop."""
    async with in_this_loop(app, "the gateway app") as base_url:
        running = handle(app, base_url, None)
        try:
            yield running
        finally:
            await running.aclose()
