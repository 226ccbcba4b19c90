"""Pictures and voice notes while the bot holds the conversation, through the Telegram and Zalo doubles: the picture
is fetched from the platform (getFile and its download; Zalo's attachment URL) and read by the real Tesseract; what
Rasa gets is checked (FakeRasa). Pictures are made here (harness/pictures.py)."""

from __future__ import annotations

import shutil

import pytest

from bot.gateway.attachments import JOB_CHECK, VOICE_NOTE
from bot.gateway.dispatch import risk_reader
from bot.state.queue import HandoffQueue
from harness.botapi import FakeBotAPI, message_update, text_update
from harness.pictures import CONTRACT, JOB_AD, THREAT, picture
from harness.rasa import FakeRasa
from tests.channels.fakes import FakeZalo
from tests.channels.harness import Running
from tests.channels.test_zalo import CONVERSATION as ZALO_CONVERSATION
from tests.channels.test_zalo import deliver, event

pytestmark = pytest.mark.skipif(shutil.which("tesseract") is None,
                                reason="tesseract is not installed (scripts/bootstrap installs it)")
CHAT = 515151
CONVERSATION = f"tg:{CHAT}"
IMAGE_URL = "https://example.invalid/i.jpg"


def photo(file_id: str) -> list[dict[str, object]]:
    return [{"file_id": f"{file_id}-small", "file_unique_id": "s", "width": 90, "height": 60},
            {"file_id": file_id, "file_unique_id": "l", "width": 1080, "height": 720}]


def sent(bot_api: FakeBotAPI) -> list[str]:
    return [str(call["text"]) for call in bot_api.called("sendMessage")]


async def test_a_job_ad_screenshot_starts_the_check_with_what_it_says(running: Running, rasa: FakeRasa,
                                                                     bot_api: FakeBotAPI) -> None:
    bot_api.put_file("ad", picture(JOB_AD))
    await running.telegram(message_update(CHAT, photo=photo("ad")))
    await running.settle()
    assert [call["file_id"] for call in bot_api.called("getFile")] == ["ad"]  # the largest size
    [turn] = rasa.received
    assert turn["message"] == JOB_CHECK
    words = turn["metadata"]["picture"].lower()
    for said in ("campuchia", "việc nhẹ lương cao", "bao vé máy bay", "đặt cọc"):
        assert said in words
    assert sent(bot_api)[0].startswith("Mình đọc được trong ảnh: «")
    assert "CAMPUCHIA" in sent(bot_api)[0].upper()  # nothing read reaches the log: tests/security/test_log_leaks.py


async def test_a_threat_in_a_chat_screenshot_goes_to_the_nlu_as_words(running: Running, rasa: FakeRasa,
                                                                     bot_api: FakeBotAPI) -> None:
    bot_api.put_file("chat", picture(THREAT))
    await running.telegram(message_update(CHAT, photo=photo("chat")))
    await running.settle()
    [turn] = rasa.received
    assert turn["message"] != JOB_CHECK and turn["metadata"].get("picture_words") is True
    assert "hộ chiếu" in turn["message"].lower()
    risk = risk_reader(running.gateway.settings.content_dir)  # the NLU's triage, as the gateway runs it
    assert risk.of([turn["message"]]).level == "high"  # what the NLU's triage makes of it


async def test_a_job_ad_with_words_of_danger_goes_to_the_nlu_not_the_check(running: Running, rasa: FakeRasa,
                                                                           bot_api: FakeBotAPI) -> None:
    bot_api.put_file("ad-danger", picture((*JOB_AD[:4], "Em bị nhốt, bị đánh, cứu em với")))
    await running.telegram(message_update(CHAT, photo=photo("ad-danger")))
    await running.settle()
    [turn] = rasa.received
    assert turn["message"] != JOB_CHECK and "cứu em" in turn["message"].lower()
    assert not sent(bot_api)[0].startswith("Mình đọc được trong ảnh")


