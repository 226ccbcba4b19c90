"""Telegram end to end: webhook → inbox → dispatcher → the real python-telegram-bot → the Bot API double."""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import replace
from typing import Any

import pytest
import redis.asyncio

from bot.channels.buttons import code_for
from bot.gateway.parts import GatewayOptions
from bot.settings import Settings
from bot.state import keys
from bot.state.erase import ERASE_PAYLOAD
from bot.state.queue import Case, HandoffQueue
from harness.botapi import Behaviour, FakeBotAPI, callback_update, message_update, text_update
from harness.rasa import FakeRasa
from tests.channels.harness import Running, Sleeps, run_gateway

CHAT = 424242
CONVERSATION = f"tg:{CHAT}"
SHELTER = '/find_service{"service_type": "shelter"}'


def replies_with(*replies: dict[str, Any]) -> Any:
    return lambda message: [{"recipient_id": message["sender"], **reply} for reply in replies]


async def test_start_with_a_campaign_code_greets_with_the_code_in_metadata(running: Running, rasa: FakeRasa,
                                                                           bot_api: FakeBotAPI) -> None:
    rasa.replies = replies_with({"text": "Chào bạn, mình là Cầu Nối."})
    response = await running.telegram(text_update(CHAT, "/start tet-2026_HN"))
    assert response.status_code == 200
    await running.settle()
    assert rasa.received == [{"sender": CONVERSATION, "message": "/greet", "input_channel": "telegram",
                              "metadata": {"channel": "telegram", "campaign": "tet-2026_HN"}}]
    sent = bot_api.called("sendMessage")
    assert [(m["chat_id"], m["text"]) for m in sent] == [(str(CHAT), "Chào bạn, mình là Cầu Nối.")]
    assert "parse_mode" not in sent[0]


@pytest.mark.parametrize("text", ["/start", "/start " + "x" * 65, "/start bad!code", "/start@caunoi_test_bot"])
async def test_plain_or_invalid_start_greets_without_a_campaign(running: Running, rasa: FakeRasa, text: str) -> None:
    await running.telegram(text_update(CHAT, text))
    await running.settle()
    assert rasa.received[0]["message"] == "/greet"
    assert rasa.received[0]["metadata"] == {"channel": "telegram"}


async def test_typed_text_never_forces_an_intent_and_xoa_asks_to_delete(running: Running, rasa: FakeRasa) -> None:
    await running.telegram(text_update(CHAT, "/report_danger{}"))
    await running.telegram(text_update(CHAT, "/xoa"))
    await running.settle()
    assert rasa.messages() == ["report_danger{}", "/delete_my_data"]


async def test_button_press_sends_the_original_payload(running: Running, rasa: FakeRasa,
                                                       bot_api: FakeBotAPI) -> None:
    rasa.replies = replies_with({"text": "Bạn cần gì?", "buttons": [
        {"title": "Nơi ở an toàn", "payload": SHELTER}, {"title": "Tư vấn pháp lý", "payload": "/find_service"}]})
    await running.telegram(text_update(CHAT, "toi can giup"))
    await running.settle()
    keyboard = bot_api.called("sendMessage")[0]["reply_markup"]["inline_keyboard"]
    codes = [row[0]["callback_data"] for row in keyboard]
    assert [row[0]["text"] for row in keyboard] == ["Nơi ở an toàn", "Tư vấn pháp lý"]
    assert all(code.isascii() and len(code.encode()) <= 64 for code in codes)

    await running.telegram(callback_update(CHAT, codes[0]))
    await running.settle()
    assert rasa.messages()[-1] == SHELTER
    assert len(bot_api.called("answerCallbackQuery")) == 1
    transcript = await running.gateway.transcript.read(CONVERSATION)
    assert {"from": "person", "text": "[nút] Nơi ở an toàn", "kind": "button"}.items() <= transcript[2].items()


async def test_unknown_button_code_is_a_gentle_no_op(running: Running, rasa: FakeRasa, bot_api: FakeBotAPI) -> None:
    await running.telegram(callback_update(CHAT, code_for("/never_shown")))
    await running.telegram(callback_update(CHAT, "forged"))
    await running.settle()
    assert rasa.received == []
    assert len(bot_api.called("answerCallbackQuery")) == 2
    assert all("Nút này đã cũ" in m["text"] for m in bot_api.called("sendMessage"))


