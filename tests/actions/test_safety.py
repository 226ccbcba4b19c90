"""The safety paths on recorded trackers: an overdose abroad, a child writing, a fisherman held at sea (escalated with
their own safety message), fear of the police, a watched phone, a question on labour trafficking (answered)."""

from __future__ import annotations

import json

import redis.asyncio
from rasa_sdk.executor import CollectingDispatcher

from actions.escalate import ActionEscalate
from actions.safety_answer import ActionSafetyAnswer
from bot.state import keys
from bot.state.queue import Case, HandoffQueue
from bot.state.sealed import process_sealer
from tests.actions.recorded import domain, tracker_before


def text_of(name: str) -> str:
    return str(domain()["responses"][name][0]["text"])


async def reasons_of(client: redis.asyncio.Redis, conversation_id: str) -> list[str]:
    case = await client.hgetall(keys.case(conversation_id))
    return list(json.loads(process_sealer().open(case["reasons"])))


async def test_an_overdose_abroad_gets_the_local_emergency_number_and_the_consular_line_first_in_the_queue(
        action_redis: redis.asyncio.Redis) -> None:
    await HandoffQueue(action_redis).enqueue(Case("tg:older-high", "telegram", "high", enqueued_at=1.0))
    dispatcher = CollectingDispatcher()
    await ActionEscalate().run(dispatcher, tracker_before("overdose_abroad", "action_escalate"), domain())

    safety, place = dispatcher.messages
    assert safety["custom"] == {"text": text_of("utter_safety_medical_abroad"), "protect_content": True}
    text = safety["custom"]["text"]
    assert "số cấp cứu của nước sở tại" in text and "+84 981 84 84 84" in text
    assert "gọi ngay 115" not in text  # 115 is a Vietnamese number: never the only one given abroad
    assert "uống thuốc" in text and "Mình ở đây với bạn" in text
    assert place["response"] == "utter_escalated" and place["place"] == 1  # ahead of the older high-risk case
    assert "Cấp cứu y tế: bị thương, chảy máu, quá liều hoặc bất tỉnh" in await reasons_of(action_redis,
                                                                                           "rt-overdose_abroad")


async def test_self_harm_in_teencode_without_a_place_gets_115_and_the_emergency_number_abroad(
        action_redis: redis.asyncio.Redis) -> None:
    dispatcher = CollectingDispatcher()
    await ActionEscalate().run(dispatcher, tracker_before("selfharm", "action_escalate"), domain())

    text = dispatcher.messages[0]["custom"]["text"]
    assert text == text_of("utter_safety_medical_unknown")
    assert "115" in text and "số cấp cứu của nước sở tại" in text and "+84 981 84 84 84" in text
    assert "Tự hại: có ý định tự làm hại bản thân" in await reasons_of(action_redis, "rt-selfharm")
    assert [m.get("response") for m in dispatcher.messages[1:]] == ["utter_escalated"]


async def test_someone_bleeding_in_vietnam_gets_115_even_when_a_friend_writes(
        action_redis: redis.asyncio.Redis) -> None:
    dispatcher = CollectingDispatcher()
    await ActionEscalate().run(dispatcher, tracker_before("bleeding", "action_escalate"), domain())

    text = dispatcher.messages[0]["custom"]["text"]
    assert text == text_of("utter_safety_medical_vietnam")
    assert "gọi ngay 115 (cấp cứu)" in text and "nước sở tại" not in text
    case = await action_redis.hgetall(keys.case("rt-bleeding"))
    assert case["risk"] == "high"


async def test_a_child_writing_of_themself_gets_the_child_line_not_the_report_questions(
        action_redis: redis.asyncio.Redis) -> None:
    dispatcher = CollectingDispatcher()
    tracker = tracker_before("minor", "action_escalate")
    assert tracker.latest_message["intent"]["name"] == "report_suspected_trafficking"  # as the classifier read it
    await ActionEscalate().run(dispatcher, tracker, domain())

    text = dispatcher.messages[0]["custom"]["text"]
    # "ru e sang cam": where she is being lured, not where she is (the message is read as a report), so both routes
    assert text == text_of("utter_safety_minor_unknown")
    assert "111" in text and "bảo vệ trẻ em" in text and "không cần xin phép bố mẹ" in text
    assert "+84 981 84 84 84" in text
    # no "người đó ở đâu?", and the queue line speaks to the child as the safety text did ("em")
    assert [m.get("response") for m in dispatcher.messages[1:]] == ["utter_escalated_minor"]
    case = await action_redis.hgetall(keys.case("rt-minor"))
    assert case["risk"] == "high"
    assert "Trẻ vị thành niên: người viết dưới 18 tuổi" in await reasons_of(action_redis, "rt-minor")


