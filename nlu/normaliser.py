"""Rasa component: puts a normalised view of the message text beside the text (which it leaves as written).

NFC, one tone-mark placement, letters typed three or more times collapsed, teencode and abbreviations expanded
from `content/vi/normalise/teencode.yml`, lower case — with each character's offsets in the original kept.
The table is copied into the model when training, so a model always parses the way it was trained.
"""

from __future__ import annotations

import json
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu import tables
from nlu.text import Normalised, Table, normalise

NORMALISED = "caunoi_normalised"
TABLE_FILE = "teencode.json"


def normalised_view(message: Message) -> Normalised | None:
    """The normaliser's output for the message's text, if the normaliser ran."""
    data = message.get(NORMALISED)
    return Normalised.from_dict(message.get(TEXT) or "", data) if isinstance(data, dict) else None


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=True)
class VietnameseNormaliser(GraphComponent):
    def __init__(self, raw_table: dict[str, Any], model_storage: ModelStorage, resource: Resource) -> None:
        self._raw = raw_table
        self._table = Table.build(raw_table["words"], raw_table["keep_doubles"])
        self._storage = model_storage
        self._resource = resource

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> VietnameseNormaliser:
        return cls(tables.teencode(), model_storage, resource)

    @classmethod
    def load(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> VietnameseNormaliser:
        with model_storage.read_from(resource) as directory:
            raw = json.loads((directory / TABLE_FILE).read_text(encoding="utf-8"))
        return cls(raw, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        with self._storage.write_to(self._resource) as directory:
            (directory / TABLE_FILE).write_text(json.dumps(self._raw, ensure_ascii=False), encoding="utf-8")
        return self._resource

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
