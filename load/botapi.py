"""A Telegram Bot API double for the load test, in a process of its own: `python -m load.botapi PORT`.

It answers the calls the gateway makes (getMe, sendMessage, sendChatAction, answerCallbackQuery …) at once and
records, per chat, when each sendMessage arrived (CLOCK_MONOTONIC, comparable with the load generator's). Two more
routes serve the load test:

    GET /load/replies?chat=ID&after=N&wait=S   the chat's messages after the first N, waiting up to S seconds for one
    GET /load/all                              every chat's messages (for the analysis at the end)
    GET /load/methods                          how many calls of each Bot API method arrived
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import uvicorn
from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse
from starlette.routing import Route

BOT_USER = {"id": 900001, "is_bot": True, "first_name": "Cầu Nối", "username": "caunoi_load_bot"}
MAX_WAIT_SECONDS = 60.0


@dataclass(frozen=True)
class Reply:
    at: float
    text: str
    buttons: tuple[tuple[str, str], ...]  # (title, callback data) of an inline keyboard

    def to_json(self) -> dict[str, Any]:
        return {"at": self.at, "text": self.text, "buttons": [list(b) for b in self.buttons]}


@dataclass
class Recorder:
    chats: dict[int, list[Reply]] = field(default_factory=dict)
    methods: dict[str, int] = field(default_factory=dict)
    _news: dict[int, asyncio.Event] = field(default_factory=dict)
    _message_id: int = 0

    def add(self, chat: int, reply: Reply) -> int:
        self.chats.setdefault(chat, []).append(reply)
        waiting = self._news.pop(chat, None)
        if waiting is not None:
            waiting.set()
        self._message_id += 1
        return self._message_id

    async def after(self, chat: int, seen: int, wait: float) -> list[Reply]:
        deadline = time.monotonic() + min(max(wait, 0.0), MAX_WAIT_SECONDS)
        while len(self.chats.get(chat, ())) <= seen:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return []
            news = self._news.setdefault(chat, asyncio.Event())
            try:
                await asyncio.wait_for(news.wait(), remaining)
            except asyncio.TimeoutError:
                return []
        return self.chats[chat][seen:]


def _buttons(markup: Any) -> tuple[tuple[str, str], ...]:
    if not isinstance(markup, dict):
        return ()
    rows = markup.get("inline_keyboard") or []
    return tuple((str(b.get("text", "")), str(b.get("callback_data", ""))) for row in rows for b in row
                 if isinstance(b, dict))


async def _params(request: Request) -> dict[str, Any]:
    body = await request.body()
    if "json" in request.headers.get("content-type", ""):
        data = json.loads(body or b"{}")
    else:
        data = dict(parse_qsl(body.decode()))
    # python-telegram-bot sends nested objects (reply_markup) as JSON text inside a form.
    return {key: json.loads(value) if isinstance(value, str) and value[:1] in "[{" else value
            for key, value in data.items()}


def create_app(recorder: Recorder | None = None) -> Starlette:
    recorder = recorder or Recorder()

    async def bot_method(request: Request) -> JSONResponse:
        arrived = time.monotonic()
        method = request.path_params["method"]
        recorder.methods[method] = recorder.methods.get(method, 0) + 1
        try:
            params = await _params(request)
        except ClientDisconnect:
            return JSONResponse({"ok": False}, status_code=499)
        except (ValueError, UnicodeDecodeError):
            return JSONResponse({"ok": False, "error_code": 400, "description": "Bad Request: unreadable body"},
                                status_code=400)
        if method == "getMe":
            return JSONResponse({"ok": True, "result": BOT_USER})
        if method == "sendMessage":
            chat = int(params["chat_id"])
            text = str(params.get("text", ""))
            message_id = recorder.add(chat, Reply(arrived, text, _buttons(params.get("reply_markup"))))
            return JSONResponse({"ok": True, "result": {
                "message_id": message_id, "date": int(time.time()), "text": text,
                "chat": {"id": chat, "type": "private"}, "from": BOT_USER}})
        return JSONResponse({"ok": True, "result": True})

    async def replies(request: Request) -> JSONResponse:
        try:
            chat = int(request.query_params["chat"])
            seen = int(request.query_params.get("after", "0"))
            wait = float(request.query_params.get("wait", "0"))
        except (KeyError, ValueError):
            return JSONResponse({"error": "chat (int), after (int) and wait (seconds) are expected"},
                                status_code=400)
        found = await recorder.after(chat, seen, wait)
        return JSONResponse({"replies": [r.to_json() for r in found], "total": seen + len(found)})

    async def everything(request: Request) -> JSONResponse:
        return JSONResponse({str(chat): [{"at": r.at, "text": r.text} for r in items]
                             for chat, items in recorder.chats.items()})

    async def methods(request: Request) -> JSONResponse:
        return JSONResponse(recorder.methods)

    return Starlette(routes=[
        Route("/bot{token}/{method}", bot_method, methods=["GET", "POST"]),
        Route("/load/replies", replies),
        Route("/load/all", everything),
        Route("/load/methods", methods),
    ])


def main(argv: list[str]) -> int:
    if len(argv) != 1 or not argv[0].isdigit():
        print("usage: python -m load.botapi PORT", file=sys.stderr)
        return 2
    uvicorn.run(create_app(), host="127.0.0.1", port=int(argv[0]), log_level="warning", access_log=False,
                lifespan="off", ws="none", loop="asyncio", backlog=4096)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