async def test_a_real_report_about_someone_else_still_asks_what_would_help(action_redis: redis.asyncio.Redis) -> None:
    dispatcher = CollectingDispatcher()
    tracker = tracker_before("danger", "action_escalate", intent={"name": "report_suspected_trafficking"})
    await ActionEscalate().run(dispatcher, tracker, domain())
    assert dispatcher.messages[0]["custom"]["text"] == text_of("utter_safety_third_party")
    assert [m.get("response") for m in dispatcher.messages[1:]] == ["utter_escalated", "utter_third_party_ask"]


async def test_someone_afraid_of_the_police_is_not_asked_about_someone_else(action_redis: redis.asyncio.Redis) -> None:
    # Read as a report ("đi chui sang cam" names a crossing), but the fear is the writer's own.
    dispatcher = CollectingDispatcher()
    tracker = tracker_before("danger", "action_escalate", intent={"name": "report_suspected_trafficking"})
    text = "toi di chui sang cam, gio so cong an lam khong dam bao"
    tracker.events = [*tracker.events, {"event": "user", "text": text, "parse_data": {}}]
    await ActionEscalate().run(dispatcher, tracker, domain())
    assert dispatcher.messages[0]["custom"]["text"] in {
        text_of(f"utter_safety_police_fear_{place}") for place in ("vietnam", "abroad", "unknown")}
    assert "utter_third_party_ask" not in [m.get("response") for m in dispatcher.messages]


async def test_a_fisherman_held_abroad_gets_the_consular_line_and_the_coast_guard_named(
        action_redis: redis.asyncio.Redis) -> None:
    dispatcher = CollectingDispatcher()
    await ActionEscalate().run(dispatcher, tracker_before("fisher", "action_escalate"), domain())

    text = dispatcher.messages[0]["custom"]["text"]
    assert text == text_of("utter_safety_labour_abroad")
    assert "+84 981 84 84 84" in text and "ngư dân" in text and "Cảnh sát biển" in text and "Biên phòng" in text
    assert "Bị giữ trên tàu cá, không được lên bờ" in await reasons_of(action_redis, "rt-fisher")
    assert "Indonesia" in process_sealer().open((await action_redis.hgetall(keys.case("rt-fisher")))["summary"])


async def test_fear_of_the_police_is_answered_with_another_route_and_no_promise(
        action_redis: redis.asyncio.Redis) -> None:
    dispatcher = CollectingDispatcher()
    events = await ActionSafetyAnswer().run(dispatcher, tracker_before("police", "action_safety_answer"), domain())

    (answer,) = dispatcher.messages
    assert answer["custom"]["text"] == text_of("utter_police_fear_unknown")
    assert answer["custom"]["buttons"] == [{"title": "Nói chuyện với nhân viên", "payload": "/request_human"}]
    text = answer["custom"]["text"]
    assert "111 chuyển tin báo đến công an, biên phòng, cảnh sát biển hoặc UBND xã" in text
    assert "luật hiện chưa có điều nào miễn phạt cho nạn nhân" in text
    assert "+84 981 84 84 84" in text
    assert events == []
    assert await action_redis.get(keys.conversation_mode("rt-police")) is None  # answered, not queued


async def test_a_watched_phone_gets_the_safe_phone_answer(action_redis: redis.asyncio.Redis) -> None:
    dispatcher = CollectingDispatcher()
    tracker = tracker_before("phone", "action_safety_answer")
    assert tracker.latest_message["intent"]["name"] == "out_of_scope"  # the need hides in another intent
    await ActionSafetyAnswer().run(dispatcher, tracker, domain())

    [article] = dispatcher.messages  # one message: the section, its source line and the other sections as buttons
    assert article["custom"]["protect_content"] is True  # /xoa deletes it from the chat
    text = article["custom"]["text"]
    assert "/xoa" in text and "Xem trước" in text and "từ mật" in text
    assert len(text) < 1200
    assert "Nguồn:" in text and "https://" in text


async def test_a_question_on_labour_trafficking_gets_the_article(action_redis: redis.asyncio.Redis) -> None:
    dispatcher = CollectingDispatcher()
    await ActionSafetyAnswer().run(dispatcher, tracker_before("labour", "action_safety_answer"), domain())

    text = dispatcher.messages[0]["custom"]["text"]
    assert text.startswith("Bị ép lao động trên tàu cá, trong xưởng")
    assert "Cảnh sát biển" in text and "Biên phòng" in text and "+84 981 84 84 84" in text and "111" in text


async def test_a_danger_message_on_a_watched_phone_adds_the_phone_tip(action_redis: redis.asyncio.Redis) -> None:
    dispatcher = CollectingDispatcher()
    tracker = tracker_before("danger", "action_escalate")
    tracker.events = [*tracker.events, {"event": "user", "text": "họ kiểm tra điện thoại của tôi", "parse_data": {}}]
    await ActionEscalate().run(dispatcher, tracker, domain())
    assert dispatcher.messages[1]["custom"] == {"text": text_of("utter_phone_tip"), "protect_content": True}
    assert "/xoa" not in dispatcher.messages[1]["custom"]["text"]  # while waiting, typed words go to the operator
