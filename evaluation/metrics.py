"""The numbers the NLU is judged by, as pure functions over gold and predicted labels (no Rasa, no models).

Intent scores are computed over a fixed label set (the 18 intents): a prediction outside it, such as
`nlu_fallback`, is simply wrong for its gold intent and counts against no label's precision.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

HIGH_RISK_INTENTS = frozenset({"report_danger", "report_suspected_trafficking", "express_distress"})

# (entity type, canonical value, start, end): an entity counts only when all four match.
EntityKey = tuple[str, str, int, int]


@dataclass(frozen=True)
class Scores:
    precision: float
    recall: float
    f1: float
    support: int


def _f1(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def accuracy(gold: Sequence[str], predicted: Sequence[str]) -> float:
    _same_length(gold, predicted)
    return sum(g == p for g, p in zip(gold, predicted, strict=True)) / len(gold) if gold else 0.0


def per_label(gold: Sequence[str], predicted: Sequence[str], labels: Collection[str]) -> dict[str, Scores]:
    """Precision, recall and F1 of each label in `labels` (sorted by name)."""
    _same_length(gold, predicted)
    table: dict[str, Scores] = {}
    for label in sorted(labels):
        hits = sum(1 for g, p in zip(gold, predicted, strict=True) if g == p == label)
        claimed = sum(1 for p in predicted if p == label)
        support = sum(1 for g in gold if g == label)
        precision = hits / claimed if claimed else 0.0
        recall = hits / support if support else 0.0
        table[label] = Scores(precision, recall, _f1(precision, recall), support)
    return table


def macro_f1(gold: Sequence[str], predicted: Sequence[str], labels: Collection[str]) -> float:
    """Mean F1 over those of `labels` that occur in gold or predictions (so a subset is scored fairly)."""
    present = {label for label in labels if label in gold or label in predicted}
    table = per_label(gold, predicted, present)
    return sum(s.f1 for s in table.values()) / len(table) if table else 0.0


def confusions(gold: Sequence[str], predicted: Sequence[str], top: int = 10) -> list[tuple[str, str, int]]:
    """The most frequent (gold, predicted) pairs where they differ, most frequent first."""
    _same_length(gold, predicted)
    counts = Counter((g, p) for g, p in zip(gold, predicted, strict=True) if g != p)
    return [(g, p, n) for (g, p), n in sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:top]]


def high_risk_recall(gold: Sequence[str], escalated: Sequence[bool],
                     high_risk: Collection[str] = HIGH_RISK_INTENTS) -> float:
    """Share of messages whose gold intent is high-risk that were escalated (1.0 when there are none)."""
    _same_length(gold, escalated)
    flags = [flag for g, flag in zip(gold, escalated, strict=True) if g in high_risk]
    return sum(flags) / len(flags) if flags else 1.0


def false_escalation_rate(gold: Sequence[str], escalated: Sequence[bool],
                          high_risk: Collection[str] = HIGH_RISK_INTENTS) -> float:
    """Share of messages whose gold intent is not high-risk that were escalated anyway."""
    _same_length(gold, escalated)
    flags = [flag for g, flag in zip(gold, escalated, strict=True) if g not in high_risk]
    return sum(flags) / len(flags) if flags else 0.0


@dataclass(frozen=True)
class EntityScores:
    precision: float | None  # None: nothing was predicted
    recall: float | None  # None: nothing to find
    gold: int
    predicted: int
    correct: int


def entity_scores(gold: Iterable[Collection[EntityKey]], predicted: Iterable[Collection[EntityKey]],
                  entity: str | None = None) -> EntityScores:
    """Exact-match precision and recall, message by message; only one entity type when `entity` is given."""
    totals = [0, 0, 0]
    for gold_set, predicted_set in zip(gold, predicted, strict=True):
        wanted = {key for key in gold_set if entity is None or key[0] == entity}
        found = {key for key in predicted_set if entity is None or key[0] == entity}
        totals[0] += len(wanted)
        totals[1] += len(found)
        totals[2] += len(wanted & found)
    n_gold, n_predicted, correct = totals
    return EntityScores(correct / n_predicted if n_predicted else None, correct / n_gold if n_gold else None,
                        n_gold, n_predicted, correct)


def _same_length(first: Sequence[object], second: Sequence[object]) -> None:
    if len(first) != len(second):
        raise ValueError(f"{len(first)} gold labels but {len(second)} predictions")
