"""Issue #22: a message the gateway cannot read is never dropped in silence. The person is told, with the emergency
numbers (the consular line first when they are abroad); the operators see it; the log says so without the words."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from bot.channels import zalo
from bot.channels.notices import Notes
from bot.content import gateway_texts
from bot.settings import PROJECT_ROOT
from harness.botapi import FakeBotAPI, message_update, text_update
from harness.rasa import FakeRasa
from tests.channels.fakes import FakeZalo
from tests.channels.harness import Running
from tests.channels.test_zalo import CONVERSATION as ZALO_CONVERSATION
from tests.channels.test_zalo import deliver, event

NOTES = Notes.from_texts(gateway_texts(PROJECT_ROOT / "content" / "vi"))
CHAT = 737373
WORDS = "họ giữ hộ chiếu của tôi ở Campuchia"


def sent(bot_api: FakeBotAPI) -> list[tuple[str, str]]:
    return [(call["chat_id"], call["text"]) for call in bot_api.called("sendMessage")]


def errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.levelno >= logging.ERROR]


def logged(caplog: pytest.LogCaptureFixture) -> str:
    """Every line our code wrote. What an exception says is not in it: bot/logs.py prints only its type and place
    (tests/security/test_logs.py)."""
    return "\n".join(record.getMessage() for record in caplog.records)


async def test_content_nothing_here_reads_gets_the_numbers_once(running: Running, rasa: FakeRasa,
                                                                bot_api: FakeBotAPI) -> None:
    update = message_update(CHAT, story={"chat": {"id": 1, "type": "channel"}, "id": 7})  # a kind newer than us
    for _ in range(2):  # Telegram redelivers it: the person is told once
        assert (await running.telegram(update)).status_code == 200
    await running.settle()
    assert sent(bot_api) == [(str(CHAT), NOTES.unreadable)] and rasa.received == []
    transcript = await running.gateway.transcript.read(f"tg:{CHAT}")
    assert [(entry["from"], entry["kind"], entry["text"]) for entry in transcript] == [
        ("person", "unsupported", "[tin nhắn không đọc được]"), ("bot", "text", NOTES.unreadable)]


async def test_someone_abroad_gets_the_consular_line_first(running: Running, rasa: FakeRasa,
                                                          bot_api: FakeBotAPI) -> None:
    await running.telegram(text_update(CHAT, "em dang o sihanoukville"))
    await running.settle()
    await running.telegram(message_update(CHAT, text=12345))  # a text that is not one
    await running.settle()
    assert sent(bot_api)[-1] == (str(CHAT), NOTES.unreadable_abroad)


async def test_an_update_with_no_chat_is_logged_without_its_words(running: Running, bot_api: FakeBotAPI,
                                                                  caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="bot")
    response = await running.telegram({"update_id": 77, "message": {"message_id": 1, "text": WORDS}})
    await running.settle()
    assert response.status_code == 200 and sent(bot_api) == []
    assert "no chat to answer" in logged(caplog) and WORDS not in logged(caplog) and errors(caplog) == []


async def test_a_refused_update_is_read_from_its_raw_json_and_the_words_stay_out_of_the_log(
        running: Running, rasa: FakeRasa, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="bot")
    update: dict[str, Any] = text_update(CHAT, WORDS)
    del update["message"]["from"]["is_bot"], update["message"]["date"]
    await running.telegram(update)
    await running.settle()
    assert rasa.messages() == [WORDS]
    assert "python-telegram-bot refused it (TypeError)" in logged(caplog) and WORDS not in logged(caplog)


async def test_a_zalo_text_event_without_text_gets_the_numbers(running: Running, rasa: FakeRasa,
                                                               zalo_api: FakeZalo) -> None:
    data = event("user_send_text")
    data["message"]["text"] = {"unexpected": "shape"}
    assert (await deliver(running, data)).status_code == 200
    await running.settle()
    assert zalo_api.texts() == [NOTES.unreadable] and rasa.received == []


async def test_a_zalo_event_the_parser_fails_on_still_reaches_the_person(
        running: Running, zalo_api: FakeZalo, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    def broken(data: Any) -> None:
        raise ValueError(data["message"]["text"])  # a fault whose message holds the person's words

    monkeypatch.setattr(zalo, "parse_event", broken)
    assert (await deliver(running, event("user_send_text", text=WORDS))).status_code == 200
    await running.settle()
    assert [request.json["recipient"]["user_id"] for request in zalo_api.sends if request.json] == [
        ZALO_CONVERSATION.removeprefix("zalo:")]
    assert zalo_api.texts() == [NOTES.unreadable]
    assert errors(caplog) == ["zalo event not read: ValueError"] and WORDS not in logged(caplog)


async def test_a_zalo_event_without_a_sender_is_logged_and_not_answered(running: Running, zalo_api: FakeZalo,
                                                                       caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="bot")
    data = event("user_send_text", text=WORDS)
    del data["sender"]
    assert (await deliver(running, data)).status_code == 200
    await running.settle()
    assert zalo_api.sends == [] and "nobody to answer" in logged(caplog) and WORDS not in logged(caplog)
