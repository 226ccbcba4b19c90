"""Rasa policy: hands the conversation to a human as soon as the signs across all its turns add up to high risk.

Rules escalate the danger intents directly. This policy catches what no single message says: "họ giữ lương" in one
turn and "không cho liên lạc với gia đình" three turns later. It predicts the escalation action right after such a
user message (even in the middle of a form), then listening; otherwise it abstains. It outranks the rule policy
only when it is sure, and it never escalates twice.

It also answers the signs that have an answer of their own (triage rules, `answered`: fear of the police, a
watched phone, a question about labour trafficking) with the safety answer action, whatever the intent, when the
conversation is not high risk and no form is running — these needs hide in many intents ("họ kiểm tra điện thoại"
reads as deleting data, "có bị bắt không" as a rights question), so a phrase table beats a new intent.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from rasa.core.policies.policy import Policy, PolicyPrediction
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import Event, UserUttered
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker

from nlu import tables
from nlu.conversation import ConversationRisk
from nlu.persisted import content_config, dump_documents, read_documents

DATA_FILE = "escalation.json"
_SAID = "_caunoi_said"  # what `_said` keeps on a tracker


@dataclass(frozen=True)
class Said:
    """The person's messages in a tracker's first `count` events: the last text and the union of every text's
    signs (what the risk over all of them is graded from), and the last of those events."""

    count: int
    last: Event | None
    latest: str | None
    signs: frozenset[str]


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True)
class EscalationPolicy(Policy):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            "priority": 7,
            "escalate_action": "action_escalate",
            "answer_action": "action_safety_answer",
            "escalated_slot": "escalated",
            # Intents whose own rules escalate, or that must be answered first.
            "skip_intents": ["report_danger", "report_suspected_trafficking", "express_distress", "request_human",
                             "delete_my_data"],
            # Intents whose escalation already answers every sign (content/vi/dialogue.yml `safety_for_sign`).
            "escalating_intents": ["report_danger", "report_suspected_trafficking", "express_distress",
                                   "request_human"],
            **content_config(),
        }

    def __init__(self, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
                 execution_context: ExecutionContext, documents: dict[str, Any] | None = None,
                 **kwargs: Any) -> None:
        super().__init__(config, model_storage, resource, execution_context)
        # Read from content when trained (the triage rules and teencode files), from the model when loaded.
        self._documents = documents or {**read_documents(tables.TRIAGE, self.config),
                                        **read_documents(tables.TEENCODE, self.config)}
        self._risk = ConversationRisk(tables.TRIAGE.of(self._documents), tables.TEENCODE.of(self._documents))

    def train(self, training_trackers: list[TrackerWithCachedStates], domain: Domain, **kwargs: Any) -> Resource:
        with self._model_storage.write_to(self._resource) as directory:
            (directory / DATA_FILE).write_text(dump_documents(self._documents), encoding="utf-8")
        return self._resource

    @classmethod
    def load(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> EscalationPolicy:
        with model_storage.read_from(resource) as directory:
            documents = json.loads((directory / DATA_FILE).read_text(encoding="utf-8"))
        return cls(config, model_storage, resource, execution_context, documents=documents)

    def predict_action_probabilities(self, tracker: DialogueStateTracker, domain: Domain,
                                     rule_only_data: dict[str, Any] | None = None, **kwargs: Any) -> PolicyPrediction:
        probabilities = self._default_predictions(domain)
        escalate, answer = self.config["escalate_action"], self.config["answer_action"]
        intent = (tracker.latest_message.intent or {}).get("name") if tracker.latest_message else None
        latest = tracker.latest_action_name
        if latest == answer:
            probabilities[domain.index_for_action(ACTION_LISTEN_NAME)] = 1.0
            return self._prediction(probabilities)
        said = self._said(tracker)
        if latest == ACTION_LISTEN_NAME and self._answers(tracker, said, intent):
            probabilities[domain.index_for_action(answer)] = 1.0
            return self._prediction(probabilities)
        if intent in self.config["skip_intents"] and not tracker.active_loop_name:
            return self._prediction(probabilities)  # their own rules answer; inside a form nothing would
        if latest == ACTION_LISTEN_NAME and not tracker.get_slot(self.config["escalated_slot"]):
            if intent in self.config["skip_intents"] or self._risk.triage.grade(said.signs).level == "high":
                probabilities[domain.index_for_action(escalate)] = 1.0
        elif latest == escalate:
            probabilities[domain.index_for_action(ACTION_LISTEN_NAME)] = 1.0
        return self._prediction(probabilities)

    def _answers(self, tracker: DialogueStateTracker, said: Said, intent: str | None) -> bool:
        """The latest message carries a sign with an answer of its own, and nothing calls for a human instead."""
        if tracker.active_loop_name or intent in self.config["escalating_intents"]:
            return False
        if self._risk.triage.grade(said.signs).level == "high":
            return False
        latest = [said.latest] if said.latest is not None else []
        return self._risk.triage.answered(self._risk.of(latest).indicators, intent) is not None

    def _said(self, tracker: DialogueStateTracker) -> Said:
        """What the person said in the whole tracker (every message, as `ConversationRisk.of` reads them), read only
        from the events added since the last prediction on this tracker: the policy predicts several times a turn and
        the tracker lives on between turns (bot/rasa_server/tracker_store.py), so the cost of a prediction does not
        grow with the conversation. Read again from the first event when the events it read changed (a new tracker,
        a rewritten history)."""
        events = tracker.events
        kept: Said | None = tracker.__dict__.get(_SAID)
        if kept is None or len(events) < kept.count or (kept.count and events[kept.count - 1] is not kept.last):
            kept = Said(0, None, None, frozenset())
        latest, signs = kept.latest, set(kept.signs)
        for index in range(kept.count, len(events)):
            event = events[index]
            if isinstance(event, UserUttered):
                latest = event.text or ""
                signs |= self._risk.signs_of(latest)
        said = Said(len(events), events[-1] if events else None, latest, frozenset(signs))
        tracker.__dict__[_SAID] = said
        return said
