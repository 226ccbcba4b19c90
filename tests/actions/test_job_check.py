"""The job-offer check: answers in the person's own words (with and without diacritics, teencode), never a restart,
never a question already answered, at most six questions, "thôi" leaves, and a verdict without false legal claims."""

from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import ActionExecutionRejected, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.job_check import answer, is_stop, prefill
from actions.job_rules import JOB_SLOTS, questions, red_flags, verdict
from actions.job_verdict import ActionJobVerdict
from actions.prefill_job_check import ActionPrefillJobCheck
from actions.validate_job_offer_form import ValidateJobOfferForm
from bot.content.dialogue import QUESTIONS
from tests.actions.recorded import domain

COUNTRY = [{"entity": "country", "value": "Campuchia"}]


@pytest.mark.parametrize(("slot", "text", "intent", "expected"), [
    ("job_channel", "qua facebook", "out_of_scope", {"job_channel": "online"}),
    ("job_channel", "qua zalo", "nlu_fallback", {"job_channel": "online"}),
    ("job_channel", "ban be gioi thieu", "find_service", {"job_channel": "acquaintance"}),
    ("job_channel", "có", "affirm", {"job_channel": "unknown"}),  # not a yes/no question: a yes says nothing
    ("job_channel", "không biết", "deny", {"job_channel": "unknown"}),
    ("job_fee", "ko bit", "nlu_fallback", {"job_fee": "unknown"}),
    ("job_fee", "khong biet", "deny", {"job_fee": "unknown"}),
    ("job_fee", "chưa rõ", "deny", {"job_fee": "unknown"}),
    ("job_passport_kept", "chua bit", "deny", {"job_passport_kept": "unknown"}),
    ("job_fee", "có", "affirm", {"job_fee": "upfront"}),
    ("job_fee", "k", "deny", {"job_fee": "none"}),
    ("job_fee", "ko can dat coc dau", "deny", {"job_fee": "none"}),
    ("job_fee", "thu phí sau khi ký, có hóa đơn", "check_job_offer", {"job_fee": "after_contract"}),
    ("job_fee", "họ bảo đi luôn tuần sau", "check_job_offer", {"job_fee": "unknown", "job_secrecy": "yes"}),
    ("job_fee", "phai chuyen khoan vao tai khoan ca nhan", "check_job_offer", {"job_fee": "upfront"}),
    ("job_papers", "dạ không", "deny", {"job_papers": "no"}),
    ("job_papers", "dung roi", "affirm", {"job_papers": "yes"}),
    ("job_papers", "họ bảo cứ ra cửa khẩu mộc bài", "check_job_offer", {"job_papers": "yes"}),
    ("job_contract", "chưa", "deny", {"job_contract": "none"}),
    ("job_contract", "sang roi ky", "out_of_scope", {"job_contract": "on_arrival"}),
    ("job_contract", "/affirm", "affirm", {"job_contract": "signed"}),
    ("job_country", "trong nuoc", "out_of_scope", {"job_country": "Việt Nam"}),
    ("job_country", "k bt", "nlu_fallback", {"job_country": "unknown"}),
    ("job_at_sea", "ho noi khong cho len bo", "report_danger", {"job_at_sea": "yes"}),
    ("job_secrecy", "ho dan dung noi voi ai", "check_job_offer", {"job_secrecy": "yes"}),
    ("job_passport_kept", "một câu chẳng liên quan gì", "nlu_fallback", {"job_passport_kept": "unknown"}),
])
def test_every_answer_in_own_words_gives_the_asked_question_a_value(slot: str, text: str, intent: str,
                                                                    expected: dict[str, str]) -> None:
    assert answer(slot, text, intent) == expected