async def test_location_goes_to_rasa_as_inform_location(running: Running, rasa: FakeRasa) -> None:
    await running.telegram(message_update(CHAT, location={"latitude": 10.7769, "longitude": 106.7009}))
    await running.settle()
    assert rasa.received[0]["message"] == "/inform_location"
    assert rasa.received[0]["metadata"] == {"channel": "telegram",
                                            "location": {"latitude": 10.7769, "longitude": 106.7009}}


@pytest.mark.parametrize(("content", "label"), [
    ({"video_note": {"file_id": "f2", "file_unique_id": "u2", "length": 9, "duration": 3}}, "[video]"),
    ({"sticker": {"file_id": "f3", "file_unique_id": "u3", "width": 9, "height": 9, "is_animated": False,
                  "is_video": False, "type": "regular"}}, "[nhãn dán]"),
    ({"contact": {"phone_number": "0900000000", "first_name": "A"}}, "[danh thiếp]"),
])
async def test_non_text_gets_a_text_only_note_and_a_transcript_label(running: Running, rasa: FakeRasa,
                                                                     bot_api: FakeBotAPI, content: dict[str, Any],
                                                                     label: str) -> None:
    await running.telegram(message_update(CHAT, **content))
    await running.settle()
    assert rasa.received == []
    assert "chỉ đọc được tin nhắn chữ" in bot_api.called("sendMessage")[0]["text"]
    transcript = await running.gateway.transcript.read(CONVERSATION)
    assert next((entry["from"], entry["text"]) for entry in transcript) == ("person", label)


async def test_a_photo_caption_is_still_read(running: Running, rasa: FakeRasa) -> None:
    photo = [{"file_id": "f1", "file_unique_id": "u1", "width": 90, "height": 90}]
    await running.telegram(message_update(CHAT, photo=photo, caption="họ giữ hộ chiếu của tôi"))
    await running.settle()
    assert rasa.messages() == ["họ giữ hộ chiếu của tôi"]
    assert (await running.gateway.transcript.read(CONVERSATION))[0]["text"] == "[ảnh] họ giữ hộ chiếu của tôi"


@pytest.mark.parametrize("secret", [None, "wrong-secret", ""])
async def test_forged_webhook_is_refused_and_stores_nothing(running: Running, rasa: FakeRasa, secret: str | None,
                                                            bot_api: FakeBotAPI) -> None:
    response = await running.telegram(text_update(CHAT, "xin chào"), secret=secret)
    assert response.status_code == 403
    await running.settle()
    assert await running.redis.keys("*") == []
    assert rasa.received == [] and bot_api.called("sendMessage") == []


async def test_redelivered_update_is_processed_once(running: Running, rasa: FakeRasa, bot_api: FakeBotAPI) -> None:
    update = text_update(CHAT, "xin chào")
    for _ in range(3):
        assert (await running.telegram(update)).status_code == 200
    await running.settle()
    assert rasa.messages() == ["xin chào"]
    assert len(bot_api.called("sendMessage")) == 1


async def test_edited_message_is_read_as_a_new_message(running: Running, rasa: FakeRasa) -> None:
    await running.telegram(text_update(CHAT, "toi o ha noi"))
    await running.telegram(text_update(CHAT, "tôi ở Hà Nội", edited=True))
    await running.settle()
    assert rasa.messages() == ["toi o ha noi", "tôi ở Hà Nội"]


async def test_group_messages_get_one_note_and_never_reach_rasa(running: Running, rasa: FakeRasa,
                                                                bot_api: FakeBotAPI) -> None:
    for text in ("xin chào", "có ai không", "/start"):
        await running.telegram(text_update(-100123, text, chat_type="supergroup"))
    await running.settle()
    assert rasa.received == []
    sent = bot_api.called("sendMessage")
    assert len(sent) == 1 and sent[0]["chat_id"] == "-100123" and "trò chuyện riêng" in sent[0]["text"]


