"""Rasa component: puts a normalised view of the message text beside the text (which it leaves as written).

NFC, one tone-mark placement, letters typed three or more times collapsed, teencode and abbreviations expanded
from `content/vi/normalise/teencode.yml` (nlu/tables/teencode.py), lower case — with each character's offsets in the
original kept.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu import tables
from nlu.persisted import DataComponent
from nlu.text import Normalised, Table, normalise

NORMALISED = "caunoi_normalised"


def normalised_view(message: Message) -> Normalised | None:
    """The normaliser's output for the message's text, if the normaliser ran."""
    data = message.get(NORMALISED)
    return Normalised.from_dict(message.get(TEXT) or "", data) if isinstance(data, dict) else None


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=True)
class VietnameseNormaliser(DataComponent):
    reader = tables.TEENCODE

    def __init__(self, config: dict[str, Any], documents: dict[str, Any], model_storage: ModelStorage,
                 resource: Resource) -> None:
        super().__init__(config, documents, model_storage, resource)
        teencode = tables.TEENCODE.of(documents)
        self._table = Table.build(teencode.words, teencode.keep_doubles)

    def normalise(self, text: str) -> Normalised:
        return normalise(text, self._table)

    def _annotate(self, message: Message) -> None:
        text = message.get(TEXT)
        if isinstance(text, str):
            message.set(NORMALISED, self.normalise(text).as_dict())

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        for example in training_data.training_examples:
            self._annotate(example)
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            self._annotate(message)
        return messages
