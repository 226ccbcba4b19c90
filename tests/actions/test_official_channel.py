"""'làm sao biết đây là kênh thật?': the signs of a fake, and on Telegram the official username to compare with."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.common import response_text
from actions.explain_official_channel import ActionExplainOfficialChannel
from bot.settings import get_settings
from tests.actions.recorded import domain, tracker_before


@pytest.fixture
def username(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    monkeypatch.setenv("CAUNOI_TELEGRAM_BOT_USERNAME", "@caunoi_test_bot")
    get_settings.cache_clear()
    yield monkeypatch
    get_settings.cache_clear()


async def answer(channel: str) -> list[dict[str, object]]:
    dispatcher = CollectingDispatcher()
    tracker = tracker_before("hello", "action_welcome", text="làm sao biết đây là kênh thật?",
                             intent={"name": "bot_challenge", "confidence": 0.94}, metadata={"channel": channel})
    assert await ActionExplainOfficialChannel().run(dispatcher, tracker, domain()) == []
    return dispatcher.messages


async def test_on_telegram_the_answer_names_the_official_username(username: pytest.MonkeyPatch) -> None:
    first, second = await answer("telegram")
    assert first["response"] == "utter_bot_challenge"
    assert second["response"] == "utter_official_channel" and second["bot"] == "caunoi_test_bot"
    text = response_text(domain(), "utter_official_channel", bot=second["bot"])
    assert "@caunoi_test_bot" in text and "111" in text


async def test_elsewhere_or_without_a_username_the_signs_of_a_fake_are_the_answer(
        username: pytest.MonkeyPatch) -> None:
    assert [m["response"] for m in await answer("zalo")] == ["utter_bot_challenge"]
    username.setenv("CAUNOI_TELEGRAM_BOT_USERNAME", "")
    get_settings.cache_clear()
    assert [m["response"] for m in await answer("telegram")] == ["utter_bot_challenge"]
    bad = response_text(domain(), "utter_bot_challenge")
    assert "không bao giờ đòi tiền" in bad and "111" in bad