def test_the_place_comes_from_the_nlu_entities() -> None:
    assert answer("job_country", "campuchia", "inform_location", COUNTRY) == {"job_country": "Campuchia"}
    assert answer("job_country", "o hai phong", "inform_location", [{"entity": "province", "value": "Hải Phòng"}]) \
        == {"job_country": "Việt Nam"}
    thailand_then_myanmar = [{"entity": "country", "value": "Thái Lan"}, {"entity": "country", "value": "Myanmar"}]
    assert prefill("bay sang thai roi di xe qua myanmar", thailand_then_myanmar) == {
        "job_country": "Myanmar", "job_transit": "yes"}


@pytest.mark.parametrize(("text", "stop"), [
    ("thôi", True), ("thoi", True), ("dừng", True), ("dung lai", True), ("thôi không hỏi nữa", True),
    ("dung", False),  # bare "dung" is as often "đúng" (yes)
    ("thôi việc ở nhà máy rồi đi làm karaoke", False), ("không", False),
])
def test_stop(text: str, stop: bool) -> None:
    assert is_stop(text) is stop


def test_prefill_reads_what_the_first_message_already_says() -> None:
    assert prefill("co nguoi tren facebook ru sang cam lam viec nhe luong cao, bao ve may bay, dat coc 5tr",
                   COUNTRY) == {"job_country": "Campuchia", "job_channel": "online", "job_too_good": "yes",
                                "job_fee": "upfront"}
    assert prefill("Họ bảo không cần đặt cọc, đi visa du lịch, công ty giữ hộ chiếu giúp") == {
        "job_fee": "none", "job_papers": "yes", "job_passport_kept": "yes", "job_channel": "enterprise"}
    haiphong = [{"entity": "province", "value": "Hải Phòng"}]
    assert prefill("chi hang xom ru len hai phong lam karaoke, di ngay", haiphong) == {
        "job_country": "Việt Nam", "job_channel": "acquaintance", "job_kind": "venue", "job_secrecy": "yes"}
    assert prefill("có người mai mối lấy chồng Trung Quốc", [{"entity": "country", "value": "Trung Quốc"}]) == {
        "job_kind": "marriage", "job_country": "Trung Quốc"}
    assert prefill("anh ho ru di tau ca, 6 thang khong cho len bo") == {
        "job_channel": "acquaintance", "job_kind": "fishing", "job_at_sea": "yes"}
    assert prefill("tôi muốn hỏi về công việc ở Nhật") == {}


def test_the_questions_follow_the_kind_of_offer_and_never_more_than_six() -> None:
    assert questions({}, []) == ["job_country", "job_channel", "job_fee", "job_papers", "job_passport_kept",
                                 "job_contract"]
    domestic = {"job_country": "Việt Nam", "job_kind": "venue"}
    assert questions(domestic, ["job_country", "job_kind"]) == ["job_channel", "job_fee", "job_passport_kept",
                                                                "job_secrecy"]
    marriage = {"job_country": "Trung Quốc", "job_kind": "marriage"}
    assert "job_contract" not in questions(marriage, ["job_country", "job_kind"])
    fishing = {"job_kind": "fishing", "job_at_sea": "yes"}
    assert questions(fishing, ["job_kind", "job_at_sea"])[:3] == ["job_country", "job_channel", "job_fee"]
    # Prefilled answers are not questions asked: with three given, the secrecy question fits in.
    given = {"job_country": "Campuchia", "job_channel": "online", "job_fee": "upfront"}
    assert questions(given, list(given)) == ["job_papers", "job_passport_kept", "job_contract", "job_secrecy"]
    # Six answered in the conversation: nothing more is asked.
    answered = dict.fromkeys(QUESTIONS[:6], "unknown")
    assert questions(answered, []) == []


