"""The gateway's own numbers (Rasa down, danger while waiting) reach someone abroad as a number that works there:
the consular line first when the conversation shows they are abroad, both routes otherwise. Telegram, end to end."""

from __future__ import annotations

import pytest

from bot.channels.notices import Notes
from bot.content import gateway_texts
from bot.settings import PROJECT_ROOT
from bot.state.queue import Case, HandoffQueue
from harness.botapi import FakeBotAPI, message_update, text_update
from harness.rasa import FakeRasa
from tests.channels.harness import Running

NOTES = Notes.from_texts(gateway_texts(PROJECT_ROOT / "content" / "vi"))
CONSULAR = "+84 981 84 84 84"
CHAT = 515151


def sent(bot_api: FakeBotAPI) -> list[str]:
    return [call["text"] for call in bot_api.called("sendMessage")]


def test_the_abroad_texts_put_the_consular_line_first_and_never_give_a_short_code_alone() -> None:
    for text in (NOTES.degraded_abroad, NOTES.emergency_abroad):
        assert text.index(CONSULAR) < text.index("111") < text.index("113")
    for text in (NOTES.degraded, NOTES.emergency):
        assert CONSULAR in text and "111" in text and "113" in text


def test_danger_while_waiting_names_the_ambulance_where_it_works() -> None:
    # Someone waiting for a human who writes of an overdose or bleeding gets this text, not the bot's medical one.
    assert "115" in NOTES.emergency
    assert "115" not in NOTES.emergency_abroad and "cấp cứu của nước sở tại" in NOTES.emergency_abroad


@pytest.mark.parametrize("first", ["cuu toi voi, toi dang o ben cam", "họ nhốt em ở Sihanoukville",
                                   "e dang o myanmar bi giu ho chieu"])
async def test_rasa_down_on_a_first_message_from_abroad_gives_the_consular_line_first(
        running: Running, rasa: FakeRasa, bot_api: FakeBotAPI, first: str) -> None:
    rasa.down = True
    await running.telegram(text_update(CHAT, first))
    await running.settle()
    assert sent(bot_api) == [NOTES.degraded_abroad]
    [case] = await running.gateway.queue.waiting()  # still queued for a human, as before
    assert case.conversation_id == f"tg:{CHAT}"


async def test_rasa_down_later_remembers_a_country_named_earlier(running: Running, rasa: FakeRasa,
                                                                bot_api: FakeBotAPI) -> None:
    await running.telegram(text_update(CHAT, "toi dang o campuchia"))
    await running.settle()
    rasa.down = True
    await running.telegram(text_update(CHAT, "alo, con ai khong"))
    await running.settle()
    assert sent(bot_api)[-1] == NOTES.degraded_abroad


async def test_rasa_down_after_a_gps_point_abroad(running: Running, rasa: FakeRasa, bot_api: FakeBotAPI) -> None:
    await running.telegram(message_update(CHAT, location={"latitude": 10.6200, "longitude": 103.5200}))
    await running.settle()
    rasa.down = True
    await running.telegram(text_update(CHAT, "giup voi"))
    await running.settle()
    assert sent(bot_api)[-1] == NOTES.degraded_abroad


async def test_rasa_down_in_vietnam_or_nowhere_known_gives_both_routes(running: Running, rasa: FakeRasa,
                                                                       bot_api: FakeBotAPI) -> None:
    await running.telegram(message_update(CHAT, location={"latitude": 21.0280, "longitude": 105.8540}))  # Hà Nội
    await running.settle()
    rasa.down = True
    await running.telegram(text_update(CHAT, "họ bảo đưa tôi sang campuchia, tôi đang ở nhà nghỉ"))
    await running.telegram(text_update(CHAT + 1, "họ giữ hộ chiếu của tôi"))
    await running.settle()
    texts = [call["text"] for call in bot_api.called("sendMessage")]
    assert texts.count(NOTES.degraded) == 2 and NOTES.degraded_abroad not in texts  # the Hà Nội point decides


async def test_danger_while_waiting_abroad_gets_the_consular_line_first(running: Running, rasa: FakeRasa,
                                                                        bot_api: FakeBotAPI) -> None:
    for chat, wrote in ((CHAT, "em o ben lao"), (CHAT + 1, "em ở Nghệ An")):
        await running.gateway.transcript.append(f"tg:{chat}", "person", wrote)
        await HandoffQueue(running.redis).enqueue(Case(f"tg:{chat}", "telegram", "medium"))
        await running.telegram(text_update(chat, "ho dang danh toi, cuu voi"))
    await running.settle()
    assert rasa.received == []
    by_chat = {int(call["chat_id"]): call["text"] for call in bot_api.called("sendMessage")}
    assert by_chat == {CHAT: NOTES.emergency_abroad, CHAT + 1: NOTES.emergency}
