"""The Telegram Bot API double: a real HTTP server that python-telegram-bot reaches through `base_url`
(CAUNOI_TELEGRAM_API_URL), so the whole client stack runs: request encoding, status handling, RetryAfter, timeouts.

Every call is recorded with its parameters and the moment it arrived (CLOCK_MONOTONIC, comparable across the
processes of one machine); a method can be told to answer 429 with retry_after, to fail with a 5xx, or to hang, for
its next N calls. Tests run it in a thread (`start()`); the gateway bench and the load test run it in a process of
its own, away from the GIL of what they measure: `python -m harness.botapi PORT`. Those read what arrived over HTTP:

    POST /bot<token>/recordedCalls {"offset": N}    every call from the N-th on, with its method, params and arrival
    GET  /load/replies?chat=ID&after=N&wait=S       the chat's messages after the first N, waiting up to S seconds
    GET  /load/all                                  every chat's messages
    GET  /load/methods                              how many calls of each Bot API method arrived
"""

from __future__ import annotations

import asyncio
import json
import sys
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import uvicorn
from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from harness.servers import InThread
from harness.wait import GaveUp, until_async

TOKEN = "123456:TEST-fake-token"
BOT_USER = {"id": 123456, "is_bot": True, "first_name": "Cầu Nối", "username": "caunoi_test_bot"}
MAX_WAIT_SECONDS = 60.0  # the longest a reader of /load/replies is kept waiting


@dataclass(frozen=True)
class Call:
    method: str
    params: dict[str, Any]
    token: str
    at: float


@dataclass
class Behaviour:
    kind: str  # "429", "5xx", "403", "400", "hang"
    value: float = 0.0