def test_verdicts_never_call_an_offer_legal_and_lawful_fees_are_no_flag() -> None:
    lawful = {"job_country": "Hàn Quốc", "job_channel": "enterprise", "job_fee": "after_contract",
              "job_papers": "no", "job_passport_kept": "no", "job_contract": "signed"}
    assert red_flags(lawful) == [] and verdict([]) == "no_sign"
    assert verdict([], unknown=3) == "unclear"  # "không biết" to everything is not "no sign"
    assert verdict(["secrecy"], unknown=6) == "risky"
    assert verdict(red_flags({"job_country": "Nhật Bản", "job_contract": "none"})) == "risky"
    assert verdict(red_flags({"job_country": "Campuchia", "job_channel": "online"})) == "scam"
    assert verdict(red_flags({"job_country": "Đài Loan", "job_papers": "yes"})) == "scam"
    assert red_flags({"job_country": "Thái Lan"}) == ["thai_transit"]
    assert red_flags({"job_kind": "marriage", "job_country": "Trung Quốc"}) == ["marriage_broker"]
    assert verdict(["marriage_broker"]) == verdict(["kept_at_sea"]) == "scam"
    assert red_flags({"job_fee": "upfront", "job_secrecy": "yes", "job_contract": "on_arrival"}) == [
        "fee_upfront", "contract_on_arrival", "secrecy"]
    # Domestic work has no licensed-enterprise contract to miss.
    assert "no_licensed_contract" not in red_flags({"job_country": "Việt Nam", "job_contract": "none"})


def form_tracker(slots: dict[str, Any], asked: str | None, text: str, intent: str,
                 entities: list[dict[str, Any]] | None = None) -> Tracker:
    values = {slot: None for slot in JOB_SLOTS} | {"job_volunteered": [], "requested_slot": asked, "escalated": None}
    values |= slots
    message = {"text": text, "intent": {"name": intent}, "entities": entities or []}
    events = [{"event": "user", "text": text, "parse_data": message}]
    return Tracker("tg:job", values, message, events, False, None, {"name": "job_offer_form"}, "action_listen")


async def run_validation(tracker: Tracker) -> list[Any]:
    return list(await ValidateJobOfferForm().run(CollectingDispatcher(), tracker, domain()))


async def test_not_knowing_every_answer_still_reaches_a_verdict_within_six_questions() -> None:
    slots: dict[str, Any] = {}
    asked_slots = []
    events = await run_validation(form_tracker({}, None, "co viec lam", "check_job_offer"))
    asked = events[-1]["value"]
    for reply in ("khong biet", "ko bit", "k bt", "chưa rõ", "không biết", "hong biet", "khong biet"):
        if asked is None:
            break
        asked_slots.append(asked)
        events = await run_validation(form_tracker(slots, asked, reply, "deny"))
        for event in events[:-2]:
            slots[event["name"]] = event["value"]
        assert slots[asked] == "unknown"
        assert events[-1] == SlotSet("requested_slot", events[-1]["value"])
        asked = events[-1]["value"]
        assert asked not in asked_slots  # never the same question twice
    assert asked is None and len(asked_slots) == 6


async def test_an_answer_fills_every_question_it_speaks_to() -> None:
    events = await run_validation(form_tracker({"job_country": "Campuchia"}, "job_channel",
                                               "qua facebook, họ bảo đi luôn tuần sau, không cần hộ chiếu",
                                               "check_job_offer"))
    assert events[-2] == SlotSet("job_check_stopped", False)
    assert sorted(events[:-2], key=lambda event: event["name"]) == [
        SlotSet("job_channel", "online"), SlotSet("job_papers", "yes"), SlotSet("job_secrecy", "yes"),
        SlotSet("job_volunteered", ["job_secrecy", "job_papers"])]
    assert events[-1] == SlotSet("requested_slot", "job_fee")


