"""The escalation policy on trackers built from real messages: signs that add up over turns hand over to a human."""

from __future__ import annotations

from typing import Any

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActiveLoop, Event, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.settings import PROJECT_ROOT
from nlu.escalation_policy import EscalationPolicy


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(PROJECT_ROOT / "domain"))


@pytest.fixture
def policy(tmp_path: Any) -> EscalationPolicy:
    storage = LocalModelStorage(tmp_path)
    # As Rasa trains it: the rules read from the content folder its configuration names (none: the deployment's).
    return EscalationPolicy(EscalationPolicy.get_default_config(), storage, Resource("escalation"),
                            ExecutionContext(GraphSchema({}), "test"))


def user(text: str, intent: str) -> list[Event]:
    return [ActionExecuted(ACTION_LISTEN_NAME), UserUttered(text, {"name": intent, "confidence": 0.9})]


def predicted(policy: EscalationPolicy, domain: Domain, events: list[Event]) -> str | None:
    tracker = DialogueStateTracker.from_events("tg:1", events, domain.slots)
    prediction = policy.predict_action_probabilities(tracker, domain)
    best = max(range(len(prediction.probabilities)), key=prediction.probabilities.__getitem__)
    return domain.action_names_or_texts[best] if prediction.probabilities[best] > 0 else None


def test_two_medium_signs_in_different_turns_escalate(policy: EscalationPolicy, domain: Domain) -> None:
    events = [*user("tôi đang làm ở Malaysia", "inform_location"), ActionExecuted("action_handle_location"),
              *user("công ty không trả lương 3 tháng nay", "find_service"), ActionExecuted("action_find_service")]
    assert predicted(policy, domain, events) is None  # one medium sign: not yet
    events += user("họ không cho tôi gọi về nhà", "inform_location")
    assert predicted(policy, domain, events) == "action_escalate"


def test_without_diacritics_the_same(policy: EscalationPolicy, domain: Domain) -> None:
    events = [*user("cong ty khong tra luong 3 thang nay", "find_service"), ActionExecuted("action_find_service"),
              *user("ho khong cho toi goi ve nha", "affirm")]
    assert predicted(policy, domain, events) == "action_escalate"


def test_listens_after_its_own_escalation_and_never_escalates_twice(policy: EscalationPolicy,
                                                                    domain: Domain) -> None:
    events = [*user("họ giữ hộ chiếu của tôi", "affirm"), ActionExecuted("action_escalate")]
    assert predicted(policy, domain, events) == ACTION_LISTEN_NAME
    events += [SlotSet("escalated", True), *user("họ vẫn không cho tôi ra ngoài", "deny")]
    assert predicted(policy, domain, events) is None


def test_leaves_danger_intents_to_their_rules_except_inside_a_form(policy: EscalationPolicy, domain: Domain) -> None:
    danger = user("cứu tôi với", "report_danger")
    assert predicted(policy, domain, danger) is None
    in_form = [ActiveLoop("job_offer_form"), SlotSet("requested_slot", "job_country"), *danger]
    assert predicted(policy, domain, in_form) == "action_escalate"


def test_innocent_conversations_are_left_alone(policy: EscalationPolicy, domain: Domain) -> None:
    events = [*user("xin chào", "greet"), ActionExecuted("action_welcome"),
              *user("tôi muốn đi Nhật làm việc hợp pháp", "ask_safe_migration")]
    assert predicted(policy, domain, events) is None


def test_button_payloads_carry_no_signs(policy: EscalationPolicy, domain: Domain) -> None:
    events = user('/find_service{"service_type": "shelter"}', "find_service")
    assert predicted(policy, domain, events) is None


