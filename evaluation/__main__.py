"""Scores our NLU on the held-out test split beside Rasa's default pipeline; writes reports/nlu.md and .json.

    make eval
    python -m evaluation [--config CONFIG] [--reports DIR]

Trains our model into a temporary directory, parses every test line as `caunoi parse` would, and exits 1
when our model misses a target (evaluation/scoring.py lists them). Rasa's default pipeline (DIET, 100
epochs) takes far longer to train, so its model is kept in models/eval/ and retrained only when its inputs
(its config, the NLU data, the Rasa version) change, or with --retrain-default; the report says which.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path

from bot.settings import PROJECT_ROOT
from evaluation import pipelines, report, scoring
from evaluation.testset import GoldExample, load_test_split


def evaluate(trained: pipelines.TrainedModel, examples: Sequence[GoldExample],
             labels: frozenset[str]) -> scoring.Evaluated:
    judgements = pipelines.judge_all(pipelines.load(trained), [e.text for e in examples])
    return scoring.Evaluated(trained, scoring.score(trained.pipeline, examples, judgements, labels))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evaluation", description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=pipelines.OUR_CONFIG,
                        help="our pipeline (default: config.yml)")
    parser.add_argument("--retrain-default", action="store_true",
                        help=f"retrain the default pipeline even if {pipelines.MODEL_CACHE} has its model")
    parser.add_argument("--reports", type=Path, default=PROJECT_ROOT / "reports",
                        help="where to write nlu.md and nlu.json")
    args = parser.parse_args(argv)
    pipelines.quiet_rasa()

    examples = load_test_split()
    labels = frozenset(e.intent for e in examples)
    with tempfile.TemporaryDirectory(prefix="caunoi-eval-") as temporary:
        directory = Path(temporary)
        ours = evaluate(pipelines.train(pipelines.our_pipeline(args.config), directory), examples, labels)
        baseline = pipelines.default_pipeline(directory)
        trained = (pipelines.train(baseline, directory) if args.retrain_default
                   else pipelines.train_or_reuse(baseline, directory, pipelines.MODEL_CACHE))
        default = evaluate(trained, examples, labels)
    checks = scoring.targets(ours.scores, default.scores)

    generated = datetime.now(timezone.utc)
    args.reports.mkdir(parents=True, exist_ok=True)
    (args.reports / "nlu.md").write_text(report.markdown(ours, default, checks, generated), encoding="utf-8")
    (args.reports / "nlu.json").write_text(
        json.dumps(report.as_json(ours, default, checks, generated), ensure_ascii=False, indent=2) + "\n",
        encoding="utf-8")

    for check in checks:
        print(f"{'pass' if check.passed else 'FAIL'}  {check.description}: {check.value:.3f} "
              f"(limit {check.threshold:.3f})")
    print(f"report: {args.reports / 'nlu.md'}")
    return 0 if all(check.passed for check in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