async def test_a_contract_that_keeps_the_passport_starts_the_check(running: Running, rasa: FakeRasa,
                                                                    bot_api: FakeBotAPI) -> None:
    """"Bên A giữ hộ chiếu" is a term of the offer for the check to name, not someone held: no handoff."""
    bot_api.put_file("contract", picture(CONTRACT))
    await running.telegram(message_update(CHAT, photo=photo("contract")))
    await running.settle()
    [turn] = rasa.received
    assert turn["message"] == JOB_CHECK and "giữ hộ chiếu" in turn["metadata"]["picture"].lower()
    assert sent(bot_api)[0].startswith("Mình đọc được trong ảnh: «")
    assert await running.gateway.queue.mode(CONVERSATION) == "bot"


@pytest.mark.parametrize("caption", ["Họ giữ hộ chiếu của em rồi, không cho em về",
                                     "ho giu ho chieu cua e r ko cho e ve"])
async def test_the_same_contract_with_a_caption_of_danger_goes_to_the_nlu(running: Running, rasa: FakeRasa,
                                                                           bot_api: FakeBotAPI, caption: str) -> None:
    """The person's own words weigh in full: their passport kept now, and not let go home."""
    bot_api.put_file("contract-held", picture(CONTRACT))
    await running.telegram(message_update(CHAT, photo=photo("contract-held"), caption=caption))
    await running.settle()
    [turn] = rasa.received
    assert turn["message"] != JOB_CHECK and turn["metadata"].get("picture_words") is True
    assert not sent(bot_api) or not sent(bot_api)[0].startswith("Mình đọc được trong ảnh")


async def test_a_blank_picture_asks_for_the_facts_in_words(running: Running, rasa: FakeRasa,
                                                           bot_api: FakeBotAPI) -> None:
    bot_api.put_file("blank", picture(()))
    await running.telegram(message_update(CHAT, photo=photo("blank")))
    await running.settle()
    assert rasa.received == []
    assert "chưa đọc được chữ nào trong ảnh" in sent(bot_api)[0]
    # A picture with no words is not always a job ad (a photo of where the person is): a way to a human is offered.
    assert "Nếu đó là một lời mời việc làm" in sent(bot_api)[0] and "gặp người hỗ trợ" in sent(bot_api)[0]


async def test_an_image_sent_as_a_file_is_read_too(running: Running, rasa: FakeRasa, bot_api: FakeBotAPI) -> None:
    bot_api.put_file("doc", picture(JOB_AD, kind="JPEG"))
    document = {"file_id": "doc", "file_unique_id": "d", "file_name": "tuyen.jpg", "mime_type": "image/jpeg"}
    await running.telegram(message_update(CHAT, document=document))
    await running.settle()
    assert rasa.messages() == [JOB_CHECK]


async def test_a_picture_too_large_gets_a_clear_answer_and_is_not_downloaded(running: Running, rasa: FakeRasa,
                                                                            bot_api: FakeBotAPI) -> None:
    big = [{"file_id": "big", "file_unique_id": "b", "width": 9000, "height": 9000, "file_size": 50_000_000}]
    await running.telegram(message_update(CHAT, photo=big))
    await running.settle()
    assert rasa.received == [] and bot_api.called("getFile") == []
    assert "lớn quá" in sent(bot_api)[0]


async def test_not_a_picture_at_all_is_answered_kindly(running: Running, rasa: FakeRasa,
                                                       bot_api: FakeBotAPI) -> None:
    bot_api.put_file("junk", b"\x89PNG not really" * 10)
    await running.telegram(message_update(CHAT, photo=photo("junk")))
    await running.settle()
    assert rasa.received == []
    assert "chưa đọc được chữ nào trong ảnh" in sent(bot_api)[0]


async def test_a_voice_note_as_a_first_message_goes_to_the_queue(running: Running, rasa: FakeRasa,
                                                                 bot_api: FakeBotAPI) -> None:
    await running.telegram(message_update(CHAT, voice={"file_id": "v", "file_unique_id": "v", "duration": 4}))
    await running.settle()
    assert rasa.received == []
    queue: HandoffQueue = running.gateway.queue
    assert await queue.mode(CONVERSATION) == "waiting"
    case = await queue.case(CONVERSATION)
    assert case is not None and VOICE_NOTE in case.reasons
    assert "người hỗ trợ" in sent(bot_api)[0] and "113" in sent(bot_api)[0]