async def test_429_waits_retry_after_then_delivers(running: Running, bot_api: FakeBotAPI, sleeps: Sleeps) -> None:
    bot_api.answer("sendMessage", Behaviour("429", 7))
    await running.telegram(text_update(CHAT, "xin chào"))
    await running.settle()
    assert len(bot_api.called("sendMessage")) == 2
    assert 7.0 in sleeps.delays
    assert await running.gateway.dead_letters.read() == []


async def test_5xx_every_time_ends_in_the_dead_letters(running: Running, bot_api: FakeBotAPI,
                                                       sleeps: Sleeps) -> None:
    bot_api.answer("sendMessage", *[Behaviour("5xx", 502)] * 3)
    await running.telegram(text_update(CHAT, "xin chào"))
    await running.settle()
    assert len(bot_api.called("sendMessage")) == 3  # the retry policy's three attempts
    [letter] = await running.gateway.dead_letters.read()
    assert letter["conversation_id"] == CONVERSATION and letter["channel"] == "telegram"
    assert "after 3 attempts" in letter["reason"] and letter["text"] == "Đã nhận: xin chào"
    assert letter["at"] > 0
    last = (await running.gateway.transcript.read(CONVERSATION))[-1]
    assert last["from"] == "bot" and last["undeliverable"] is True


async def test_a_hanging_bot_api_times_out_and_is_retried(running: Running, bot_api: FakeBotAPI) -> None:
    bot_api.answer("sendMessage", Behaviour("hang", 3.0))  # longer than the 1 s test timeout
    await running.telegram(text_update(CHAT, "xin chào"))
    await running.settle()
    assert len(bot_api.called("sendMessage")) == 2
    assert await running.gateway.dead_letters.read() == []


async def test_blocked_bot_is_undeliverable_without_retries(running: Running, bot_api: FakeBotAPI) -> None:
    bot_api.answer("sendMessage", Behaviour("403"))
    await running.telegram(text_update(CHAT, "xin chào"))
    await running.settle()
    assert len(bot_api.called("sendMessage")) == 1
    [letter] = await running.gateway.dead_letters.read()
    assert letter["reason"].startswith("undeliverable: telegram: Forbidden")


async def test_rasa_down_gives_the_emergency_numbers_and_a_place_in_the_queue(running: Running, rasa: FakeRasa,
                                                                              bot_api: FakeBotAPI) -> None:
    rasa.down = True
    await running.telegram(text_update(CHAT, "họ giữ hộ chiếu của tôi, không cho về"))
    await running.settle()
    text = bot_api.called("sendMessage")[0]["text"]
    assert "111" in text and "113" in text and "+84 981 84 84 84" in text
    [case] = await running.gateway.queue.waiting()
    assert case.conversation_id == CONVERSATION and case.channel == "telegram"
    assert case.risk == "high" and case.reasons[0] == "Bot không trả lời (bot unavailable)" and case.summary == ""
    transcript = await running.gateway.transcript.read(CONVERSATION)
    assert transcript[0]["text"] == "họ giữ hộ chiếu của tôi, không cho về"


async def test_rasa_down_still_puts_an_overdose_first_in_the_queue(running: Running, rasa: FakeRasa,
                                                                    bot_api: FakeBotAPI) -> None:
    await HandoffQueue(running.redis).enqueue(Case("tg:older", "telegram", "high", enqueued_at=1.0))
    rasa.down = True
    await running.telegram(text_update(CHAT, "toi uong thuoc qua lieu roi"))
    await running.settle()
    first = (await running.gateway.queue.waiting())[0]
    assert first.conversation_id == CONVERSATION
    assert "Cấp cứu y tế: bị thương, chảy máu, quá liều hoặc bất tỉnh" in first.reasons


async def test_rasa_too_slow_queues_at_medium_risk_at_least(running: Running, rasa: FakeRasa,
                                                            bot_api: FakeBotAPI) -> None:
    rasa.slow, rasa.delay = True, 0.3  # Rasa gives up after a while: the person sees "typing" meanwhile
    await running.telegram(text_update(CHAT, "cho mình hỏi chút"))
    await running.settle()
    [case] = await running.gateway.queue.waiting()
    assert case.risk == "medium" and case.reasons == ("Bot không trả lời (bot unavailable)",)
    assert "typing" in [m["action"] for m in bot_api.called("sendChatAction")]


