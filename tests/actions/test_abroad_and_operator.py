"""Abroad first and who runs it, in the actions: the welcome puts the consular line first when the first message
shows the person is abroad, and names the operating organisation (CAUNOI_ORG_NAME) or nobody; "bot này của ai" /
"có phải công an không" is answered with who runs it, that the bot is not the police and rescues nobody itself."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from rasa.core.nlg.interpolator import interpolate_text
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.explain_official_channel import ActionExplainOfficialChannel
from actions.welcome import ActionWelcome
from bot.settings import get_settings
from tests.actions.recorded import domain, tracker_before

CONSULAR = "+84 981 84 84 84"
ORG = "Trung tâm Công tác xã hội tỉnh Thử Nghiệm"
CAMBODIA = [{"entity": "country", "value": "Campuchia", "start": 17, "end": 26,
             "extractor": "GazetteerEntityExtractor"}]


@pytest.fixture
def org(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("CAUNOI_ORG_NAME", ORG)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def no_org(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("CAUNOI_ORG_NAME", raising=False)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def shown(message: dict[str, Any]) -> str:
    """The text the person reads, filled in by Rasa's own interpolation from the action's values."""
    values = {key: value for key, value in message.items() if key not in ("response", "text", "buttons") and value}
    text = interpolate_text(str(domain()["responses"][message["response"]][0]["text"]), values)
    assert "{" not in text, text
    return text


def consular_first(text: str) -> bool:
    """The consular line is there, before any domestic short code."""
    return CONSULAR in text and all(text.index(CONSULAR) < text.index(code) for code in ("111", "113") if code in text)


async def welcome(tracker: Tracker) -> dict[str, Any]:
    dispatcher = CollectingDispatcher()
    assert await ActionWelcome().run(dispatcher, tracker, domain()) == []
    [message] = dispatcher.messages
    return message


async def test_a_first_message_from_cambodia_without_diacritics_gets_the_consular_line_first(no_org: None) -> None:
    tracker = tracker_before("hello", "action_welcome", text="chao, toi dang o campuchia", entities=CAMBODIA)
    message = await welcome(tracker)
    assert message["response"] == "utter_welcome_abroad"
    text = shown(message)
    assert consular_first(text) and "Bảo hộ công dân" in text
    assert "111" in text and "113" in text  # beside it, never alone: family at home, someone still at the border


async def test_a_country_remembered_from_earlier_counts_too(no_org: None) -> None:
    tracker = tracker_before("hello", "action_welcome")
    tracker.slots["country"] = "Myanmar"
    assert (await welcome(tracker))["response"] == "utter_welcome_abroad"


@pytest.mark.parametrize(("point", "response"), [
    ((10.62, 103.52), "utter_welcome_abroad"),  # Sihanoukville: inside An Giang's box, but Cambodia
    ((13.75, 100.50), "utter_welcome_abroad"),  # Bangkok
    ((21.03, 105.85), "utter_welcome"),  # Hà Nội
])
async def test_a_shared_gps_point_decides(no_org: None, point: tuple[float, float], response: str) -> None:
    latitude, longitude = point
    tracker = tracker_before("hello", "action_welcome", entities=CAMBODIA if response == "utter_welcome" else [],
                             metadata={"location": {"latitude": latitude, "longitude": longitude}})
    assert (await welcome(tracker))["response"] == response


async def test_without_a_place_the_welcome_gives_both_routes_and_names_nobody(no_org: None) -> None:
    message = await welcome(tracker_before("hello", "action_welcome"))
    assert message["response"] == "utter_welcome"
    text = shown(message)
    assert "113" in text and "111" in text and CONSULAR in text
    assert "Cầu Nối là kênh hỗ trợ miễn phí." in text and "vận hành" not in text
    assert "không phải công an" in text and "không tự giải cứu được ai" in text


async def test_the_welcome_names_the_operating_organisation(org: None) -> None:
    for tracker in (tracker_before("hello", "action_welcome"),
                    tracker_before("hello", "action_welcome", text="chao, toi dang o campuchia", entities=CAMBODIA)):
        assert f"Cầu Nối do {ORG} vận hành" in shown(await welcome(tracker))


async def ask(text: str) -> str:
    dispatcher = CollectingDispatcher()
    tracker = tracker_before("hello", "action_welcome", text=text, entities=[],
                             intent={"name": "bot_challenge", "confidence": 0.86}, metadata={"channel": "web"})
    assert await ActionExplainOfficialChannel().run(dispatcher, tracker, domain()) == []
    [message] = dispatcher.messages
    assert message["response"] == "utter_bot_challenge"
    return shown(message)


@pytest.mark.parametrize("question", ["bot nay cua ai", "ai đứng sau bot này", "day co phai cong an ko"])
async def test_whose_bot_with_the_setting_names_the_organisation(org: None, question: str) -> None:
    text = await ask(question)
    assert f"Cầu Nối do {ORG} vận hành" in text
    assert "không phải công an hay cơ quan nhà nước" in text and "không tự giải cứu được ai" in text
    assert "đúng nơi" in text and CONSULAR in text


@pytest.mark.parametrize("question", ["bot nay cua ai", "đây có phải công an không"])
async def test_whose_bot_without_the_setting_names_nobody_and_says_whom_to_ask(no_org: None, question: str) -> None:
    text = await ask(question)
    assert "vận hành Cầu Nối, bạn cứ hỏi người hỗ trợ" in text and " do " not in text
    assert "không phải công an hay cơ quan nhà nước" in text and "không tự giải cứu được ai" in text