async def test_what_an_answer_says_beside_the_question_does_not_use_up_the_six_questions() -> None:
    slots: dict[str, Any] = {}
    asked = []
    replies = iter(["ko bit", "qua fb", "ho bao di luon tuan sau", "khong", "k bt", "chua", "khong"])
    events = await run_validation(form_tracker({}, None, "", "check_job_offer"))
    while events[-1]["value"] is not None:
        asked.append(events[-1]["value"])
        events = await run_validation(form_tracker(slots, asked[-1], next(replies), "deny"))
        slots |= {e["name"]: e["value"] for e in events[:-2]}
    assert asked == ["job_country", "job_channel", "job_fee", "job_papers", "job_passport_kept", "job_contract"]
    assert slots["job_secrecy"] == "yes" and slots["job_volunteered"] == ["job_secrecy"]


async def test_a_domestic_karaoke_offer_is_never_asked_for_a_country() -> None:
    slots = {"job_country": "Việt Nam", "job_kind": "venue", "job_channel": "acquaintance"}
    events = await run_validation(form_tracker(slots | {"job_volunteered": list(slots)}, None, "", "check_job_offer"))
    assert events == [SlotSet("job_check_stopped", False), SlotSet("requested_slot", "job_fee")]
    asked = []
    for reply in ("co, dat coc 2 trieu", "khong", "ko biet"):
        tracker = form_tracker(slots | {"job_volunteered": list(slots)}, events[-1]["value"], reply, "deny")
        asked.append(events[-1]["value"])
        events = await run_validation(tracker)
        slots |= {e["name"]: e["value"] for e in events[:-2]}
    assert asked == ["job_fee", "job_passport_kept", "job_secrecy"] and events[-1] == SlotSet("requested_slot", None)


async def test_thoi_leaves_the_check() -> None:
    for text in ("thôi", "thoi", "dung lai"):
        events = await run_validation(form_tracker({}, "job_fee", text, "deny"))
        assert events == [SlotSet("job_check_stopped", True), SlotSet("requested_slot", None)]


async def test_prefill_action_starts_a_fresh_check() -> None:
    tracker = Tracker("tg:4", {"job_fee": "upfront"}, {
        "intent": {"name": "check_job_offer"}, "text": "có người rủ sang Campuchia qua Zalo",
        "entities": [{"entity": "country", "value": "Campuchia"}]}, [], False, None, {}, "action_listen")
    dispatcher = CollectingDispatcher()
    events = await ActionPrefillJobCheck().run(dispatcher, tracker, domain())
    assert [m["response"] for m in dispatcher.messages] == ["utter_job_check_intro"]
    assert SlotSet("job_country", "Campuchia") in events and SlotSet("job_channel", "online") in events
    assert SlotSet("job_fee", None) in events
    assert events[-2:] == [SlotSet("job_volunteered", ["job_channel", "job_country"]),
                           SlotSet("job_check_stopped", False)]


def verdict_tracker(slots: dict[str, Any], text: str = "khong") -> Tracker:
    return Tracker("tg:2", slots, {"intent": {"name": "deny"}, "text": text},
                   [{"event": "user", "text": text, "parse_data": {"intent": {"name": "deny"}}}], False, None,
                   {}, "action_listen")


async def run_verdict(slots: dict[str, Any], text: str = "khong") -> tuple[list[Any], list[Any]]:
    dispatcher = CollectingDispatcher()
    events = await ActionJobVerdict().run(dispatcher, verdict_tracker(slots, text), domain())
    return [(m["response"], m.get("items")) if m.get("items") else m["response"] for m in dispatcher.messages], events


async def test_job_verdict_explains_each_flag_what_is_unknown_and_points_korea_to_colab() -> None:
    slots = {"job_country": "Hàn Quốc", "job_channel": "online", "job_fee": "unknown", "job_papers": "no",
             "job_passport_kept": "no", "job_contract": "none"}
    messages, events = await run_verdict(slots)
    assert messages == [
        "utter_job_verdict_risky", "utter_flag_recruited_online", "utter_flag_no_licensed_contract",
        ("utter_job_unknowns", "• có phải nộp tiền không, nộp khi nào, cho ai"),
        "utter_job_next_steps_abroad", "utter_job_next_steps_korea"]
    assert FollowupAction("action_escalate") not in events
    assert SlotSet("job_country", None) in events and SlotSet("job_volunteered", None) in events