async def test_waiting_for_a_human_keeps_rasa_out(running: Running, rasa: FakeRasa, bot_api: FakeBotAPI) -> None:
    await HandoffQueue(running.redis).enqueue(Case(CONVERSATION, "telegram", "medium"))
    await running.telegram(text_update(CHAT, "bao giờ có người trả lời?"))
    await running.settle()
    assert rasa.received == [] and bot_api.called("sendMessage") == []
    transcript = await running.gateway.transcript.read(CONVERSATION)
    assert [(e["from"], e["text"]) for e in transcript] == [("person", "bao giờ có người trả lời?")]


async def test_danger_words_while_waiting_get_the_emergency_numbers(running: Running, rasa: FakeRasa,
                                                                    bot_api: FakeBotAPI) -> None:
    await HandoffQueue(running.redis).enqueue(Case(CONVERSATION, "telegram", "medium"))
    await running.telegram(text_update(CHAT, "ho dang danh toi, toi bi nhot trong phong"))
    await running.telegram(text_update(CHAT, "cứu với, họ đánh tôi"))  # again at once: not repeated
    await running.settle()
    assert rasa.received == []
    [sent] = bot_api.called("sendMessage")
    assert "113" in sent["text"] and "111" in sent["text"]


async def test_human_mode_keeps_the_bot_quiet_even_on_danger(running: Running, rasa: FakeRasa,
                                                              bot_api: FakeBotAPI) -> None:
    await running.redis.set(keys.conversation_mode(CONVERSATION), "human")
    await running.telegram(text_update(CHAT, "ho dang danh toi"))
    await running.settle()
    assert rasa.received == [] and bot_api.called("sendMessage") == []


async def test_long_replies_are_split_at_sentences(running: Running, rasa: FakeRasa, bot_api: FakeBotAPI) -> None:
    sentence = "Đây là một câu khá dài về quyền của người lao động ở nước ngoài. "
    rasa.replies = replies_with({"text": sentence * 150})
    await running.telegram(text_update(CHAT, "quyen lao dong"))
    await running.settle()
    parts = [m["text"] for m in bot_api.called("sendMessage")]
    assert len(parts) == 3 and all(len(part) <= 4096 for part in parts)
    assert all(part.endswith(".") for part in parts)
    assert " ".join(parts) == (sentence * 150).strip()


async def test_location_request_and_protected_content(running: Running, rasa: FakeRasa, bot_api: FakeBotAPI) -> None:
    rasa.replies = replies_with({"text": "Bạn đang ở đâu?"}, {"custom": {"request_location": True}},
                                {"text": "Số khẩn cấp: 113"}, {"custom": {"protect_content": True}})
    await running.telegram(text_update(CHAT, "tim noi o"))
    await running.settle()
    first, second = bot_api.called("sendMessage")
    assert first["reply_markup"] == {"keyboard": [[{"text": "📍 Gửi vị trí của tôi", "request_location": True}]],
                                     "one_time_keyboard": True, "resize_keyboard": True}
    assert first.get("protect_content") in (None, "false", False)
    assert second["protect_content"] in (True, "true")


async def test_one_conversation_in_order_while_two_run_in_parallel(running: Running, rasa: FakeRasa,
                                                                   bot_api: FakeBotAPI) -> None:
    rasa.delay = 0.05
    for number in range(5):
        await running.telegram(text_update(1001, f"a{number}"))
        await running.telegram(text_update(1002, f"b{number}"))
    await running.settle()
    assert rasa.messages("tg:1001") == [f"a{n}" for n in range(5)]
    assert rasa.messages("tg:1002") == [f"b{n}" for n in range(5)]
    for sender in ("tg:1001", "tg:1002"):
        spans = [(start, end) for who, _, start, end in rasa.spans if who == sender]
        assert all(end <= next_start for (_, end), (next_start, _) in itertools.pairwise(spans))
    a = [(start, end) for who, _, start, end in rasa.spans if who == "tg:1001"]
    b = [(start, end) for who, _, start, end in rasa.spans if who == "tg:1002"]
    assert any(sa < eb and sb < ea for sa, ea in a for sb, eb in b), "the two conversations never overlapped"
    texts = {chat: [m["text"] for m in bot_api.called("sendMessage") if m["chat_id"] == str(chat)]
             for chat in (1001, 1002)}
    assert texts[1001] == [f"Đã nhận: a{n}" for n in range(5)]


