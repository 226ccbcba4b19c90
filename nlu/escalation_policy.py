"""Rasa policy: hands the conversation to a human as soon as the signs across all its turns add up to high risk.

Rules escalate the danger intents directly. This policy catches what no single message says: "họ giữ lương" in one
turn and "không cho liên lạc với gia đình" three turns later. It predicts the escalation action right after such a
user message (even in the middle of a form), then listening; otherwise it abstains. It outranks the rule policy
only when it is sure, and it never escalates twice.
"""

from __future__ import annotations

import json
from typing import Any

from rasa.core.policies.policy import Policy, PolicyPrediction
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import UserUttered
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker

from nlu import tables
from nlu.conversation import ConversationRisk

DATA_FILE = "escalation.json"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True)
class EscalationPolicy(Policy):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            "priority": 7,
            "escalate_action": "action_escalate",
            "escalated_slot": "escalated",
            # Intents whose own rules escalate, or that must be answered first.
            "skip_intents": ["report_danger", "report_suspected_trafficking", "express_distress", "request_human",
                             "delete_my_data"],
        }

    def __init__(self, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
                 execution_context: ExecutionContext, data: dict[str, Any] | None = None, **kwargs: Any) -> None:
        super().__init__(config, model_storage, resource, execution_context)
        self._data = data or {"triage": tables.triage_rules(), "teencode": tables.teencode()}
        self._risk = ConversationRisk(self._data["triage"], self._data["teencode"])

    def train(self, training_trackers: list[TrackerWithCachedStates], domain: Domain, **kwargs: Any) -> Resource:
        with self._model_storage.write_to(self._resource) as directory:
            (directory / DATA_FILE).write_text(json.dumps(self._data, ensure_ascii=False), encoding="utf-8")
        return self._resource

    @classmethod
    def load(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> EscalationPolicy:
        with model_storage.read_from(resource) as directory:
            data = json.loads((directory / DATA_FILE).read_text(encoding="utf-8"))
        return cls(config, model_storage, resource, execution_context, data=data)

    def predict_action_probabilities(self, tracker: DialogueStateTracker, domain: Domain,
                                     rule_only_data: dict[str, Any] | None = None, **kwargs: Any) -> PolicyPrediction:
        probabilities = self._default_predictions(domain)
        escalate = self.config["escalate_action"]
        intent = (tracker.latest_message.intent or {}).get("name") if tracker.latest_message else None
        if intent in self.config["skip_intents"] and not tracker.active_loop_name:
            return self._prediction(probabilities)  # their own rules answer; inside a form nothing would
        latest = tracker.latest_action_name
        if latest == ACTION_LISTEN_NAME and not tracker.get_slot(self.config["escalated_slot"]):
            texts = [event.text or "" for event in tracker.events if isinstance(event, UserUttered)]
            if intent in self.config["skip_intents"] or self._risk.of(texts).level == "high":
                probabilities[domain.index_for_action(escalate)] = 1.0
        elif latest == escalate:
            probabilities[domain.index_for_action(ACTION_LISTEN_NAME)] = 1.0
        return self._prediction(probabilities)
