"""The floor under the gateway bench: the least any gateway on this stack does for a Telegram turn, and nothing else.

Not the product and never deployed. `python -m bench gateway_floor` runs the gateway bench (bench/gateway.py) with
this in the gateway's place, so the two reports compare like with like: the same processes, load, script and
measures. What it keeps is what the issue asks of every gateway: the webhook's secret checked, the message stored
and deduped in Redis (one round trip) before the 200, Rasa asked over HTTP, each reply posted to the Bot API in
order. What it leaves out is everything else the real gateway does: python-telegram-bot, Starlette, the inbox's
lock and order across workers, the handoff mode, the transcript, the chat log, rate limits, retries, typing,
buttons. Its own time is what the machine, uvicorn, aiohttp and redis-py cost on their own.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import os
import sys
import time
from typing import Any
from urllib.parse import urlencode

import aiohttp
import redis.asyncio

from bot.channels.splitting import join_replies
from bot.channels.telegram_http import FORM
from bot.gateway.rasa_client import to_outbounds
from bot.internal_token import headers
from bot.privacy import log_id
from bot.settings import Secret

Scope = dict[str, Any]
SEEN_SECONDS = 24 * 3600
OK = b'{"ok":true}'


class Floor:
    def __init__(self) -> None:
        self.secret = os.environ["CAUNOI_TELEGRAM_WEBHOOK_SECRET"].encode()
        self.log_key = os.environ["CAUNOI_SECRET_KEY"]
        self.rasa = os.environ["CAUNOI_RASA_URL"].rstrip("/") + "/webhooks/rest/webhook"
        self.rasa_headers = headers(Secret(os.environ.get("CAUNOI_RASA_TOKEN", "")))
        api = os.environ["CAUNOI_TELEGRAM_API_URL"].rstrip("/")
        self.send_message = f"{api}{os.environ['CAUNOI_TELEGRAM_TOKEN']}/sendMessage"
        self.redis = redis.asyncio.Redis.from_url(os.environ["REDIS_URL"], decode_responses=True)
        self.http: aiohttp.ClientSession | None = None
        self.turns: set[asyncio.Task[None]] = set()

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await self.lifespan(receive, send)
            return
        if scope["path"] == "/readyz":
            await respond(send, 200, OK)
            return
        if scope["path"] != "/webhooks/telegram" or scope["method"] != "POST":
            await respond(send, 404, b'{"error":"not found"}')
            return
        headers = dict(scope["headers"])
        if not hmac.compare_digest(headers.get(b"x-telegram-bot-api-secret-token", b""), self.secret):
            await respond(send, 403, b'{"error":"forbidden"}')
            return
        body = b""
        while True:
            event = await receive()
            body += event.get("body", b"")
            if not event.get("more_body"):
                break
        update = json.loads(body)
        message = update.get("message") or {}
        chat, text = message.get("chat", {}).get("id"), message.get("text")
        if chat is not None and text:
            conversation = f"tg:{chat}"
            async with self.redis.pipeline(transaction=True) as pipe:  # dedupe and store: one round trip
                pipe.set(f"floor:seen:{update['update_id']}", "1", nx=True, ex=SEEN_SECONDS)
                pipe.rpush(f"floor:inbox:{conversation}", body)
                fresh, _ = await pipe.execute()
            if fresh:
                turn = asyncio.create_task(self.turn(conversation, chat, text))
                self.turns.add(turn)
                turn.add_done_callback(self.turns.discard)
                await asyncio.sleep(0)  # as the gateway does: the request to Rasa leaves before the 200
        await respond(send, 200, OK)

    async def turn(self, conversation: str, chat: int, text: str) -> None:
        assert self.http is not None
        started = time.perf_counter()
        async with self.http.post(self.rasa, json={"sender": conversation, "message": text,
                                                   "metadata": {"channel": "telegram"}},
                                  headers=self.rasa_headers) as answer:
            replies = join_replies(to_outbounds(await answer.json()))
        # The line the bench reads for each turn's Rasa call (bench/gateway.py, `rasa_calls`).
        print(json.dumps({"logger": "bench.floor", "message": "turn", "ms": (time.perf_counter() - started) * 1000,
                          "conversation": log_id(conversation, self.log_key)}), file=sys.stderr, flush=True)
        for reply in replies:
            async with self.http.post(self.send_message, data=urlencode({"chat_id": chat, "text": reply.text}),
                                      headers=FORM) as posted:
                await posted.read()
        await self.redis.lpop(f"floor:inbox:{conversation}")

    async def lifespan(self, receive: Any, send: Any) -> None:
        while True:
            event = await receive()
            if event["type"] == "lifespan.startup":
                self.http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=512, keepalive_timeout=4.0),
                                                  timeout=aiohttp.ClientTimeout(total=30.0))
                await send({"type": "lifespan.startup.complete"})
            elif event["type"] == "lifespan.shutdown":
                if self.turns:
                    await asyncio.wait(self.turns, timeout=10.0)
                if self.http is not None:
                    await self.http.close()
                await self.redis.close()
                await send({"type": "lifespan.shutdown.complete"})
                return


async def respond(send: Any, status: int, body: bytes) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def serve(port: int) -> None:
    import uvicorn

    uvicorn.run(Floor(), host="127.0.0.1", port=port, log_level="warning", access_log=False, log_config=None,
                server_header=False, ws="none")
