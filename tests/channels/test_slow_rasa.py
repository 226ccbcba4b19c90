"""Slow is not down (bot/gateway/dispatch.py): a turn Rasa has not answered after a while gets one holding message
with the safety numbers and goes on waiting for Rasa's answer; nobody is queued for it unless the message is
high-risk. Rasa failing (refused, an error, no answer in its timeout) is down: the conversation goes to the
operators as "bot unavailable".

The fake Rasa holds its answers until the test opens a gate, so "slow" here is an order of events, not a duration.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from bot.content import gateway_texts
from bot.settings import Settings
from harness.botapi import FakeBotAPI, text_update
from harness.rasa import Failure, FakeRasa, Turn
from harness.wait import until_async
from tests.channels.harness import Running

CHAT = 515151
CONVERSATION = f"tg:{CHAT}"
UNAVAILABLE = "Bot không trả lời (bot unavailable)"


@pytest.fixture
def channel_settings(channel_settings: Settings) -> Settings:
    # Holding after 50 ms; Rasa's own timeout stays far away: the gate, not the clock, decides when Rasa answers.
    return replace(channel_settings, rasa_holding_seconds=0.05, rasa_timeout_seconds=30.0)


class Gate:
    def __init__(self) -> None:
        self.open = asyncio.Event()

    async def __call__(self, turn: Turn) -> list[dict[str, str]]:
        await self.open.wait()
        return [{"text": f"Trả lời: {turn['message']}"}]


def texts(bot_api: FakeBotAPI) -> list[str]:
    return [call["text"] for call in bot_api.called("sendMessage") if call["chat_id"] == str(CHAT)]


def holding(settings: Settings) -> str:
    return gateway_texts(settings.content_dir).extra["holding"]


async def test_a_slow_turn_gets_one_holding_message_then_its_answer_and_nobody_is_queued(
        running: Running, rasa: FakeRasa, bot_api: FakeBotAPI, channel_settings: Settings) -> None:
    gate = Gate()
    rasa.replies = gate
    await running.telegram(text_update(CHAT, "cho mình hỏi về xuất khẩu lao động"))
    await until_async(lambda: texts(bot_api), 10, "the holding message")
    assert texts(bot_api) == [holding(channel_settings)]
    assert "113" in texts(bot_api)[0] and "111" in texts(bot_api)[0] and "+84 981 84 84 84" in texts(bot_api)[0]
    gate.open.set()
    await running.settle()
    assert texts(bot_api)[1:] == ["Trả lời: cho mình hỏi về xuất khẩu lao động"]

    gate.open.clear()  # slow again: the holding message is not sent a second time
    await running.telegram(text_update(CHAT, "công ty có cần giấy phép không"))
    await until_async(lambda: len(rasa.received) == 2, 10, "the second turn at Rasa")
    await asyncio.sleep(0.2)  # well past the holding point: a second holding message would be on its way
    gate.open.set()
    await running.settle()
    assert texts(bot_api) == [holding(channel_settings), "Trả lời: cho mình hỏi về xuất khẩu lao động",
                              "Trả lời: công ty có cần giấy phép không"]
    assert await running.gateway.queue.waiting() == []


async def test_typing_stops_once_the_holding_message_has_gone_out(running: Running, rasa: FakeRasa,
                                                                  bot_api: FakeBotAPI) -> None:
    """After "please wait" the person knows; a turn still waiting (behind others, under load) costs no more calls."""
    gate = Gate()
    rasa.replies = gate
    await running.telegram(text_update(CHAT, "cho mình hỏi về xuất khẩu lao động"))
    await until_async(lambda: texts(bot_api), 10, "the holding message")
    await asyncio.sleep(0.5)  # ten typing periods (typing_every 50 ms here)
    methods = bot_api.methods()
    assert "sendChatAction" not in methods[methods.index("sendMessage") + 1:]
    gate.open.set()
    await running.settle()
    assert texts(bot_api)[-1] == "Trả lời: cho mình hỏi về xuất khẩu lao động"


async def test_a_slow_turn_with_a_high_risk_message_goes_to_the_operators_while_rasa_works(
        running: Running, rasa: FakeRasa, bot_api: FakeBotAPI) -> None:
    gate = Gate()
    rasa.replies = gate
    await running.telegram(text_update(CHAT, "họ giữ hộ chiếu của tôi, không cho về"))

    async def queued() -> bool:
        return bool(await running.gateway.queue.waiting())

    await until_async(queued, 10, "the case in the queue before Rasa answers")
    [case] = await running.gateway.queue.waiting()
    assert case.conversation_id == CONVERSATION and case.risk == "high" and case.reasons[0] == UNAVAILABLE
    gate.open.set()
    await running.settle()
    assert texts(bot_api)[-1] == "Trả lời: họ giữ hộ chiếu của tôi, không cho về"  # Rasa's answer still comes


async def test_rasa_failing_is_down_the_degraded_answer_without_a_holding_message(
        running: Running, rasa: FakeRasa, bot_api: FakeBotAPI, channel_settings: Settings) -> None:
    rasa.failures["cho mình hỏi chút"] = Failure(status=500)
    await running.telegram(text_update(CHAT, "cho mình hỏi chút"))
    await running.settle()
    [case] = await running.gateway.queue.waiting()
    assert case.reasons == (UNAVAILABLE,)
    [sent] = texts(bot_api)
    assert sent == gateway_texts(channel_settings.content_dir).degraded
