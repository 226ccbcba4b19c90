"""A person who said it is over ("giờ đã về nhà") and presses "Nói chuyện với người hỗ trợ" joins the queue without the
emergency text; anything that says danger now, in any message, still gets it (actions/escalate.py, issue #16)."""

from __future__ import annotations

import json

import redis.asyncio
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.escalate import ActionEscalate
from bot.state import keys
from bot.state.sealed import process_sealer
from tests.actions.recorded import domain


def asking_for_a_person_after(*texts: str) -> Tracker:
    events = [{"event": "user", "text": text, "parse_data": {"intent": {"name": "ask_support_policy"}}}
              for text in texts]
    events.append({"event": "user", "text": "/request_human", "parse_data": {"intent": {"name": "request_human"}}})
    return Tracker("tg:past", {"country": "Trung Quốc"}, {"intent": {"name": "request_human"}, "text": "/request_human",
                                                          "entities": []}, events, False, None, {}, "action_listen")


async def test_someone_home_again_is_queued_without_the_emergency_text(action_redis: redis.asyncio.Redis) -> None:
    dispatcher = CollectingDispatcher()
    await ActionEscalate().run(dispatcher, asking_for_a_person_after(
        "toi tung bi ban sang TQ, gio da ve nha, co duoc boi thuong khong"), domain())
    assert [m.get("response") for m in dispatcher.messages] == ["utter_escalated"]
    case = await action_redis.hgetall(keys.case("tg:past"))
    assert case["risk"] == "low"
    assert json.loads(process_sealer().open(case["reasons"])) == ["Muốn nói chuyện với người thật",
                                                                   "Từng bị mua bán hoặc bóc lột, nay đã về"]


async def test_danger_now_in_another_message_still_gets_the_safety_text(action_redis: redis.asyncio.Redis) -> None:
    dispatcher = CollectingDispatcher()
    await ActionEscalate().run(dispatcher, asking_for_a_person_after(
        "toi tung bi ban sang TQ, gio da ve nha", "nhung ho lai tim den, ho dang danh toi"), domain())
    safety, place = dispatcher.messages
    assert safety["custom"]["text"] == domain()["responses"]["utter_safety_abroad"][0]["text"]
    assert place["response"] == "utter_escalated"
