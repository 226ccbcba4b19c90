"""All the numbers for one model on the test split, and the targets our model has to meet."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from evaluation import metrics
from evaluation.pipelines import Judgement, Pipeline, TrainedModel, escalated
from evaluation.testset import GoldExample

MIN_MACRO_F1 = 0.92
MIN_HIGH_RISK_RECALL = 0.98
MAX_FALSE_ESCALATION = 0.03
ENTITY_TYPES = ("province", "country", "service_type")
HIGH_RISK = metrics.HIGH_RISK_INTENTS


@dataclass(frozen=True)
class Line:
    """A test line the model got wrong, for the report (the test texts are synthetic)."""

    text: str
    gold: str
    predicted: str
    confidence: float
    risk_level: str
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class ModelScores:
    name: str
    examples: int
    examples_no_diacritics: int
    accuracy: float
    macro_f1: float
    macro_f1_no_diacritics: float
    high_risk_recall: float
    false_escalation_rate: float
    per_intent: dict[str, metrics.Scores]
    confusions: list[tuple[str, str, int]]
    entities: metrics.EntityScores
    entities_by_type: dict[str, metrics.EntityScores]
    missed_high_risk: list[Line]
    false_escalations: list[Line]


def score(pipeline: Pipeline, examples: Sequence[GoldExample], judgements: Sequence[Judgement],
          labels: frozenset[str]) -> ModelScores:
    if len(examples) != len(judgements):
        raise ValueError(f"{len(examples)} examples but {len(judgements)} judgements")
    gold = [e.intent for e in examples]
    predicted = [j.intent for j in judgements]
    flags = [escalated(pipeline, j) for j in judgements]
    plain = [i for i, e in enumerate(examples) if e.without_diacritics]
    gold_entities = [e.entities for e in examples]
    found_entities = [j.entities for j in judgements]

    def line(index: int) -> Line:
        j = judgements[index]
        return Line(examples[index].text, gold[index], j.intent, round(j.confidence, 3), j.risk_level,
                    j.reasons)

    return ModelScores(
        name=pipeline.name,
        examples=len(examples),
        examples_no_diacritics=len(plain),
        accuracy=metrics.accuracy(gold, predicted),
        macro_f1=metrics.macro_f1(gold, predicted, labels),
        macro_f1_no_diacritics=metrics.macro_f1([gold[i] for i in plain], [predicted[i] for i in plain],
                                                labels),
        high_risk_recall=metrics.high_risk_recall(gold, flags),
        false_escalation_rate=metrics.false_escalation_rate(gold, flags),
        per_intent=metrics.per_label(gold, predicted, labels),
        confusions=metrics.confusions(gold, predicted),
        entities=metrics.entity_scores(gold_entities, found_entities),
        entities_by_type={t: metrics.entity_scores(gold_entities, found_entities, t) for t in ENTITY_TYPES},
        missed_high_risk=[line(i) for i, g in enumerate(gold) if g in HIGH_RISK and not flags[i]],
        false_escalations=[line(i) for i, g in enumerate(gold) if g not in HIGH_RISK and flags[i]],
    )


@dataclass(frozen=True)
class Target:
    description: str
    value: float
    threshold: float
    passed: bool


def targets(ours: ModelScores, default: ModelScores | None) -> list[Target]:
    checks = [
        Target("macro-F1 ≥ 0.92", ours.macro_f1, MIN_MACRO_F1, ours.macro_f1 >= MIN_MACRO_F1),
        Target("high-risk recall ≥ 0.98", ours.high_risk_recall, MIN_HIGH_RISK_RECALL,
               ours.high_risk_recall >= MIN_HIGH_RISK_RECALL),
        Target("false escalation ≤ 0.03", ours.false_escalation_rate, MAX_FALSE_ESCALATION,
               ours.false_escalation_rate <= MAX_FALSE_ESCALATION),
    ]
    if default is not None:
        checks += [
            Target("macro-F1 above the default pipeline's", ours.macro_f1, default.macro_f1,
                   ours.macro_f1 > default.macro_f1),
            Target("macro-F1 without diacritics above the default pipeline's",
                   ours.macro_f1_no_diacritics, default.macro_f1_no_diacritics,
                   ours.macro_f1_no_diacritics > default.macro_f1_no_diacritics),
        ]
    return checks


@dataclass(frozen=True)
class Evaluated:
    model: TrainedModel
    scores: ModelScores
