"""Base for components built from a language table: read from `content/` when training, kept inside the model.

A component is given its folder: `content_dir` in its entry of config.yml, else the deployment's (nlu/tables/files.py,
`content_dir`). It keeps the table's documents in the model and types them again when the model is loaded, with the
same reader, so a model parses exactly as it was trained whatever happens to the content files later; changed
content changes the model's fingerprint, so `caunoi train` retrains.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar, TypeVar

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu import tables

DATA_FILE = "data.json"
Self = TypeVar("Self", bound="DataComponent")


def content_config() -> dict[str, Any]:
    """The configuration every component built from content takes: None is the deployment's folder."""
    return {"content_dir": None}


def read_documents(reader: tables.Reader[Any], config: dict[str, Any]) -> dict[str, Any]:
    """The table's files as parsed, from the component's folder; TableError naming every problem in them."""
    return reader.documents(tables.content_dir(config.get("content_dir")))


def dump_documents(documents: dict[str, Any]) -> str:
    # A date YAML read unquoted is kept as the text it was written as; the readers take both.
    return json.dumps(documents, ensure_ascii=False, default=str)


class DataComponent(GraphComponent):
    reader: ClassVar[tables.Reader[Any]]  # the table the component is built from

    def __init__(self, config: dict[str, Any], documents: dict[str, Any], model_storage: ModelStorage,
                 resource: Resource) -> None:
        self._config = config
        self._documents = documents
        self._storage = model_storage
        self._resource = resource

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return content_config()

    @classmethod
    def create(cls: type[Self], config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> Self:
        return cls(config, read_documents(cls.reader, config), model_storage, resource)

    @classmethod
    def load(cls: type[Self], config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> Self:
        with model_storage.read_from(resource) as directory:
            documents = json.loads((directory / DATA_FILE).read_text(encoding="utf-8"))
        return cls(config, documents, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        with self._storage.write_to(self._resource) as directory:
            (directory / DATA_FILE).write_text(dump_documents(self._documents), encoding="utf-8")
        return self._resource
