"""A message is answered once, however often its turn runs (bot/gateway/answered.py).

- Replay: the inbox runs a message again when its turn was cut after the replies went out (the worker died, Redis
  went away before the pop). The second run neither asks Rasa nor answers.
- A lock that expired under a stalled loop: the worker's renewal cannot run while its event loop is blocked, the
  conversation's lock expires, and a second worker takes the conversation and runs the same message. Both runs ask
  Rasa; the claim made before sending lets one of them answer.

Two gateway workers are two app instances in one event loop sharing Redis and the Bot API double, each with a fake
Rasa of its own (as tests/gateway/test_two_workers.py).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.gateway.inbox import InboxOptions
from bot.gateway.parts import GatewayOptions
from bot.messages import Inbound
from bot.settings import Settings
from harness.app import FAST, RunningApp, gateway_app, over_asgi, settle
from harness.botapi import TOKEN, FakeBotAPI, text_update
from harness.rasa import FakeRasa, Turn
from tests.conftest import make_settings

WEBHOOK_SECRET = "answered-once-secret"
CHAT = 661_661
LOCK_TTL = 0.3


@pytest.fixture
def settings(redis_url: str, bot_api: FakeBotAPI) -> Settings:
    return make_settings(REDIS_URL=redis_url, CAUNOI_TELEGRAM_TOKEN=TOKEN, CAUNOI_TELEGRAM_API_URL=bot_api.url,
                         CAUNOI_TELEGRAM_WEBHOOK_SECRET=WEBHOOK_SECRET, CAUNOI_RASA_TIMEOUT="30")


def options() -> GatewayOptions:
    return GatewayOptions(telegram_limits=FAST, zalo_limits=FAST,
                          inbox=InboxOptions(lock_ttl=LOCK_TTL, sweep_interval=0.05, shutdown_grace=2.0))


def sent(bot_api: FakeBotAPI) -> list[str]:
    return [call["text"] for call in bot_api.called("sendMessage") if call["chat_id"] == str(CHAT)]


async def deliver(app: RunningApp, text: str) -> str:
    """Posts a Telegram update with `text` to the worker; the message's id."""
    update = text_update(CHAT, text)
    response = await app.client().post("/webhooks/telegram", json=update,
                                       headers={"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET})
    assert response.status_code == 200
    return str(update["message"]["message_id"])


async def test_a_replayed_turn_does_not_ask_rasa_again_nor_answer_twice(settings: Settings,
                                                                       bot_api: FakeBotAPI) -> None:
    rasa = FakeRasa()
    async with over_asgi(gateway_app(settings, rasa, options())) as app:
        message_id = await deliver(app, "xin chào")
        await app.settle()
        assert sent(bot_api) == ["Đã nhận: xin chào"]
        # The same message again, as the inbox runs it when the turn was cut before its pop.
        replayed = Inbound("telegram", f"tg:{CHAT}", message_id=message_id, text="xin chào")
        await app.gateway.dispatcher.handle(replayed)
        assert sent(bot_api) == ["Đã nhận: xin chào"]
        assert rasa.messages() == ["xin chào"]
        # A new message is answered as usual.
        await deliver(app, "cảm ơn")
        await app.settle()
    assert sent(bot_api) == ["Đã nhận: xin chào", "Đã nhận: cảm ơn"]


@pytest.fixture
async def two_workers(settings: Settings) -> AsyncIterator[tuple[RunningApp, RunningApp, dict[str, Any]]]:
    """Worker one's Rasa stalls the whole event loop past the lock's lifetime on its first turn, then waits until
    worker two's Rasa has been asked the same message; worker two's Rasa answers at once."""
    seen: dict[str, Any] = {"two_asked": asyncio.Event(), "stalled": False}

    async def slow_one(turn: Turn) -> list[dict[str, str]]:
        if not seen["stalled"]:
            seen["stalled"] = True
            time.sleep(LOCK_TTL * 3)  # a blocked loop: no renewal runs, the lock expires in Redis
            await seen["two_asked"].wait()
        return [{"text": f"một: {turn['message']}"}]

    async def quick_two(turn: Turn) -> list[dict[str, str]]:
        seen["two_asked"].set()
        return [{"text": f"hai: {turn['message']}"}]

    received: list[dict[str, Any]] = []
    one, two = FakeRasa(replies=slow_one, received=received), FakeRasa(replies=quick_two, received=received)
    async with over_asgi(gateway_app(settings, one, options())) as first, \
            over_asgi(gateway_app(settings, two, options())) as second:
        seen["received"] = received
        yield first, second, seen


async def test_a_lock_that_expired_under_a_stalled_loop_does_not_give_a_second_answer(
        two_workers: tuple[RunningApp, RunningApp, dict[str, Any]], bot_api: FakeBotAPI) -> None:
    first, second, seen = two_workers
    await deliver(first, "họ giữ lương của tôi")  # the webhook hands the lock to worker one
    await settle(first, second)
    assert [turn["message"] for turn in seen["received"]] == ["họ giữ lương của tôi"] * 2  # it did run twice
    answers = sent(bot_api)
    assert len(answers) == 1 and answers[0].endswith("họ giữ lương của tôi"), answers