async def test_not_knowing_gives_not_enough_to_judge_and_what_to_ask() -> None:
    messages, _ = await run_verdict(dict.fromkeys(QUESTIONS[:6], "unknown"))
    assert messages[0] == "utter_job_verdict_unclear" and messages[1][0] == "utter_job_unknowns"
    assert messages[1][1].count("•") == 6 and messages[2:] == ["utter_job_next_steps_abroad"]


async def test_short_answers_the_classifier_took_for_distress_do_not_escalate_after_the_verdict() -> None:
    tracker = verdict_tracker({"job_country": "Nhật Bản"}, "toi ko biet")
    tracker.events[0]["parse_data"] = {"intent": {"name": "express_distress", "confidence": 0.51}}
    events = await ActionJobVerdict().run(CollectingDispatcher(), tracker, domain())
    assert FollowupAction("action_escalate") not in events


async def test_domestic_marriage_and_fishing_verdicts_have_their_own_next_steps() -> None:
    messages, _ = await run_verdict({"job_country": "Việt Nam", "job_kind": "venue", "job_fee": "upfront"})
    assert messages == ["utter_job_verdict_risky", "utter_flag_fee_upfront", "utter_job_next_steps_domestic"]
    messages, _ = await run_verdict({"job_country": "Trung Quốc", "job_kind": "marriage"})
    assert messages == ["utter_job_verdict_scam", "utter_flag_marriage_broker", "utter_job_next_steps_marriage"]
    messages, _ = await run_verdict({"job_kind": "fishing", "job_at_sea": "yes"})
    assert messages == ["utter_job_verdict_scam", "utter_flag_kept_at_sea", "utter_job_next_steps_fishing"]


async def test_job_verdict_escalates_when_trafficking_is_already_happening() -> None:
    _, events = await run_verdict({"job_country": "Campuchia"}, "họ đã giữ hộ chiếu của tôi và không cho về")
    assert events[-1] == FollowupAction("action_escalate")


def test_no_text_of_the_check_makes_a_false_legal_claim() -> None:
    texts = " ".join(str(variant.get("text")) for name, variants in domain()["responses"].items()
                     if name.startswith(("utter_job", "utter_flag", "utter_ask_job")) for variant in variants)
    assert "không được pháp luật bảo vệ" not in texts
    assert "hợp pháp" not in texts  # the bot cannot know an offer is lawful
    assert "dolab.gov.vn" not in texts and "colab.gov.vn" not in texts
    assert "dolab.moha.gov.vn" in texts and "colab.moha.gov.vn" in texts and "Nội vụ" in texts


async def test_danger_in_an_answer_steps_the_form_aside_for_escalation() -> None:
    passport = form_tracker({}, "job_country", "co, ho da giu ho chieu cua toi roi", "report_danger")
    events = await run_validation(passport)
    assert events == [SlotSet("job_country", None), ActionExecutionRejected("job_offer_form")]
    sure = form_tracker({}, "job_fee", "cho toi gap nguoi that", "request_human")
    sure.latest_message["intent"]["confidence"] = 0.93
    assert (await run_validation(sure))[-1] == ActionExecutionRejected("job_offer_form")


async def test_a_short_answer_the_classifier_takes_for_danger_is_still_an_answer() -> None:
    tracker = form_tracker({}, "job_channel", "nguoi trong lang gioi thieu", "report_danger")
    tracker.latest_message["intent"]["confidence"] = 0.5
    events = await run_validation(tracker)
    assert events[0] == SlotSet("job_channel", "acquaintance")
    escalated = form_tracker({"escalated": True}, "job_channel", "ho giu can cuoc cua toi", "report_danger")
    assert (await run_validation(escalated))[0] == SlotSet("job_passport_kept", "yes")  # escalated already
