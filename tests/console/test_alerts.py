"""The queue sweep: notices to waiting people (nobody online, a long wait) and on-call alerts for high risk."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator

import pytest
import redis.asyncio

from bot.console import ConsoleOptions
from bot.state.queue import Case, events_channel
from harness.botapi import FakeBotAPI
from harness.rasa import FakeRasa
from tests.console.conftest import console_settings
from tests.console.harness import CHEAP_HASHER, Console, console_app, over_asgi

ONCALL = "-1001234567890"
NOW = time.time()


@pytest.fixture
async def swept(redis_url: str, bot_api: FakeBotAPI, rasa: FakeRasa) -> AsyncIterator[tuple[Console, list[float]]]:
    clock = [NOW]
    settings = console_settings(redis_url, bot_api, CAUNOI_ONCALL_TELEGRAM_CHAT_ID=ONCALL,
                                CAUNOI_WAIT_NOTICE_MINUTES="10", CAUNOI_HIGH_RISK_REALERT_MINUTES="5",
                                CAUNOI_CONSOLE_URL="https://hotline.example.org")
    options = ConsoleOptions(hasher=CHEAP_HASHER, run_background=False, clock=lambda: clock[0])
    async with over_asgi(console_app(settings, rasa, options)) as console:
        yield console, clock


def sent_to(bot_api: FakeBotAPI, chat: str) -> list[str]:
    return [call["text"] for call in bot_api.called("sendMessage") if str(call["chat_id"]) == chat]


async def test_nobody_online_tells_the_person_and_alerts_on_call_without_content(
        swept: tuple[Console, list[float]], bot_api: FakeBotAPI) -> None:
    console, _ = swept
    await console.gateway.queue.enqueue(Case("tg:31", "telegram", "high", ("Bị giam giữ ở Campuchia",),
                                             "Một người bị giữ ở Campuchia", "chien-dich", enqueued_at=NOW - 90))
    await console.services.sweeper.tick()
    await console.services.sweeper.tick()  # each notice and alert goes out once
    person = sent_to(bot_api, "31")
    assert len(person) == 1 and "chưa có người hỗ trợ trực" in person[0] and "111" in person[0]
    oncall = sent_to(bot_api, ONCALL)
    assert oncall == ["⚠️ Cầu Nối: một người có nguy cơ CAO đang chờ người hỗ trợ (đã chờ 1 phút). "
                      "Mở bảng điều khiển: https://hotline.example.org/console/"]
    for private in ("31", "Campuchia", "chien-dich", "tg:"):
        assert private not in oncall[0]
    assert await console.gateway.queue.mode("tg:31") == "waiting"  # still queued


async def test_a_long_wait_is_told_once_and_high_risk_alerts_again(swept: tuple[Console, list[float]],
                                                                   bot_api: FakeBotAPI,
                                                                   redis_client: redis.asyncio.Redis) -> None:
    console, clock = swept
    await console.services.presence.seen("hoa")
    await console.services.availability.set("hoa", "on_duty")
    await console.gateway.queue.enqueue(Case("tg:32", "telegram", "high", enqueued_at=NOW - 30))
    await console.gateway.queue.enqueue(Case("tg:33", "telegram", "low", enqueued_at=NOW - 30))
    await console.services.sweeper.tick()
    assert sent_to(bot_api, "32") == [] and sent_to(bot_api, "33") == []  # an operator is online
    assert len(sent_to(bot_api, ONCALL)) == 1
    pubsub = redis_client.pubsub(ignore_subscribe_messages=True)
    await pubsub.subscribe(events_channel(redis_client))
    clock[0] = NOW + 10 * 60
    await console.services.presence.seen("hoa")
    await console.services.sweeper.tick()
    await console.services.sweeper.tick()
    assert [len(sent_to(bot_api, chat)) for chat in ("32", "33")] == [1, 1]
    assert "chờ lâu" in sent_to(bot_api, "33")[0]
    oncall = sent_to(bot_api, ONCALL)
    assert len(oncall) == 2 and "vẫn chưa có ai nhận sau 10 phút" in oncall[1]
    published = []
    for _ in range(20):
        message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.2)
        if message is not None:
            published.append(json.loads(message["data"]))
    assert {"type": "alert", "conversation_id": "tg:32", "risk": "high", "waited_minutes": 10} in published
    await pubsub.reset()


async def test_claimed_conversations_get_no_notices(swept: tuple[Console, list[float]], bot_api: FakeBotAPI) -> None:
    console, _ = swept
    await console.gateway.queue.enqueue(Case("tg:34", "telegram", "high", enqueued_at=NOW - 3600))
    await console.gateway.queue.claim("tg:34", "hoa")
    await console.services.sweeper.tick()
    assert bot_api.called("sendMessage") == []


async def test_no_oncall_chat_means_no_alert(redis_url: str, bot_api: FakeBotAPI, rasa: FakeRasa) -> None:
    options = ConsoleOptions(hasher=CHEAP_HASHER, run_background=False)
    async with over_asgi(console_app(console_settings(redis_url, bot_api), rasa, options)) as console:
        await console.gateway.queue.enqueue(Case("tg:35", "telegram", "high", enqueued_at=time.time() - 60))
        await console.services.sweeper.tick()
        assert [str(call["chat_id"]) for call in bot_api.called("sendMessage")] == ["35"]  # the person only
