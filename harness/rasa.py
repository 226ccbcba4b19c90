"""The fake Rasa: its REST channel, the parts of its HTTP API the gateway and the console use (/status, a tracker's
slots, appending tracker events), and the action server's health check.

One fake on a real port, reached as the real servers are (the gateway's Rasa client is aiohttp, bot/gateway/
backends.py): `serving()` from the test's own event loop, for a gateway in this process (what a Rasa that is down
or slow does: the connection drops without an answer), or `start()` from a thread, for a gateway in another
process. Either way /health answers for the action server, so one URL is both CAUNOI_RASA_URL and
CAUNOI_ACTIONS_URL (`backed_by`).

What a test can set: the replies (a list, or a function of the turn, which may be a coroutine), how long a turn
takes (`delay`, plus up to `jitter` at random, so that turns of different conversations overlap), Rasa or the action
server refusing connections, turns ending in a read timeout, and turns that fail by their text (`failures`).
Everything asked is recorded: the turns (`received`, as they arrive), when each ran (`spans`), tracker events.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import random
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import unquote

from aiohttp import web
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.settings import Settings
from harness.servers import InThread, answering, dropped

Turn = dict[str, Any]  # what the gateway posts to the REST channel: sender, message, input_channel, metadata
Reply = dict[str, Any]
Replies = Callable[[Turn], list[Reply] | Awaitable[list[Reply]]]
_TRACKER_EVENTS = re.compile(r"/conversations/([^/]+)/tracker/events")
_TRACKER = re.compile(r"/conversations/([^/]+)/tracker")


def echo(turn: Turn) -> list[Reply]:
    return [{"recipient_id": turn["sender"], "text": f"Đã nhận: {turn['message']}"}]


@dataclass(frozen=True)
class Failure:
    """What Rasa does with a turn instead of answering it: wait `pause` seconds first, then answer with `status`
    (or 200 with `body`, a page that is not Rasa's JSON). A pause alone is a slow but normal answer."""

    pause: float = 0.0
    status: int = 200
    body: str | None = None


class Refused(Exception):
    """Rasa (or the action server) is down: served, the connection drops without an answer."""


class TimedOut(Exception):
    """The client stopped waiting: served, the connection drops after the pause."""


def backed_by(settings: Settings, url: str) -> Settings:
    """`settings` with Rasa and the action server both at `url` (a served fake)."""
    return replace(settings, rasa_url=url, actions_url=url, rasa_urls=())


@dataclass
class Answer:
    status: int
    body: Any  # JSON, or a str sent as it is


@dataclass
class FakeRasa:
    replies: Replies | list[Reply] = echo
    delay: float = 0.0
    jitter: float = 0.0
    down: bool = False  # Rasa refuses every connection, /status too
    slow: bool = False  # no answer to a turn after `delay`, as when CAUNOI_RASA_TIMEOUT ends the call
    actions_down: bool = False
    failures: dict[str, Failure] = field(default_factory=dict)  # by the turn's text
    token: str | None = None  # when set, the HTTP API (/status, trackers) wants it as ?token=, as Rasa's does
    received: list[Turn] = field(default_factory=list)
    spans: list[tuple[str, str, float, float]] = field(default_factory=list)  # sender, message, start, end
    tracker_events: list[tuple[str, Any, dict[str, str]]] = field(default_factory=list)  # conversation, body, query
    slots: dict[str, dict[str, Any]] = field(default_factory=dict)  # what a conversation's tracker holds
    _server: InThread | None = None

    def messages(self, sender: str | None = None) -> list[str]:
        return [turn["message"] for turn in self.received if sender is None or turn["sender"] == sender]

    async def answer(self, method: str, path: str, query: dict[str, str], body: bytes, actions: bool) -> Answer:
        if actions:
            if self.actions_down:
                raise Refused
            return Answer(200, {"status": "ok"})
        if self.down:
            raise Refused
        if path == "/webhooks/rest/webhook" and method == "POST":
            return await self._turn(json.loads(body))
        if self.token is not None and query.get("token") != self.token:
            return Answer(401, {"message": "User is not authenticated."})
        if path == "/status":
            return Answer(200, {"model_file": "caunoi.tar.gz"})
        found = _TRACKER_EVENTS.fullmatch(path)
        if found and method == "POST":
            self.tracker_events.append((unquote(found[1]), json.loads(body), query))
            return Answer(200, {})
        found = _TRACKER.fullmatch(path)
        if found:
            sender = unquote(found[1])
            return Answer(200, {"sender_id": sender, "slots": self.slots.get(sender, {})})
        return Answer(404, {"message": "not found"})

    async def _turn(self, turn: Turn) -> Answer:
        started = time.monotonic()
        if self.slow:
            await asyncio.sleep(self.delay)
            raise TimedOut
        self.received.append(turn)
        failure = self.failures.get(turn["message"], Failure())
        pause = self.delay + random.uniform(0.0, self.jitter) + failure.pause
        if pause:
            await asyncio.sleep(pause)
        if failure.status != 200 or failure.body is not None:
            return Answer(failure.status, failure.body if failure.body is not None else "boom")
        if isinstance(self.replies, list):
            replies = self.replies
        else:
            produced = self.replies(turn)
            replies = await produced if inspect.isawaitable(produced) else produced
        self.spans.append((turn["sender"], turn["message"], started, time.monotonic()))
        return Answer(200, replies)

    # -- served from this event loop ---------------------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def serving(self, port: int = 0) -> AsyncIterator[str]:
        """Serves the fake on `port` (or a free one) from the running event loop until the block ends; yields its
        URL. Replies that are coroutines run in this loop, with the test's own clients."""
        async with answering(self._aiohttp, port) as url:
            yield url

    async def _aiohttp(self, request: web.BaseRequest) -> web.StreamResponse:
        try:
            answer = await self.answer(request.method, request.path, dict(request.query), await request.read(),
                                       actions=request.path == "/health")
        except (Refused, TimedOut):
            return dropped(request)
        if isinstance(answer.body, str):
            return web.Response(status=answer.status, text=answer.body, content_type="text/html")
        return web.Response(status=answer.status, body=JSONResponse(answer.body).body, content_type="application/json")

    # -- on a real port ---------------------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """CAUNOI_RASA_URL (and CAUNOI_ACTIONS_URL: /health answers here) of the served fake."""
        assert self._server is not None, "start() the fake first"
        return self._server.url

    def start(self) -> None:
        """Serves the fake from a thread until stop(). `down` and `slow` are for `serving()`: from a thread, a fake
        that is down is one that was stopped."""
        self._server = InThread(Starlette(routes=[Route("/{path:path}", self._serve, methods=["GET", "POST"])]),
                                "the fake Rasa")
        self._server.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()

    async def _serve(self, request: Request) -> Response:
        path = "/" + request.path_params["path"]
        answer = await self.answer(request.method, path, dict(request.query_params), await request.body(),
                                   actions=path == "/health")
        if isinstance(answer.body, str):
            return Response(answer.body, status_code=answer.status, media_type="text/html")
        return JSONResponse(answer.body, status_code=answer.status)