async def test_a_voice_note_later_in_a_calm_conversation_asks_for_words(running: Running, rasa: FakeRasa,
                                                                        bot_api: FakeBotAPI) -> None:
    await running.telegram(text_update(CHAT, "cho mình hỏi về việc làm ở Nhật"))
    await running.settle()
    await running.telegram(message_update(CHAT, voice={"file_id": "v", "file_unique_id": "v", "duration": 4}))
    await running.settle()
    assert await running.gateway.queue.mode(CONVERSATION) == "bot"
    assert sent(bot_api)[-1].startswith("Mình chưa nghe được tin nhắn thoại — bạn nhắn chữ giúp mình")


async def test_a_voice_note_after_words_of_danger_goes_to_the_queue(running: Running, rasa: FakeRasa,
                                                                    bot_api: FakeBotAPI) -> None:
    await running.telegram(text_update(CHAT, "họ nhốt tôi và giữ hộ chiếu, tôi bị đánh"))
    await running.settle()
    await running.telegram(message_update(CHAT, voice={"file_id": "v", "file_unique_id": "v", "duration": 4}))
    await running.settle()
    assert await running.gateway.queue.mode(CONVERSATION) == "waiting"
    case = await running.gateway.queue.case(CONVERSATION)
    assert case is not None and case.risk == "high"


async def test_a_voice_note_from_someone_abroad_in_danger_gets_the_consular_line_first(
        running: Running, rasa: FakeRasa, bot_api: FakeBotAPI) -> None:
    """111 and 113 cannot be dialled from abroad: the voice note's answer leads with a number that works there."""
    await running.telegram(text_update(CHAT, "e dang o campuchia, ho giu ho chieu va danh e"))
    await running.settle()
    await running.telegram(message_update(CHAT, voice={"file_id": "v", "file_unique_id": "v", "duration": 4}))
    await running.settle()
    assert await running.gateway.queue.mode(CONVERSATION) == "waiting"
    answer = sent(bot_api)[-1]
    assert answer.startswith("Mình chưa nghe được tin nhắn thoại, nên mình đã chuyển cho người hỗ trợ")
    assert "+84 981 84 84 84" in answer and "113" not in answer
    assert answer.index("+84 981 84 84 84") < answer.index("111")


async def test_zalo_a_job_ad_image_is_fetched_from_its_url_and_read(running: Running, rasa: FakeRasa,
                                                                    zalo_api: FakeZalo) -> None:
    zalo_api.files[IMAGE_URL] = picture(JOB_AD)
    await deliver(running, event("user_send_image"))
    await running.settle()
    assert zalo_api.downloads == [IMAGE_URL]
    assert rasa.messages(ZALO_CONVERSATION) == [JOB_CHECK]
    assert zalo_api.texts()[0].startswith("Mình đọc được trong ảnh:")


async def test_zalo_a_blank_image_asks_for_the_facts(running: Running, rasa: FakeRasa, zalo_api: FakeZalo) -> None:
    zalo_api.files[IMAGE_URL] = picture(())
    await deliver(running, event("user_send_image"))
    await running.settle()
    assert rasa.received == []
    assert "chưa đọc được chữ nào trong ảnh" in zalo_api.texts()[0]


async def test_zalo_a_voice_note_as_a_first_message_is_kept_and_goes_to_the_queue(running: Running, rasa: FakeRasa,
                                                                                   zalo_api: FakeZalo) -> None:
    data = event("user_send_image", event_name="user_send_audio")
    data["message"]["attachments"] = [{"type": "audio", "payload": {"url": "https://example.invalid/v.aac"}}]
    zalo_api.files["https://example.invalid/v.aac"] = b"\xff\xf1 aac voice"
    await deliver(running, data)
    await running.settle()
    assert rasa.received == []
    assert await running.gateway.queue.mode(ZALO_CONVERSATION) == "waiting"
    assert "người hỗ trợ" in zalo_api.texts()[0]
    store = running.gateway.attachments
    assert store is not None
    [entry] = await running.gateway.transcript.read(ZALO_CONVERSATION, 0, 0)
    kept = await store.get(ZALO_CONVERSATION, entry["attachment"])
    assert kept is not None and kept.kind == "voice" and kept.data == b"\xff\xf1 aac voice"
