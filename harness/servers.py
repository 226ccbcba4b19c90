"""An ASGI app of the harness on a real port of this machine: in a thread of its own (the doubles, so that a
synchronous test or a subprocess can reach them), or in the running event loop (the gateway app, whose SSE streams
and browser pages need a real server but whose parts a test inspects from its own loop). And a plain aiohttp handler
served from the running loop (`answering`), for a double that must also be able to drop a connection without an
answer (`dropped`), which an ASGI app cannot: a server that is down or stops answering, as the client sees it."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, Literal

import uvicorn
from aiohttp import web

from bot.state.store import free_port
from harness.wait import until, until_async


def config(app: Any, port: int, lifespan: Literal["on", "off"] = "off") -> uvicorn.Config:
    return uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan=lifespan,
                          access_log=False, timeout_graceful_shutdown=1, ws="none", loop="asyncio")


class InThread:
    """`app` served by uvicorn from a daemon thread, on a free port (or `port`), until `stop()`."""

    def __init__(self, app: Any, name: str, port: int | None = None) -> None:
        self.name = name
        self.port = port or free_port()
        self._server = uvicorn.Server(config(app, self.port))
        self._thread = threading.Thread(target=self._server.run, name=name, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self._thread.start()
        until(lambda: self._server.started, 10, f"{self.name} to start", every=0.01,
              stop=lambda: None if self._thread.is_alive() else f"{self.name}'s server thread ended")

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=5)


@contextlib.asynccontextmanager
async def in_this_loop(app: Any, name: str) -> AsyncIterator[str]:
    """`app` served, with its lifespan, from a task of the running loop; yields its base URL."""
    port = free_port()
    server = uvicorn.Server(config(app, port, lifespan="on"))
    task = asyncio.create_task(server.serve())
    try:
        await until_async(lambda: server.started, 5, f"{name} to start",
                          stop=lambda: f"{name}'s server stopped" if task.done() else None)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 10)


Handler = Callable[[web.BaseRequest], Awaitable[web.StreamResponse]]


@contextlib.asynccontextmanager
async def answering(handler: Handler, port: int = 0) -> AsyncIterator[str]:
    """`handler` on `port` (or a free one) of 127.0.0.1, served from the running event loop until the block ends;
    yields the base URL. A request still being answered then is cut off after a second, not waited for."""
    runner = web.ServerRunner(web.Server(handler, access_log=None), shutdown_timeout=1.0)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    host, bound = runner.addresses[0][:2]
    try:
        yield f"http://{host}:{bound}"
    finally:
        await runner.cleanup()


def dropped(request: web.BaseRequest) -> web.Response:
    """What a handler returns to drop the connection without an answer (the client sees the server go away)."""
    assert request.transport is not None
    request.transport.abort()
    return web.Response(status=500)  # never written: aiohttp sees the connection gone and moves on