@dataclass
class FakeBotAPI:
    calls: list[Call] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)
    _plans: dict[str, deque[Behaviour]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _message_id: int = 1000
    _arrivals: Counter[str] = field(default_factory=Counter)  # every call, readable or not
    _sent: dict[int, list[Call]] = field(default_factory=dict)  # sendMessage calls by chat
    _news: dict[int, asyncio.Event] = field(default_factory=dict)  # readers waiting for a chat's next message
    files: dict[str, bytes] = field(default_factory=dict)  # file_id -> content, served by getFile and /file/
    port: int = 0
    _server: InThread | None = None

    @property
    def url(self) -> str:
        """The CAUNOI_TELEGRAM_API_URL that points python-telegram-bot here."""
        return f"http://127.0.0.1:{self.port}/bot"

    # -- what tests call ------------------------------------------------------------------------------------------

    def answer(self, method: str, *behaviours: Behaviour) -> None:
        """The next calls of `method` get these answers, in order; later calls succeed."""
        with self._lock:
            self._plans.setdefault(method, deque()).extend(behaviours)

    def put_file(self, file_id: str, content: bytes) -> None:
        """A file a person sent: getFile answers for `file_id`, and its path downloads `content`."""
        with self._lock:
            self.files[file_id] = content

    def reset(self) -> None:
        with self._lock:
            self.files.clear()
            self.calls.clear()
            self.updates.clear()
            self._plans.clear()
            self._arrivals.clear()
            self._sent.clear()

    def called(self, method: str) -> list[dict[str, Any]]:
        with self._lock:
            return [call.params for call in self.calls if call.method == method]

    def methods(self) -> list[str]:
        with self._lock:
            return [call.method for call in self.calls]

    async def wait_for(self, method: str, count: int = 1, timeout: float = 5.0) -> list[dict[str, Any]]:
        """The calls of `method` once there are at least `count` of them."""
        def enough() -> list[dict[str, Any]] | None:
            calls = self.called(method)
            return calls if len(calls) >= max(count, 1) else None

        try:
            return await until_async(enough, timeout, f"{count} {method} call(s)")
        except GaveUp as error:
            raise GaveUp(f"{method} called {len(self.called(method))} times, expected {count}") from error

    # -- the server -----------------------------------------------------------------------------------------------

    def app(self) -> Starlette:
        return Starlette(routes=[
            Route("/bot{token}/{method}", self._endpoint, methods=["GET", "POST"]),
            Route("/file/bot{token}/{path:path}", self._download),
            Route("/load/replies", self._replies),
            Route("/load/all", self._everything),
            Route("/load/methods", self._counts),
        ])

    def start(self) -> None:
        self._server = InThread(self.app(), "the Bot API double")
        self.port = self._server.port
        self._server.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()

    async def _endpoint(self, request: Request) -> JSONResponse:
        method = request.path_params["method"]
        arrived = time.monotonic()  # when the request reached the "platform", before the double's own parsing
        if method != "recordedCalls":  # a benchmark polls it many times a second: not a call to record
            with self._lock:
                self._arrivals[method] += 1
        try:
            params = await _params(request)
        except ClientDisconnect:  # the client gave up (a cancelled "typing" call): nothing to answer
            return JSONResponse({"ok": False}, status_code=499)
        except (ValueError, UnicodeDecodeError):
            return _error(400, "Bad Request: unreadable body")
        call = Call(method, params, request.path_params["token"], arrived)
        with self._lock:
            if method != "recordedCalls":
                self.calls.append(call)
            plan = self._plans.get(method)
            behaviour = plan.popleft() if plan else None
        if behaviour is not None:
            if behaviour.kind == "hang":
                await asyncio.sleep(behaviour.value)
            elif behaviour.kind == "429":
                return _error(429, "Too Many Requests: retry after", {"retry_after": int(behaviour.value)})
            elif behaviour.kind == "5xx":
                return _error(int(behaviour.value or 500), "Internal Server Error")
            elif behaviour.kind == "403":
                return _error(403, "Forbidden: bot was blocked by the user")
            elif behaviour.kind == "400":
                return _error(400, "Bad Request: chat not found")
        if method == "sendMessage":
            self._delivered(call)
        if method == "getFile" and self._result(method, params) is None:
            return _error(400, "Bad Request: invalid file_id")
        return JSONResponse({"ok": True, "result": self._result(method, params)})

    def _delivered(self, call: Call) -> None:
        """A message reached its chat: readers waiting for it wake up."""
        chat = int(call.params["chat_id"])
        with self._lock:
            self._sent.setdefault(chat, []).append(call)
        waiting = self._news.pop(chat, None)
        if waiting is not None:
            waiting.set()

    def _result(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getMe":
            return BOT_USER
        if method == "sendMessage":
            with self._lock:
                self._message_id += 1
                message_id = self._message_id
            return {"message_id": message_id, "date": int(time.time()), "text": params.get("text", ""),
                    "chat": {"id": int(params["chat_id"]), "type": "private"}, "from": BOT_USER}
        if method == "recordedCalls":  # not a Bot API method: lets another process read what arrived, and when
            offset = int(params.get("offset") or 0)  # calls from this index on (polling without rereading them all)
            with self._lock:
                return [{"index": index, "method": c.method, "params": c.params, "at": c.at}
                        for index, c in enumerate(self.calls[offset:], offset)]
        if method == "getFile":
            file_id = str(params.get("file_id", ""))
            with self._lock:
                content = self.files.get(file_id)
            if content is None:
                return None
            return {"file_id": file_id, "file_unique_id": f"u-{file_id}", "file_size": len(content),
                    "file_path": f"files/{file_id}"}
        if method == "getUpdates":
            offset = int(params.get("offset") or 0)
            with self._lock:
                return [update for update in self.updates if update["update_id"] >= offset]
        return True

    async def _download(self, request: Request) -> Response:
        """A file's content, at the path getFile gave (`files/<file_id>`)."""
        file_id = request.path_params["path"].removeprefix("files/")
        with self._lock:
            content = self.files.get(file_id)
            self._arrivals["download"] += 1
        if content is None:
            return Response(status_code=404)
        return Response(content, media_type="application/octet-stream")

    # -- what another process reads ---------------------------------------------------------------------------------

    def sent_to(self, chat: int) -> list[Call]:
        with self._lock:
            return list(self._sent.get(chat, ()))

    async def _replies(self, request: Request) -> JSONResponse:
        try:
            chat = int(request.query_params["chat"])
            seen = int(request.query_params.get("after", "0"))
            wait = float(request.query_params.get("wait", "0"))
        except (KeyError, ValueError):
            return JSONResponse({"error": "chat (int), after (int) and wait (seconds) are expected"},
                                status_code=400)
        deadline = time.monotonic() + min(max(wait, 0.0), MAX_WAIT_SECONDS)
        while len(self.sent_to(chat)) <= seen:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            news = self._news.setdefault(chat, asyncio.Event())
            try:
                await asyncio.wait_for(news.wait(), remaining)
            except asyncio.TimeoutError:
                break
        found = self.sent_to(chat)[seen:]
        return JSONResponse({"replies": [{"at": c.at, "text": str(c.params.get("text", "")),
                                          "buttons": [list(b) for b in _buttons(c.params.get("reply_markup"))]}
                                         for c in found], "total": seen + len(found)})

    async def _everything(self, request: Request) -> JSONResponse:
        with self._lock:
            sent = {chat: list(calls) for chat, calls in self._sent.items()}
        return JSONResponse({str(chat): [{"at": c.at, "text": str(c.params.get("text", ""))} for c in calls]
                             for chat, calls in sent.items()})

    async def _counts(self, request: Request) -> JSONResponse:
        with self._lock:
            return JSONResponse(dict(self._arrivals))


async def _params(request: Request) -> dict[str, Any]:
    body = await request.body()
    content_type = request.headers.get("content-type", "")
    if "json" in content_type:
        data = json.loads(body or b"{}")
    elif "multipart" in content_type:
        form = await request.form()
        data = {key: value for key, value in form.items() if isinstance(value, str)}
    else:
        data = dict(parse_qsl(body.decode()))
    return {key: _maybe_json(value) for key, value in data.items()}


def _maybe_json(value: Any) -> Any:
    """python-telegram-bot sends nested objects (reply_markup, allowed_updates) as JSON strings."""
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def _buttons(markup: Any) -> tuple[tuple[str, str], ...]:
    """(title, callback data) of each button of an inline keyboard."""
    if not isinstance(markup, dict):
        return ()
    rows = markup.get("inline_keyboard") or []
    return tuple((str(b.get("text", "")), str(b.get("callback_data", ""))) for row in rows for b in row
                 if isinstance(b, dict))


def _error(status: int, description: str, parameters: dict[str, Any] | None = None) -> JSONResponse:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if parameters:
        body["parameters"] = parameters
    return JSONResponse(body, status_code=status)


def serve(port: int) -> None:
    """Runs the double in the foreground, on uvicorn's fastest event loop: the double's own time is not the
    gateway's. The backlog holds a load test's burst of connections."""
    uvicorn.run(FakeBotAPI(port=port).app(), host="127.0.0.1", port=port, log_level="warning", lifespan="off",
                access_log=False, ws="none", backlog=4096)


def main(argv: list[str]) -> int:
    if len(argv) != 1 or not argv[0].isdigit():
        print("usage: python -m harness.botapi PORT", file=sys.stderr)
        return 2
    serve(int(argv[0]))
    return 0


# -- updates as Telegram sends them ----------------------------------------------------------------------------------

_update_id = 500_000


def _next_update_id() -> int:
    global _update_id
    _update_id += 1
    return _update_id


def person(chat_id: int) -> dict[str, Any]:
    return {"id": chat_id, "is_bot": False, "first_name": "Lan"}


def message_update(chat_id: int, update_id: int | None = None, chat_type: str = "private", edited: bool = False,
                   **content: Any) -> dict[str, Any]:
    message = {"message_id": _next_update_id() % 100_000, "date": int(time.time()),
               "chat": {"id": chat_id, "type": chat_type, **({"title": "Nhóm"} if chat_type != "private" else {})},
               "from": person(abs(chat_id)), **content}
    if edited:
        message["edit_date"] = int(time.time())
    return {"update_id": update_id or _next_update_id(), "edited_message" if edited else "message": message}


def text_update(chat_id: int, text: str, **kwargs: Any) -> dict[str, Any]:
    entities = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}] if text.startswith("/") else []
    return message_update(chat_id, text=text, entities=entities, **kwargs)


def callback_update(chat_id: int, data: str) -> dict[str, Any]:
    return {"update_id": _next_update_id(), "callback_query": {
        "id": f"cq{_next_update_id()}", "from": person(chat_id), "chat_instance": "ci-1", "data": data,
        "message": {"message_id": 7, "date": int(time.time()), "chat": {"id": chat_id, "type": "private"},
                    "from": BOT_USER, "text": "Bạn cần gì?"}}}


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
