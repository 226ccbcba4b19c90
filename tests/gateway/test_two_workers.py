"""Two gateway workers behind one Redis: two app instances in one event loop, each with its own gateway (inbox worker,
dispatcher, senders) and console, sharing Redis and the Bot API double; each has a fake Rasa of its own.

Telegram may deliver an update to either worker (behind a load balancer), and may deliver it again (a redelivery,
here to both at once). Each message must reach Rasa once, each person must get each reply once and in the order
they wrote, and of two operators claiming one conversation through the two workers at the same moment, one wins.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from typing import Any

import pytest
import redis.asyncio

from bot.settings import Settings
from bot.state.queue import Case, HandoffQueue
from harness.app import settle
from harness.botapi import TOKEN, FakeBotAPI, text_update
from harness.rasa import FakeRasa
from tests.conftest import make_settings
from tests.console.harness import Console, console_app, over_asgi

WEBHOOK_SECRET = "two-workers-secret"
CONVERSATIONS = 16
MESSAGES = 6
FIRST_CHAT = 880_000


@pytest.fixture
def settings(redis_url: str, bot_api: FakeBotAPI) -> Settings:
    return make_settings(REDIS_URL=redis_url, CAUNOI_TELEGRAM_TOKEN=TOKEN, CAUNOI_TELEGRAM_API_URL=bot_api.url,
                         CAUNOI_TELEGRAM_WEBHOOK_SECRET=WEBHOOK_SECRET, CAUNOI_RASA_TOKEN="rasa-test-token")


@pytest.fixture
async def workers(settings: Settings) -> AsyncIterator[tuple[list[Console], list[FakeRasa]]]:
    """Each worker asks a Rasa of its own, which echoes after a random pause (so turns of different conversations
    overlap); the two note every turn in one `received` list, in the order the turns arrive at either."""
    received: list[dict[str, Any]] = []
    rasas = [FakeRasa(jitter=0.01, received=received), FakeRasa(jitter=0.01, received=received)]
    async with over_asgi(console_app(settings, rasas[0])) as one, over_asgi(console_app(settings, rasas[1])) as two:
        yield [one, two], rasas


async def deliver(worker: Console, update: dict[str, Any]) -> int:
    response = await worker.client().post("/webhooks/telegram", json=update,
                                          headers={"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET})
    return response.status_code


async def test_updates_spread_over_two_workers_are_processed_once_and_answered_in_order(
        workers: tuple[list[Console], list[FakeRasa]], bot_api: FakeBotAPI) -> None:
    pair, rasas = workers
    rng = random.Random(8)

    async def one_person(chat: int) -> list[int]:
        # Telegram sends a chat's updates one after another; which worker gets each one is up to the load balancer.
        statuses = []
        for n in range(MESSAGES):
            update = text_update(chat, f"tin nhắn {n}")
            first = pair[(chat + n) % 2]
            if rng.random() < 0.4:  # redelivered: the same update reaches both workers at once
                statuses += await asyncio.gather(deliver(first, update), deliver(pair[1 - (chat + n) % 2], update))
            else:
                statuses.append(await deliver(first, update))
            await asyncio.sleep(rng.uniform(0.0, 0.005))
        return statuses

    chats = [FIRST_CHAT + index for index in range(CONVERSATIONS)]
    results = await asyncio.gather(*(one_person(chat) for chat in chats))
    assert all(status == 200 for statuses in results for status in statuses)
    assert sum(len(statuses) for statuses in results) > CONVERSATIONS * MESSAGES, "no update was delivered twice"
    await settle(*pair)

    expected = [f"tin nhắn {n}" for n in range(MESSAGES)]
    for chat in chats:
        assert rasas[0].messages(f"tg:{chat}") == expected  # both workers' turns, in the order they reached Rasa
        sent = [call["text"] for call in bot_api.called("sendMessage") if call["chat_id"] == str(chat)]
        assert sent == [f"Đã nhận: {text}" for text in expected]
    assert all(rasa.spans for rasa in rasas), "one worker did all the work"


async def test_two_operators_claiming_one_conversation_through_two_workers_one_wins(
        workers: tuple[list[Console], list[FakeRasa]], bot_api: FakeBotAPI,
        redis_client: redis.asyncio.Redis) -> None:
    (one, two), _ = workers
    lan = await one.login("lan", alias="Chị Lan")
    minh = await two.login("minh", alias="Anh Minh")
    queue = HandoffQueue(redis_client)
    for round_ in range(20):
        chat = FIRST_CHAT + 500 + round_
        conversation = f"tg:{chat}"
        await queue.enqueue(Case(conversation, "telegram", "high", ("thử",)))
        first, second = (lan, minh) if round_ % 2 else (minh, lan)
        answers = await asyncio.gather(first.post(f"/api/conversations/{conversation}/claim"),
                                       second.post(f"/api/conversations/{conversation}/claim"))
        statuses = sorted(answer.status_code for answer in answers)
        assert statuses == [200, 409], [answer.text for answer in answers]
        winner = (first, second)[[answer.status_code for answer in answers].index(200)]
        assert await queue.holder(conversation) == winner.username
        joined = [call for call in bot_api.called("sendMessage") if call["chat_id"] == str(chat)]
        assert len(joined) == 1, "the person was told twice that someone joined"