async def test_inbox_entries_survive_sealed(running: Running) -> None:
    await running.gateway.worker.stop()  # nobody drains: the message waits in Redis, whole
    await running.telegram(text_update(CHAT, "xin chào"))
    [raw] = await running.redis.lrange(keys.inbox(CONVERSATION), 0, -1)
    assert "xin chào" not in raw
    assert running.gateway.inbox.open(raw).text == "xin chào"
    assert await running.gateway.inbox.pending() == [CONVERSATION]


async def test_deleting_my_data_erases_after_the_reply_is_out(running: Running, rasa: FakeRasa,
                                                              bot_api: FakeBotAPI) -> None:
    await running.telegram(text_update(CHAT, "xin chào"))
    await running.settle()
    await running.gateway.dead_letters.add(CONVERSATION, "telegram", "test", "Chào")
    # As action_delete_my_data answers (actions/delete_my_data.py): what was deleted, then the request to erase.
    rasa.replies = replies_with({"text": "Mình đã xóa dữ liệu của bạn."}, {"custom": ERASE_PAYLOAD})
    await running.telegram(text_update(CHAT, "/xoa"))
    await running.settle()
    assert rasa.messages()[-1] == "/delete_my_data"
    # The reply, then what the bot also deleted from the chat (tests/channels/test_telegram_cleanup.py).
    assert bot_api.called("sendMessage")[-2]["text"] == "Mình đã xóa dữ liệu của bạn."
    assert await running.gateway.transcript.read(CONVERSATION) == []
    assert await running.gateway.dead_letters.read() == []
    assert not [key for key in await running.redis.keys(f"*{CONVERSATION}*") if "rate" not in key]


async def test_protection_can_be_switched_off(channel_settings: Settings, rasa: FakeRasa, options: GatewayOptions,
                                              bot_api: FakeBotAPI, redis_client: redis.asyncio.Redis) -> None:
    settings = replace(channel_settings, telegram_protect_safety=False)
    rasa.replies = replies_with({"text": "Số khẩn cấp: 113"}, {"custom": {"protect_content": True}})
    async with run_gateway(settings, rasa, options, redis_client) as gateway:
        await gateway.telegram(text_update(CHAT, "so khan cap"))
        await gateway.settle()
    assert bot_api.called("sendMessage")[0].get("protect_content") in (None, False, "false")


async def test_the_message_is_recorded_while_rasa_works_and_before_the_answer(running: Running, rasa: FakeRasa,
                                                                              bot_api: FakeBotAPI) -> None:
    rasa.delay = 0.3
    await running.telegram(text_update(CHAT, "họ giữ hộ chiếu của tôi"))
    for _ in range(100):  # Rasa has the message and has not answered yet
        if rasa.received:
            break
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.1)
    assert bot_api.called("sendMessage") == []
    assert [entry["from"] for entry in await running.gateway.transcript.read(CONVERSATION)] == ["person"]
    await running.settle()
    transcript = await running.gateway.transcript.read(CONVERSATION)
    assert [(entry["from"], entry["text"]) for entry in transcript] == [
        ("person", "họ giữ hộ chiếu của tôi"), ("bot", "Đã nhận: họ giữ hộ chiếu của tôi")]


async def test_a_message_that_cannot_be_recorded_is_not_answered_as_if_it_were(
        running: Running, rasa: FakeRasa, bot_api: FakeBotAPI, monkeypatch: pytest.MonkeyPatch) -> None:
    async def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("transcript unavailable")

    monkeypatch.setattr(running.gateway.dispatcher, "_record", broken)
    await running.telegram(text_update(CHAT, "xin chào"))
    await running.settle()
    assert bot_api.called("sendMessage") == []  # Rasa's answer is not sent over a hole in the transcript
    [letter] = await running.gateway.dead_letters.read()  # the operator sees the message that failed
    assert (letter["direction"], letter["reason"]) == ("inbound", "processing failed: RuntimeError")
