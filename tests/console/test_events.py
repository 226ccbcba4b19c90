"""Server-sent events over a real server: queue changes and transcript growth reach every console, whichever gateway
worker it is connected to; heartbeats keep the stream open; an ended session ends the stream."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx

from bot.console import ConsoleOptions
from bot.settings import Settings
from bot.state.queue import Case
from harness.botapi import text_update
from harness.rasa import FakeRasa
from tests.console.conftest import WEBHOOK_SECRET
from tests.console.harness import CHEAP_HASHER, console_app, over_http

OPTIONS = ConsoleOptions(hasher=CHEAP_HASHER, heartbeat_seconds=0.3, sweep_seconds=3600)


class Stream:
    def __init__(self, response: httpx.Response):
        self._lines = response.aiter_lines()
        self.comments: list[str] = []

    async def next_event(self, kind: str, timeout: float = 5.0) -> dict[str, Any]:
        async def read() -> dict[str, Any]:
            event = ""
            async for line in self._lines:
                if line.startswith(":"):
                    self.comments.append(line)
                elif line.startswith("event: "):
                    event = line[7:]
                elif line.startswith("data: ") and event == kind:
                    data: dict[str, Any] = json.loads(line[6:])
                    return data
            raise AssertionError("the stream ended")
        return await asyncio.wait_for(read(), timeout)


@contextlib.asynccontextmanager
async def events(http: httpx.AsyncClient) -> AsyncIterator[Stream]:
    async with http.stream("GET", "/api/events") as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        yield Stream(response)


async def test_a_queue_change_and_a_new_message_arrive_as_events(settings: Settings, rasa: FakeRasa) -> None:
    async with over_http(console_app(settings, rasa, OPTIONS)) as console:
        hoa = await console.login("hoa")
        async with events(hoa.http) as stream:
            await asyncio.sleep(0.1)
            started = time.monotonic()
            await console.gateway.queue.enqueue(Case("tg:9001", "telegram", "high", ("Bị giam giữ",)))
            event = await stream.next_event("queue")
            assert event == {"type": "queue", "change": "enqueued", "conversation_id": "tg:9001", "risk": "high",
                             "team": ""}
            print(f"queue event after {1000 * (time.monotonic() - started):.0f} ms")
            await console.gateway.queue.claim("tg:9001", "hoa")
            assert (await stream.next_event("queue"))["change"] == "claimed"
            # A message from the person while a human holds the conversation: a transcript event, no text in it.
            posted = await hoa.http.post("/webhooks/telegram", json=text_update(9001, "tôi sợ lắm"),
                                         headers={"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET})
            assert posted.status_code == 200
            event = await stream.next_event("transcript")
            assert event["conversation_id"] == "tg:9001" and "tôi sợ" not in json.dumps(event)
            assert rasa.messages("tg:9001") == []  # it never reached the bot
            with contextlib.suppress(asyncio.TimeoutError):
                await stream.next_event("nothing", timeout=1.0)
            assert ": ping" in stream.comments  # heartbeats


async def test_events_reach_consoles_on_another_worker(settings: Settings, rasa: FakeRasa) -> None:
    async with over_http(console_app(settings, rasa, OPTIONS)) as first, \
            over_http(console_app(settings, FakeRasa(), OPTIONS)) as second:
        hoa = await first.login("hoa")
        minh_http = second.client()
        await second.operator("minh")
        login = await minh_http.post("/api/login", json={"username": "minh", "password": "mat-khau-rat-dai-1"})
        assert login.status_code == 200
        await first.gateway.queue.enqueue(Case("zalo:77", "zalo", "medium"))
        async with events(minh_http) as stream:
            await asyncio.sleep(0.1)
            claimed = await hoa.post("/api/conversations/zalo:77/claim")
            assert claimed.status_code == 200
            event = await stream.next_event("queue")
            assert (event["change"], event["operator"]) == ("claimed", "hoa")
            await hoa.post("/api/conversations/zalo:77/notes", {"text": "ghi chú"})
            assert (await stream.next_event("note"))["conversation_id"] == "zalo:77"


async def test_the_stream_ends_with_the_session(settings: Settings, rasa: FakeRasa) -> None:
    async with over_http(console_app(settings, rasa, OPTIONS)) as console:
        hoa = await console.login("hoa")
        async with events(hoa.http) as stream:
            await console.services.operators.disable("hoa")
            assert await stream.next_event("logout") == {}


async def test_disabling_an_operator_ends_their_stream_at_once_not_at_the_next_heartbeat(
        settings: Settings, rasa: FakeRasa) -> None:
    slow = ConsoleOptions(hasher=CHEAP_HASHER, heartbeat_seconds=15.0, sweep_seconds=3600)
    async with over_http(console_app(settings, rasa, slow)) as console:
        hoa = await console.login("hoa")
        async with events(hoa.http) as stream:
            await asyncio.sleep(0.2)
            started = time.monotonic()
            await console.services.operators.disable("hoa")
            assert await stream.next_event("logout", timeout=14.0) == {}
            assert time.monotonic() - started < 10.0  # well before the 15 s heartbeat
