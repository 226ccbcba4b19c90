"""The held-out test split (tests/nlu/test_split.yml) as gold examples: text, intent, entities."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bot.settings import PROJECT_ROOT
from evaluation.metrics import EntityKey
from nlu.text import fold

TEST_SPLIT = PROJECT_ROOT / "tests" / "nlu" / "test_split.yml"


@dataclass(frozen=True)
class GoldExample:
    text: str
    intent: str
    entities: frozenset[EntityKey]

    @property
    def without_diacritics(self) -> bool:
        return fold(self.text) == self.text


def load_test_split(path: Path = TEST_SPLIT) -> list[GoldExample]:
    from rasa.shared.nlu.training_data.loading import load_data

    data = load_data(str(path))
    examples = []
    for message in data.intent_examples:
        entities = frozenset(
            (str(e["entity"]), str(e["value"]), int(e["start"]), int(e["end"]))
            for e in message.get("entities") or ()
        )
        examples.append(GoldExample(str(message.get("text")), str(message.get("intent")), entities))
    if not examples:
        raise ValueError(f"{path} holds no intent examples")
    return examples
