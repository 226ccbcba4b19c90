"""The fake Rasa: its REST channel, the parts of its HTTP API the gateway and the console use (/status, a tracker's
slots, appending tracker events), and the action server's health check.

One fake, reached two ways: in this process through `transport()` (an httpx.MockTransport the gateway's Rasa client
and the console are given; the action server is whatever listens on port 5055), or on a real port with `start()`,
for a gateway in another process or a client that is not httpx (there /health answers for the action server).

What a test can set: the replies (a list, or a function of the turn, which may be a coroutine), how long a turn
takes (`delay`, plus up to `jitter` at random, so that turns of different conversations overlap), Rasa or the action
server refusing connections, turns ending in a read timeout, and turns that fail by their text (`failures`).
Everything asked is recorded: the turns (`received`, as they arrive), when each ran (`spans`), tracker events.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import random
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from harness.servers import InThread

Turn = dict[str, Any]  # what the gateway posts to the REST channel: sender, message, input_channel, metadata
Reply = dict[str, Any]
Replies = Callable[[Turn], list[Reply] | Awaitable[list[Reply]]]
ACTIONS_PORT = 5055  # CAUNOI_ACTIONS_URL's default: in this process, the action server is whatever is asked there
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
    """Nothing listens: in this process an httpx.ConnectError."""


class TimedOut(Exception):
    """The client stopped waiting: in this process an httpx.ReadTimeout."""


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
    slow: bool = False  # a turn ends in a read timeout after `delay`, as httpx would after CAUNOI_RASA_TIMEOUT
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

    # -- in this process --------------------------------------------------------------------------------------------

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self._handle)

    async def _handle(self, request: httpx.Request) -> httpx.Response:
        try:
            answer = await self.answer(request.method, request.url.path, dict(request.url.params), request.content,
                                       actions=request.url.port == ACTIONS_PORT)
        except Refused:
            raise httpx.ConnectError("refused", request=request) from None
        except TimedOut:
            raise httpx.ReadTimeout("timed out", request=request) from None
        if isinstance(answer.body, str):
            return httpx.Response(answer.status, text=answer.body)
        return httpx.Response(answer.status, json=answer.body)

    # -- on a real port ---------------------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """CAUNOI_RASA_URL (and CAUNOI_ACTIONS_URL: /health answers here) of the served fake."""
        assert self._server is not None, "start() the fake first"
        return self._server.url

    def start(self) -> None:
        """Serves the fake from a thread until stop(). `down` and `slow` are for the transport: a served fake that
        is down is one that was stopped."""
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
