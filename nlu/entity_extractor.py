"""Rasa component: `province`, `country` and `service_type` entities from the gazetteer (see nlu/gazetteer.py)."""

from __future__ import annotations

from typing import Any

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message

from nlu import tables
from nlu.gazetteer import Gazetteer
from nlu.normaliser import normalised_view
from nlu.persisted import DataComponent
from nlu.text import normalise


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=True)
class GazetteerEntityExtractor(DataComponent, EntityExtractorMixin):
    reader = tables.GAZETTEER

    def __init__(self, config: dict[str, Any], documents: dict[str, Any], model_storage: ModelStorage,
                 resource: Resource) -> None:
        super().__init__(config, documents, model_storage, resource)
        self._gazetteer = Gazetteer(tables.GAZETTEER.of(documents))

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            view = normalised_view(message) or normalise(text)
            entities = [
                {"entity": found.entity, "value": found.value, "start": found.start, "end": found.end,
                 "confidence_entity": 1.0}
                for found in self._gazetteer.find(view)
            ]
            message.set(ENTITIES, message.get(ENTITIES, []) + self.add_extractor_name(entities),
                        add_to_output=True)
        return messages
