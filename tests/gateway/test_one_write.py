"""bot/gateway/one_write.py: a request's head and body leave in one write, against a real server on a real socket.

The writes are counted where aiohttp hands them to the connection's transport, by the port they go to.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import aiohttp
import pytest
from aiohttp import client_reqrep, web
from aiohttp.http_writer import StreamWriter
from aiohttp.test_utils import TestServer

from bot.gateway import one_write


async def echo(request: web.Request) -> web.Response:
    return web.Response(body=await request.read())


@pytest.fixture
async def server() -> AsyncIterator[TestServer]:
    app = web.Application()
    app.router.add_route("*", "/echo", echo)
    running = TestServer(app, host="127.0.0.1")
    async with running:
        yield running


class Recording:
    """A transport that notes what goes to the server's port, one item per write, and passes everything on."""

    def __init__(self, transport: asyncio.Transport, port: int, sent: list[bytes]):
        self._transport, self._port, self._sent = transport, port, sent

    def write(self, data: bytes) -> None:
        peer = self._transport.get_extra_info("peername")
        if peer is not None and peer[1] == self._port:
            self._sent.append(bytes(data))
        self._transport.write(data)

    def __getattr__(self, name: str) -> object:
        return getattr(self._transport, name)


@pytest.fixture
def writes(server: TestServer, monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """What the client writes to the server's port, one item per write on its transport (whatever the event loop:
    an earlier test may have left uvloop's in place). The server's answers go the other way and are not counted."""
    original = StreamWriter.transport
    sent: list[bytes] = []

    def recording(writer: StreamWriter) -> object:
        transport = original.fget(writer)  # type: ignore[attr-defined]
        return None if transport is None else Recording(transport, server.port or 0, sent)

    monkeypatch.setattr(StreamWriter, "transport", property(recording))
    return sent


async def ask(server: TestServer, make: Callable[[aiohttp.BaseConnector], aiohttp.ClientSession], method: str,
              body: bytes | None = None, **options: object) -> bytes:
    async with make(aiohttp.TCPConnector()) as session:
        async with session.request(method, str(server.make_url("/echo")), data=body, **options) as response:
            assert response.status == 200
            return await response.read()


def plain(connector: aiohttp.BaseConnector) -> aiohttp.ClientSession:
    return aiohttp.ClientSession(connector=connector)


def test_this_aiohttp_is_the_one_the_swap_was_written_for() -> None:
    # A new aiohttp may no longer split requests, or split them differently: recheck bot/gateway/one_write.py then.
    assert one_write.SUPPORTED, f"aiohttp {aiohttp.__version__}: bot/gateway/one_write.py changes nothing on it"


async def test_a_request_with_a_body_leaves_in_one_write(server: TestServer, writes: list[bytes]) -> None:
    body = '{"sender": "tg:1", "message": "xin chào"}'.encode()
    assert await ask(server, one_write.session, "POST", body) == body
    assert len(writes) == 1
    assert writes[0].startswith(b"POST /echo HTTP/1.1\r\n") and writes[0].endswith(b"\r\n\r\n" + body)


async def test_a_request_without_a_body_leaves_in_one_write(server: TestServer, writes: list[bytes]) -> None:
    assert await ask(server, one_write.session, "GET") == b""
    assert len(writes) == 1 and writes[0].startswith(b"GET /echo HTTP/1.1\r\n")


async def test_aiohttp_alone_writes_head_and_body_apart(server: TestServer, writes: list[bytes],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    # What the module is for: without it the same request takes two writes.
    monkeypatch.setattr(client_reqrep, "StreamWriter", StreamWriter)  # what aiohttp has without the swap
    await ask(server, plain, "POST", b'{"a": 1}')
    assert len(writes) == 2 and writes[1] == b'{"a": 1}'


async def test_a_request_expecting_100_continue_sends_its_head_first(server: TestServer,
                                                                     writes: list[bytes]) -> None:
    # The server must see the head to answer "100 Continue" before any of the body is sent.
    assert await ask(server, one_write.session, "POST", b"abc", expect100=True) == b"abc"
    assert len(writes) == 2 and writes[0].endswith(b"\r\n\r\n") and writes[1] == b"abc"
