from __future__ import annotations

import json

import redis.asyncio
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

import actions.common
from actions.escalate import ActionEscalate
from bot.state import keys
from bot.state.sealed import process_sealer
from tests.actions.recorded import domain, tracker_before


async def test_danger_abroad_gets_the_consular_line_then_a_place_in_the_queue(
        action_redis: redis.asyncio.Redis) -> None:
    dispatcher = CollectingDispatcher()
    events = await ActionEscalate().run(dispatcher, tracker_before("danger", "action_escalate"), domain())

    safety, place = dispatcher.messages
    assert safety["custom"]["protect_content"] is True
    assert safety["custom"]["text"] == domain()["responses"]["utter_safety_abroad"][0]["text"]
    assert "+84 981 84 84 84" in safety["custom"]["text"]
    assert place["response"] == "utter_escalated" and place["place"] == 1
    assert place["minutes"] == 5  # one place ahead x CAUNOI_MINUTES_PER_WAITING (default 5)
    assert events == [SlotSet("escalated", True)]

    case = await action_redis.hgetall(keys.case("rt-danger"))
    assert case["risk"] == "high" and case["channel"] == "web"
    assert "Campuchia" not in case["summary"]  # sealed at rest (bot/state/sealed.py)
    case.update(summary=process_sealer().open(case["summary"]), reasons=process_sealer().open(case["reasons"]))
    reasons = json.loads(case["reasons"])
    assert "Bị giữ giấy tờ tùy thân (hộ chiếu, CCCD)" in reasons
    assert "Campuchia" in case["summary"]
    assert "ho chieu" not in case["summary"]  # what the person wrote never goes into the summary
    assert await action_redis.get(keys.conversation_mode("rt-danger")) == "waiting"


async def test_a_report_about_someone_else_gets_the_third_party_safety_message(
        action_redis: redis.asyncio.Redis) -> None:
    dispatcher = CollectingDispatcher()
    tracker = tracker_before("danger", "action_escalate", intent={"name": "report_suspected_trafficking"})
    await ActionEscalate().run(dispatcher, tracker, domain())
    assert dispatcher.messages[0]["custom"]["text"] == domain()["responses"]["utter_safety_third_party"][0]["text"]


async def test_without_redis_the_person_is_told_to_call_111() -> None:
    actions.common._redis = redis.asyncio.Redis(port=1, socket_connect_timeout=0.2)
    try:
        dispatcher = CollectingDispatcher()
        events = await ActionEscalate().run(dispatcher, tracker_before("danger", "action_escalate"), domain())
    finally:
        actions.common._redis = None
    assert [m.get("response") for m in dispatcher.messages][1:] == ["utter_escalation_failed"]
    assert events == [SlotSet("escalated", True)]


async def test_the_escalation_hands_the_province_and_the_service_type_to_team_routing(
        action_redis: redis.asyncio.Redis) -> None:
    from bot.state.teams import Teams

    teams = Teams(action_redis)
    await teams.add("hanoi", "Trung tâm CTXH Hà Nội")
    await teams.add("shelters", "Nhà tạm lánh")
    await teams.route("hanoi", "province", "Hà Nội")
    await ActionEscalate().run(CollectingDispatcher(), tracker_before("bleeding", "action_escalate"), domain())
    case = await action_redis.hgetall(keys.case("rt-bleeding"))
    assert (case["team"], case["routed_by"]) == ("hanoi", "province")

    await teams.route("shelters", "service", "shelter")
    tracker = tracker_before("danger", "action_escalate")
    tracker.slots["service_type"] = "shelter"
    await ActionEscalate().run(CollectingDispatcher(), tracker, domain())
    case = await action_redis.hgetall(keys.case("rt-danger"))
    assert (case["team"], case["routed_by"]) == ("shelters", "service")