@pytest.mark.parametrize(("text", "intent"), [
    ("tôi sợ công an lắm", "find_service"),
    ("toi vuot bien trai phep co bi bat ko", "ask_support_policy"),
    ("ho kiem tra dien thoai cua toi, lam sao giau tin nhan nay", "out_of_scope"),
    ("sợ chồng đọc được tin nhắn, làm sao giấu cuộc trò chuyện này", "delete_my_data"),
    ("dan ong co bi mua ban khong", "ask_support_policy"),
])
def test_signs_with_an_answer_of_their_own_are_answered_whatever_the_intent(
        policy: EscalationPolicy, domain: Domain, text: str, intent: str) -> None:
    events = user(text, intent)
    assert predicted(policy, domain, events) == "action_safety_answer"
    assert predicted(policy, domain, [*events, ActionExecuted("action_safety_answer")]) == ACTION_LISTEN_NAME


def test_a_high_risk_conversation_is_escalated_rather_than_answered(policy: EscalationPolicy,
                                                                   domain: Domain) -> None:
    events = [*user("họ giữ hộ chiếu của tôi", "find_service"), ActionExecuted("action_find_service"),
              *user("tôi sợ công an", "find_service")]
    assert predicted(policy, domain, events) == "action_escalate"


def test_a_danger_intent_keeps_its_rule_and_a_fishing_job_offer_its_check(policy: EscalationPolicy,
                                                                          domain: Domain) -> None:
    assert predicted(policy, domain, user("tôi sợ công an, cứu tôi", "report_danger")) is None  # its rule escalates
    assert predicted(policy, domain, user("di lam tau ca o dai loan co an toan ko", "check_job_offer")) is None


def test_a_plain_delete_request_on_a_watched_phone_keeps_the_delete_flow(policy: EscalationPolicy,
                                                                          domain: Domain) -> None:
    assert predicted(policy, domain, user("bọn nó kiểm tra điện thoại, xóa hết đi", "delete_my_data")) is None


def test_nothing_is_answered_inside_a_form(policy: EscalationPolicy, domain: Domain) -> None:
    events = [ActiveLoop("job_offer_form"), SlotSet("requested_slot", "job_country"),
              *user("tôi sợ công an", "inform_location")]
    assert predicted(policy, domain, events) is None


def test_a_child_saying_hello_and_their_age_is_escalated(policy: EscalationPolicy, domain: Domain) -> None:
    assert predicted(policy, domain, user("chao chi, e 16t", "greet")) == "action_escalate"


def test_predicting_on_a_living_tracker_is_predicting_on_a_fresh_one(policy: EscalationPolicy,
                                                                    domain: Domain) -> None:
    """The policy reads only the events added since its last prediction on a tracker (the tracker lives on between
    turns): after every event of a long conversation it predicts what it predicts on a tracker built anew."""
    said = [("cho em hỏi", "greet"), ("họ kiểm tra điện thoại của em", "delete_my_data"),
            ("công ty không trả lương 3 tháng nay", "find_service"), ("/affirm", "affirm"),
            ("có bị công an bắt không", "ask_support_policy"), ("cảm ơn", "thank"),
            ("họ không cho tôi gọi về nhà", "inform_location")]
    living = DialogueStateTracker("tg:1", domain.slots)
    events: list[Event] = []
    outcomes = set()
    for number in range(60):
        text, intent = said[number % len(said)] if number < 40 else said[number % 2]
        turn = [*user(text, intent), ActionExecuted("utter_greet")]
        if number == 20:
            turn += [ActiveLoop("job_offer_form"), *user("ở Campuchia", "inform_location"), ActiveLoop(None)]
        if number == 45:
            turn += [SlotSet("escalated", True)]
        for event in turn:
            events.append(event)
            living.update(event)
            ours = policy.predict_action_probabilities(living, domain).probabilities
            fresh = DialogueStateTracker.from_events("tg:1", list(events), domain.slots)
            assert ours == policy.predict_action_probabilities(fresh, domain).probabilities, (number, event)
            outcomes.add(max(range(len(ours)), key=ours.__getitem__) if max(ours) > 0 else None)
    assert len(outcomes) >= 3  # it escalated, answered and abstained along the way
