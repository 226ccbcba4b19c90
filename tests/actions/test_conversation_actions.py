from __future__ import annotations

import pytest
import redis.asyncio
from rasa_sdk import Tracker
from rasa_sdk.events import AllSlotsReset, SlotSet
from rasa_sdk.executor import CollectingDispatcher

import actions.common
from actions.delete_my_data import ActionDeleteMyData
from actions.fallback import ActionFallback
from actions.welcome import ActionWelcome
from bot.settings import get_settings
from bot.state import keys
from bot.state.campaigns import CampaignStore, today, validated
from bot.state.erase import ERASE_PAYLOAD
from tests.actions.recorded import domain, tracker_before


async def test_first_contact_gets_the_full_welcome() -> None:
    dispatcher = CollectingDispatcher()
    events = await ActionWelcome().run(dispatcher, tracker_before("hello", "action_welcome"), domain())
    assert [m["response"] for m in dispatcher.messages] == ["utter_welcome"]
    assert events == []


async def test_the_welcome_says_up_front_how_long_this_deployment_keeps_a_conversation(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """ASVS 8.3.3: the days come from CAUNOI_RETENTION_DAYS, never a number written into the text."""
    monkeypatch.setenv("CAUNOI_RETENTION_DAYS", "14")
    get_settings.cache_clear()
    try:
        for response in ("utter_welcome", "utter_welcome_abroad"):
            text = actions.common.response_text(domain(), response, **actions.common.welcome_facts(domain()))
            assert "được lưu 14 ngày sau tin nhắn cuối" in text and "/xoa" in text, text
            assert "{" not in text
    finally:
        get_settings.cache_clear()


async def test_a_later_greeting_gets_a_short_answer() -> None:
    tracker = tracker_before("hello", "action_welcome")
    tracker.events.append({"event": "bot", "text": "Chào bạn"})
    dispatcher = CollectingDispatcher()
    await ActionWelcome().run(dispatcher, tracker, domain())
    assert [m["response"] for m in dispatcher.messages] == ["utter_greet"]


async def test_a_campaign_link_gets_its_own_greeting_and_an_unknown_code_the_usual_one(
        action_redis: redis.asyncio.Redis) -> None:
    store = CampaignStore(action_redis)
    await store.create(validated("truong-thpt-a", "Trường THPT A", greeting="Chào các bạn học sinh trường A!"))
    await store.create(validated("da-xong", "Đã xong", end="2020-12-31", greeting="Cũ"))
    await store.create(validated("tat", "Tắt", greeting="Tắt rồi"))
    await store.disable("tat")
    dispatcher = CollectingDispatcher()
    tracker = tracker_before("hello", "action_welcome", metadata={"campaign": "truong-thpt-a"})
    events = await ActionWelcome().run(dispatcher, tracker, domain())
    assert [m["text"] or m["response"] for m in dispatcher.messages] == ["Chào các bạn học sinh trường A!",
                                                                         "utter_welcome"]
    assert events == [SlotSet("campaign", "truong-thpt-a")]
    assert (await store.counts("truong-thpt-a"))[today()]["started"] == 1
    for code in ("unknown-code", "bad code!", "da-xong", "tat"):
        dispatcher = CollectingDispatcher()
        events = await ActionWelcome().run(dispatcher, tracker_before("hello", "action_welcome",
                                                                      metadata={"campaign": code}), domain())
        assert [m["response"] for m in dispatcher.messages] == ["utter_welcome"] and events == []
    assert await store.counts("da-xong") == {} and await store.counts("tat") == {}


async def test_a_campaign_without_a_greeting_still_marks_the_conversation(action_redis: redis.asyncio.Redis) -> None:
    await CampaignStore(action_redis).create(validated("cho-dem", "Chợ đêm"))
    dispatcher = CollectingDispatcher()
    events = await ActionWelcome().run(dispatcher, tracker_before("hello", "action_welcome",
                                                                  metadata={"campaign": "cho-dem"}), domain())
    assert [m["response"] for m in dispatcher.messages] == ["utter_welcome"]
    assert events == [SlotSet("campaign", "cho-dem")]


async def test_without_redis_a_campaign_link_still_gets_the_welcome() -> None:
    actions.common._redis = redis.asyncio.Redis(port=1, socket_connect_timeout=0.2)
    try:
        dispatcher = CollectingDispatcher()
        events = await ActionWelcome().run(dispatcher, tracker_before("hello", "action_welcome",
                                                                      metadata={"campaign": "x"}), domain())
    finally:
        actions.common._redis = None
    assert [m["response"] for m in dispatcher.messages] == ["utter_welcome"] and events == []


async def test_deleting_after_a_yes_says_what_is_deleted_and_asks_the_gateway_to_erase(
        action_redis: redis.asyncio.Redis) -> None:
    dispatcher = CollectingDispatcher()
    events = await ActionDeleteMyData().run(dispatcher, tracker_before("del", "action_delete_my_data"), domain())
    assert dispatcher.messages[0]["response"] == "utter_deleted"
    assert dispatcher.messages[0]["what"] == "3 tin nhắn"
    assert events == [AllSlotsReset(), SlotSet("confirming_delete", False)]
    assert dispatcher.messages[1]["custom"] == ERASE_PAYLOAD  # the gateway erases once this turn's replies are out
    assert await action_redis.zscore(keys.ERASE_REQUESTS, "rt-del") is not None  # for the purge, should it not


async def test_a_no_keeps_everything(action_redis: redis.asyncio.Redis) -> None:
    dispatcher = CollectingDispatcher()
    tracker = tracker_before("del", "action_delete_my_data", intent={"name": "deny"})
    events = await ActionDeleteMyData().run(dispatcher, tracker, domain())
    assert [m["response"] for m in dispatcher.messages] == ["utter_delete_cancelled"]
    assert events == [SlotSet("confirming_delete", False)]
    assert not any(message.get("custom") for message in dispatcher.messages)
    assert await action_redis.zscore(keys.ERASE_REQUESTS, "rt-del") is None


async def test_when_deleting_fails_it_never_says_deleted() -> None:
    actions.common._redis = redis.asyncio.Redis(port=1, socket_connect_timeout=0.2)
    try:
        dispatcher = CollectingDispatcher()
        await ActionDeleteMyData().run(dispatcher, tracker_before("del", "action_delete_my_data"), domain())
    finally:
        actions.common._redis = None
    assert [m["response"] for m in dispatcher.messages] == ["utter_delete_failed"]


def fallback_tracker(intents: list[str]) -> Tracker:
    events = [{"event": "user", "text": "…", "parse_data": {"intent": {"name": name}}} for name in intents]
    return Tracker("tg:1", {}, {"intent": {"name": intents[-1]}}, events, False, None, {}, "action_listen")


async def test_fallback_rephrases_once_then_offers_a_human() -> None:
    answers = []
    for intents in (["greet", "nlu_fallback"], ["nlu_fallback", "nlu_fallback"], ["nlu_fallback"] * 3):
        dispatcher = CollectingDispatcher()
        await ActionFallback().run(dispatcher, fallback_tracker(intents), domain())
        answers.append(dispatcher.messages[0]["response"])
    assert answers == ["utter_default", "utter_offer_human", "utter_offer_human"]
