"""Base for components built from language data: read from `content/` when training, kept inside the model.

A model then parses exactly as it was trained, whatever happens to the content files later; changed content
changes the model's fingerprint, so `caunoi train` retrains.
"""

from __future__ import annotations

import json
from typing import Any, TypeVar

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.training_data.training_data import TrainingData

DATA_FILE = "data.json"
Self = TypeVar("Self", bound="DataComponent")


class DataComponent(GraphComponent):
    def __init__(self, config: dict[str, Any], data: dict[str, Any], model_storage: ModelStorage,
                 resource: Resource) -> None:
        self._config = config
        self._data = data
        self._storage = model_storage
        self._resource = resource

    @classmethod
    def read_content(cls) -> dict[str, Any]:
        raise NotImplementedError

    @classmethod
    def create(cls: type[Self], config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> Self:
        return cls(config, cls.read_content(), model_storage, resource)

    @classmethod
    def load(cls: type[Self], config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> Self:
        with model_storage.read_from(resource) as directory:
            data = json.loads((directory / DATA_FILE).read_text(encoding="utf-8"))
        return cls(config, data, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        with self._storage.write_to(self._resource) as directory:
            (directory / DATA_FILE).write_text(json.dumps(self._data, ensure_ascii=False), encoding="utf-8")
        return self._resource
