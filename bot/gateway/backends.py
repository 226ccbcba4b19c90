"""HTTP calls to the servers behind the gateway (Rasa, the action server), over aiohttp.

On the 2-core bench machine an aiohttp request to a local server costs ~1.0 ms of CPU and an httpx one ~3.4 ms
(1,000 requests each, same server): every turn calls Rasa once, so this is time before the person's answer.
Tests reach this code as production does: a real local server on a real socket (tests/gateway/test_backends.py;
the gateway's doubles of Rasa and the action server are served the same way, and tests/stack and tests/faults run
the real ones).

Two failures, because the caller treats them differently: `NotReached` (the connection was refused: the server
never saw the request, so another server may take it) and `Failed` (anything after that: the server may still be
working on it). Both carry the underlying error's type name only, never a URL.
"""

from __future__ import annotations

import asyncio
import json as jsonlib
from dataclasses import dataclass
from typing import Any

import aiohttp


class NotReached(Exception):
    """The request never reached the server (connection refused or the host unknown)."""


class Failed(Exception):
    """The request was sent but no usable answer came back (timeout, connection reset…)."""


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes

    def json(self) -> Any:
        """The body as JSON; ValueError when it is not."""
        return jsonlib.loads(self.body)


class BackendSession:
    """One pool of connections to the backends. `keepalive`: seconds an idle connection is kept; below the server's
    own keep-alive (5 s for Sanic's default, the action server; Rasa's is 120 s) so that no request goes out on a
    connection the server is closing."""

    def __init__(self, connect_timeout: float, keepalive: float, pool_size: int = 256):
        self._connect_timeout = connect_timeout
        self._keepalive = keepalive
        self._pool_size = pool_size
        self._session: aiohttp.ClientSession | None = None

    def _open(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:  # opened on first use: it needs the running loop
            connector = aiohttp.TCPConnector(limit=self._pool_size, keepalive_timeout=self._keepalive)
            self._session = aiohttp.ClientSession(connector=connector)
        return self._session

    async def request(self, method: str, url: str, *, timeout: float, json: Any = None,
                      params: dict[str, str] | None = None, headers: dict[str, str] | None = None) -> Answer:
        limit = aiohttp.ClientTimeout(total=timeout, sock_connect=min(self._connect_timeout, timeout))
        try:
            async with self._open().request(method, url, json=json, params=params, headers=headers,
                                             timeout=limit) as response:
                return Answer(response.status, await response.read())
        except aiohttp.ClientConnectorError as error:  # refused, unresolvable: nothing was sent
            raise NotReached(type(error).__name__) from None
        except asyncio.TimeoutError:  # aiohttp's own timeouts are asyncio's too
            raise Failed("Timeout") from None
        except aiohttp.ClientError as error:
            raise Failed(type(error).__name__) from None

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
