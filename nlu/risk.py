"""Rasa component: adds `risk` (level, reasons, indicators) to every parsed message; see nlu/triage.py.

It also turns a message with no words at all (empty, only emoji or punctuation) into `nlu_fallback`, since a
classifier can only guess there.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.constants import DEFAULT_NLU_FALLBACK_INTENT_NAME
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, PREDICTED_CONFIDENCE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from nlu import tables
from nlu.normaliser import normalised_view
from nlu.persisted import DataComponent
from nlu.phrases import SYLLABLE
from nlu.text import normalise
from nlu.triage import Triage

RISK = "risk"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class RiskAssessor(DataComponent):
    reader = tables.TRIAGE

    def __init__(self, config: dict[str, Any], documents: dict[str, Any], model_storage: ModelStorage,
                 resource: Resource) -> None:
        super().__init__(config, documents, model_storage, resource)
        self._triage = Triage(tables.TRIAGE.of(documents))

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            view = normalised_view(message) or normalise(message.get(TEXT) or "")
            if not SYLLABLE.search(view.text):
                message.set(INTENT, {INTENT_NAME_KEY: DEFAULT_NLU_FALLBACK_INTENT_NAME,
                                     PREDICTED_CONFIDENCE_KEY: 1.0}, add_to_output=True)
            intent = (message.get(INTENT) or {}).get(INTENT_NAME_KEY)
            message.set(RISK, self._triage.assess(view, intent).as_dict(), add_to_output=True)
        return messages
