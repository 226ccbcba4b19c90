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
from nlu import tables
from nlu.escalation_policy import EscalationPolicy


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(PROJECT_ROOT / "domain"))


@pytest.fixture
def policy(tmp_path: Any) -> EscalationPolicy:
    storage = LocalModelStorage(tmp_path)
    data = {"triage": tables.triage_rules(), "teencode": tables.teencode()}
    return EscalationPolicy(EscalationPolicy.get_default_config(), storage, Resource("escalation"),
                            ExecutionContext(GraphSchema({}), "test"), data=data)


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
