"""A real HTTP test double of the Telegram Bot API, run by uvicorn in a background thread on a free port.

python-telegram-bot reaches it through `base_url` (CAUNOI_TELEGRAM_API_URL), so the whole client stack runs:
request encoding, status handling, RetryAfter, timeouts. Every call is recorded with its parameters; a method can
be told to answer 429 with retry_after, to fail with a 5xx, or to hang, for its next N calls.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import uvicorn
from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from bot.state.store import free_port

TOKEN = "123456:TEST-fake-token"
BOT_USER = {"id": 123456, "is_bot": True, "first_name": "Cầu Nối", "username": "caunoi_test_bot"}


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
    port: int = 0
    _server: uvicorn.Server | None = None
    _thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The CAUNOI_TELEGRAM_API_URL that points python-telegram-bot here."""
        return f"http://127.0.0.1:{self.port}/bot"

    # -- what tests call ------------------------------------------------------------------------------------------

    def answer(self, method: str, *behaviours: Behaviour) -> None:
        """The next calls of `method` get these answers, in order; later calls succeed."""
        with self._lock:
            self._plans.setdefault(method, deque()).extend(behaviours)

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()
            self.updates.clear()
            self._plans.clear()

    def called(self, method: str) -> list[dict[str, Any]]:
        with self._lock:
            return [call.params for call in self.calls if call.method == method]

    def methods(self) -> list[str]:
        with self._lock:
            return [call.method for call in self.calls]

    async def wait_for(self, method: str, count: int = 1, timeout: float = 5.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while len(self.called(method)) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"{method} called {len(self.called(method))} times, expected {count}")
            await asyncio.sleep(0.01)
        return self.called(method)

    # -- the server -----------------------------------------------------------------------------------------------

    def start(self) -> None:
        self.port = free_port()
        app = Starlette(routes=[Route("/bot{token}/{method}", self._endpoint, methods=["GET", "POST"])])
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="off",
                                access_log=False, timeout_graceful_shutdown=1, ws="none", loop="asyncio")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the Bot API double did not start")
            time.sleep(0.01)

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=5)

    async def _endpoint(self, request: Request) -> JSONResponse:
        method = request.path_params["method"]
        arrived = time.monotonic()  # when the request reached the "platform", before the double's own parsing
        try:
            params = await _params(request)
        except ClientDisconnect:  # the client gave up (a cancelled "typing" call): nothing to answer
            return JSONResponse({"ok": False}, status_code=499)
        with self._lock:
            if method != "recordedCalls":  # a benchmark polls it many times a second: not a call to record
                self.calls.append(Call(method, params, request.path_params["token"], arrived))
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
        return JSONResponse({"ok": True, "result": self._result(method, params)})

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
        if method == "getUpdates":
            offset = int(params.get("offset") or 0)
            with self._lock:
                return [update for update in self.updates if update["update_id"] >= offset]
        return True


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


def _error(status: int, description: str, parameters: dict[str, Any] | None = None) -> JSONResponse:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if parameters:
        body["parameters"] = parameters
    return JSONResponse(body, status_code=status)


def serve(port: int) -> None:
    """Runs the double in the foreground (a benchmark starts it in a process of its own, away from the GIL), on
    uvicorn's fastest event loop: the double's own time is not the gateway's."""
    server = FakeBotAPI()
    server.port = port
    app = Starlette(routes=[Route("/bot{token}/{method}", server._endpoint, methods=["GET", "POST"])])
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off", access_log=False,
                ws="none")


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
