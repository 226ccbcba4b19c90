"""python-telegram-bot's Bot API calls over aiohttp instead of httpx.

python-telegram-bot's HTTP layer is pluggable (`telegram.request.BaseRequest`); its default is httpx. On the 2-core
bench machine an httpx request to a local server costs ~3.4 ms of CPU and an aiohttp one ~1.0 ms (the same
server, 1,000 requests each), and the gateway makes a Bot API call for every reply it sends: that CPU is most of
what the gateway adds to a turn (reports/bench.md). aiohttp is already installed: Rasa depends on it.

Behaviour is python-telegram-bot's: the same timeouts (connect, read, pool; aiohttp has no write timeout, so the
four together bound the whole call), `TimedOut` for a timeout and `NetworkError` for anything else on the wire,
whose message names the error's type only, never a URL (the Bot API's URLs hold the bot token). Idle connections
are closed after `KEEPALIVE_SECONDS`, below the 5 s after which uvicorn and Sanic (a local Bot API server, the
test double) close theirs: a request never goes out on a connection the server is closing.
"""

from __future__ import annotations

import asyncio
from urllib.parse import urlencode

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram.error import NetworkError, TelegramError, TimedOut
from telegram.request import BaseRequest, RequestData

KEEPALIVE_SECONDS = 4.0
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


class AiohttpRequest(BaseRequest):
    def __init__(self, *, connect_timeout: float, read_timeout: float, write_timeout: float, pool_timeout: float,
                 pool_size: int = 256):
        self._timeouts = {"connect": connect_timeout, "read": read_timeout, "write": write_timeout,
                          "pool": pool_timeout}
        self._pool_size = pool_size
        self._session: aiohttp.ClientSession | None = None
        self._ready = False

    @property
    def read_timeout(self) -> float:
        return self._timeouts["read"]

    async def initialize(self) -> None:
        """Ready for calls; the connection pool itself opens with the first call (a request never used, such as
        the one for getUpdates in the gateway, holds nothing)."""
        self._ready = True

    async def shutdown(self) -> None:
        self._ready = False
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    def _open(self) -> aiohttp.ClientSession:
        if not self._ready:
            raise RuntimeError("AiohttpRequest is not initialized")
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._pool_size, keepalive_timeout=KEEPALIVE_SECONDS)
            self._session = aiohttp.ClientSession(connector=connector, headers={"User-Agent": self.USER_AGENT})
        return self._session

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: float | object | None = BaseRequest.DEFAULT_NONE,
        write_timeout: float | object | None = BaseRequest.DEFAULT_NONE,
        connect_timeout: float | object | None = BaseRequest.DEFAULT_NONE,
        pool_timeout: float | object | None = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        session = self._open()
        read, write, connect, pool = (self._chosen(name, value) for name, value in (
            ("read", read_timeout), ("write", write_timeout), ("connect", connect_timeout), ("pool", pool_timeout)))
        limits = [seconds for seconds in (read, write, connect, pool) if seconds is not None]
        timeout = aiohttp.ClientTimeout(
            total=sum(limits) if len(limits) == 4 else None,
            connect=None if connect is None or pool is None else connect + pool,  # waiting for the pool, then TCP
            sock_connect=connect, sock_read=read)
        body = _body(request_data)
        try:
            async with session.request(method, url, data=body, headers=FORM if body is not None else None,
                                       timeout=timeout) as response:
                return response.status, await response.read()
        except asyncio.TimeoutError as error:
            raise TimedOut from error
        except aiohttp.ClientError as error:
            raise NetworkError(f"aiohttp.{type(error).__name__}") from error

    def _chosen(self, name: str, value: float | object | None) -> float | None:
        """The call's own timeout, or this request's default when the call left it unset (any of
        python-telegram-bot's default markers, as its own httpx request reads them)."""
        if isinstance(value, DefaultValue):
            return self._timeouts[name]
        return value if isinstance(value, (int, float)) else None


def _body(request_data: RequestData | None) -> bytes | None:
    """The parameters as a urlencoded form, as python-telegram-bot sends them; encoded here, not by aiohttp's form
    builder, which costs ~0.1 ms more CPU per call. The gateway sends text only: an upload (multipart) is refused
    rather than sent untested."""
    if request_data is None:
        return None
    if request_data.contains_files:
        raise TelegramError("file uploads are not supported by the gateway's Bot API client")
    return urlencode(request_data.json_parameters).encode()
