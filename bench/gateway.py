"""The gateway's own cost: N conversations at once through the Telegram webhook, a fake Rasa with fixed latency.

Each message goes the real way — webhook (secret check, dedupe, inbox), a worker draining the conversation in
order, Rasa (here a stand-in answering after `RASA_MS`), python-telegram-bot posting to a Bot API double running in
a process of its own — and the time from the webhook call to the reply reaching the double is measured (both
processes read the same monotonic clock). Added latency is that time minus Rasa's. People type one message every
`SPACING_MS` or so; the platforms' flood limits are lifted: this measures the gateway, not Telegram's 30 messages a
second. Needs nothing running: a private Redis is started for the run.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import subprocess
import sys
import time
from typing import Any

import httpx
from asgi_lifespan import LifespanManager

from bench.result import BenchResult
from bot.app import create_app
from bot.delivery import Limits
from bot.gateway import GatewayOptions
from bot.ratelimit import Rate
from bot.settings import PROJECT_ROOT, from_environment
from bot.store import free_port, private_store
from tests.channels.botapi import TOKEN, text_update

CONVERSATIONS = 200
MESSAGES_EACH = 3
RASA_MS = 50.0
SPACING_MS = 5000.0  # 200 people typing about one message every 5 s: ~40 messages a second
SECRET = "bench-secret"


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def _rasa(request: httpx.Request) -> httpx.Response:
    await asyncio.sleep(RASA_MS / 1000)
    message = json.loads(request.content)
    return httpx.Response(200, json=[{"recipient_id": message["sender"], "text": f"re {message['message']}"}])


async def _measure(api_url: str, redis_url: str) -> dict[str, Any]:
    settings = from_environment({"REDIS_URL": redis_url, "CAUNOI_SECRET_KEY": "bench", "CAUNOI_TELEGRAM_TOKEN": TOKEN,
                                 "CAUNOI_TELEGRAM_WEBHOOK_SECRET": SECRET, "CAUNOI_TELEGRAM_API_URL": api_url})
    unlimited = Limits(Rate(100_000.0, burst=1000), Rate(100_000.0, burst=1000))
    app = create_app(settings, transport=httpx.MockTransport(_rasa),
                     options=GatewayOptions(telegram_limits=unlimited))
    sent_at: dict[str, float] = {}
    acks: list[float] = []
    async with LifespanManager(app), httpx.AsyncClient(timeout=10.0) as probe:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway") as http:
            async def conversation(chat: int) -> None:
                await asyncio.sleep((chat % 10) * SPACING_MS / 10000)  # people do not all type at the same instant
                for number in range(MESSAGES_EACH):
                    text = f"{chat}-{number}"
                    started = time.monotonic()
                    sent_at[text] = started
                    await http.post("/webhooks/telegram", json=text_update(chat, text),
                                    headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
                    acks.append(time.monotonic() - started)
                    await asyncio.sleep(SPACING_MS / 1000)

            started = time.monotonic()
            await asyncio.gather(*(conversation(10_000 + chat) for chat in range(CONVERSATIONS)))
            calls: list[dict[str, Any]] = []
            for _ in range(600):
                calls = (await probe.post(f"{api_url}{TOKEN}/recordedCalls")).json()["result"]
                if sum(call["method"] == "sendMessage" for call in calls) >= len(sent_at):
                    break
                await asyncio.sleep(0.05)
            elapsed = time.monotonic() - started
    arrived = {str(call["params"]["text"])[3:]: float(call["at"]) for call in calls if call["method"] == "sendMessage"}
    added = [(arrived[text] - sent_at[text]) * 1000 - RASA_MS for text in sent_at if text in arrived]
    return {
        "conversations": CONVERSATIONS, "messages": len(sent_at), "delivered": len(added), "rasa_ms": RASA_MS,
        "spacing_ms": SPACING_MS,
        "added_ms": {"p50": round(statistics.median(added), 1), "p95": round(_percentile(added, 0.95), 1),
                     "max": round(max(added), 1)},
        "webhook_ack_ms": {"p50": round(statistics.median(acks) * 1000, 1),
                           "p95": round(_percentile(acks, 0.95) * 1000, 1)},
        "elapsed_s": round(elapsed, 2),
    }


def run() -> BenchResult:
    port = free_port()
    api = subprocess.Popen([sys.executable, "-c", f"from tests.channels.botapi import serve; serve({port})"],
                           cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                httpx.post(f"http://127.0.0.1:{port}/bot{TOKEN}/getMe", timeout=1.0)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline or api.poll() is not None:
                    raise RuntimeError("the Bot API double did not start") from None
                time.sleep(0.1)
        with private_store() as store:
            data = asyncio.run(_measure(f"http://127.0.0.1:{port}/bot", store.url))
    finally:
        api.terminate()
        api.wait(timeout=10)
    added, ack = data["added_ms"], data["webhook_ack_ms"]
    markdown = [
        "## Gateway overhead",
        "",
        f"{data['conversations']} conversations at once, {MESSAGES_EACH} messages each ({SPACING_MS:.0f} ms apart, "
        f"processed in order), through the Telegram webhook, one gateway worker, a fake Rasa answering in "
        f"{RASA_MS:.0f} ms and a Bot API double in its own process (flood limits lifted). "
        f"{data['delivered']} of {data['messages']} replies delivered.",
        "",
        "| measure | p50 | p95 | max |",
        "|---|---|---|---|",
        f"| added latency per message (ms) | {added['p50']} | {added['p95']} | {added['max']} |",
        f"| webhook answered (ms) | {ack['p50']} | {ack['p95']} | |",
    ]
    return BenchResult("gateway", data, markdown)
