"""aiohttp client sessions whose requests leave in one write: head and body together.

aiohttp 3.9 (the line Rasa 3.6 pins) writes a request's head at once and its body from a task of its own, a turn
of the event loop later. Between two processes on one machine the server then wakes up twice per request, and the
second time only after the client's loop has got round to the body: ~0.1 ms more per request at p50 and ~0.2-0.3 ms
at p95 on the 2-core bench machine with nothing else running (a local uvicorn app, 2,800 POSTs each way), more
when the client's loop is busy. Every turn makes one such request to Rasa and one to the Bot API per reply.

Here the head waits for the body's first bytes (or the request's end) and goes out with them. A request that
expects `100 Continue` still sends its head at once: the server must answer it before the body is sent.

aiohttp builds its writer inside `ClientRequest.send` with no way to pass another, so `install` swaps the class
that module uses, for every aiohttp client in the process. It relies on private parts of aiohttp 3.9
(`StreamWriter._write`, `_on_headers_sent`, `_serialize_headers`); on any other aiohttp it changes nothing and
requests go out as aiohttp writes them. tests/gateway/test_one_write.py says which it is.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import aiohttp
from aiohttp import client_reqrep, hdrs, http_writer
from aiohttp.http_writer import StreamWriter

_serialize_head: Callable[[str, Any], bytes] | None = getattr(http_writer, "_serialize_headers", None)
SUPPORTED = aiohttp.__version__.startswith("3.9.") and _serialize_head is not None


class HeadWithBody(StreamWriter):
    """A request writer that holds the head until the first write after it."""

    _head = b""

    async def write_headers(self, status_line: str, headers: Any) -> None:
        if self._on_headers_sent is not None:
            await self._on_headers_sent(headers)
        assert _serialize_head is not None
        head = _serialize_head(status_line, headers)
        if hdrs.EXPECT in headers:
            self._write(head)
        else:
            self._head = head

    def _write(self, chunk: bytes) -> None:
        if self._head:
            chunk, self._head = self._head + chunk, b""
        super()._write(chunk)

    async def write_eof(self, chunk: bytes = b"") -> None:
        if self._head and not chunk:  # no body at all: the head alone
            self._write(b"")
        await super().write_eof(chunk)


def install() -> bool:
    """Makes every aiohttp client request of this process leave in one write; False where not supported."""
    if SUPPORTED:
        client_reqrep.StreamWriter = HeadWithBody  # type: ignore[attr-defined]
    return SUPPORTED


def session(connector: aiohttp.BaseConnector, **options: Any) -> aiohttp.ClientSession:
    """An aiohttp client session whose requests leave in one write (where this aiohttp allows it)."""
    install()
    return aiohttp.ClientSession(connector=connector, **options)
