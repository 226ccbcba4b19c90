"""Training, loading and querying the two NLU models compared: ours (config.yml) and Rasa's default pipeline.

Both are trained NLU-only with Rasa's Python API on the same files `caunoi train` reads, into a directory
the caller owns. Messages are parsed the way `caunoi parse` parses them (same input guard, same JSON
judgement), so the scores are the scores of what the bot sees.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import shutil
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import yaml

from bot.cli.parse import judgement
from bot.rasa_server import model as project_model
from bot.settings import PROJECT_ROOT, get_settings
from evaluation.metrics import HIGH_RISK_INTENTS, EntityKey
from nlu.guard import forced_intent_prefix

# Rasa's training cache would make the second training of a config look nearly free.
os.environ.setdefault("RASA_MAX_CACHE_SIZE", "0")

OUR_CONFIG = PROJECT_ROOT / "config.yml"
DOMAIN = PROJECT_ROOT / "domain"
NLU_DATA = PROJECT_ROOT / "content" / "vi" / "nlu"
# Under models/ (git-ignored); `caunoi train` only ever removes models/caunoi-*.tar.gz.
MODEL_CACHE = PROJECT_ROOT / "models" / "eval"

# The pipeline `rasa init` suggests (ResponseSelector left out: there are no retrieval intents).
DEFAULT_PIPELINE: list[dict[str, Any]] = [
    {"name": "WhitespaceTokenizer"},
    {"name": "RegexFeaturizer"},
    {"name": "LexicalSyntacticFeaturizer"},
    {"name": "CountVectorsFeaturizer"},
    {"name": "CountVectorsFeaturizer", "analyzer": "char_wb", "min_ngram": 1, "max_ngram": 4},
    {"name": "DIETClassifier", "epochs": 100},
    {"name": "EntitySynonymMapper"},
    {"name": "FallbackClassifier", "threshold": 0.3, "ambiguity_threshold": 0.1},
]


@dataclass(frozen=True)
class Pipeline:
    name: str
    config: Path
    # Ours escalates on the RiskAssessor's level; a plain pipeline can only escalate on its intent.
    escalates_by_risk: bool
    steps: tuple[str, ...]  # read up front: the default's config lives in a temporary directory


def default_pipeline(directory: Path) -> Pipeline:
    config = {"recipe": "default.v1", "language": "vi", "assistant_id": "caunoi-default-pipeline",
              "pipeline": DEFAULT_PIPELINE}
    path = directory / "default-pipeline.yml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return Pipeline("default", path, False, components(path))


def our_pipeline(config: Path = OUR_CONFIG) -> Pipeline:
    return Pipeline("ours", config, True, components(config))


def components(config: Path) -> tuple[str, ...]:
    """The pipeline as readable lines: `Name(key=value, ...)`."""
    pipeline = yaml.safe_load(config.read_text(encoding="utf-8")).get("pipeline") or []
    lines = []
    for step in pipeline:
        options = ", ".join(f"{k}={v}" for k, v in step.items() if k != "name")
        lines.append(f"{step['name']}({options})" if options else str(step["name"]))
    return tuple(lines)


def fingerprint(pipeline: Pipeline) -> str:
    """What the model is trained from; for config.yml, the fingerprint in `caunoi train`'s model name."""
    import rasa

    if pipeline.config.resolve() == OUR_CONFIG.resolve():
        return project_model.fingerprint(get_settings())
    digest = hashlib.sha256(f"rasa {rasa.__version__}\n".encode() + pipeline.config.read_bytes())
    if pipeline.escalates_by_risk:  # our components: their code and language tables count too
        digest.update(project_model.fingerprint(get_settings()).encode())
    else:
        for file in sorted(NLU_DATA.rglob("*.yml")):
            digest.update(file.name.encode() + b"\0" + file.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


@dataclass(frozen=True)
class TrainedModel:
    pipeline: Pipeline
    path: Path
    seconds: float
    size_bytes: int
    fingerprint: str
    trained_at: str
    reused: bool = False


def train(pipeline: Pipeline, directory: Path) -> TrainedModel:
    from rasa.model_training import train_nlu

    inputs = fingerprint(pipeline)
    started = time.perf_counter()
    path = train_nlu(str(pipeline.config), str(NLU_DATA), str(directory), fixed_model_name=pipeline.name,
                     domain=str(DOMAIN))
    seconds = time.perf_counter() - started
    if path is None:
        raise RuntimeError(f"training the {pipeline.name} pipeline ({pipeline.config}) failed")
    model = Path(path)
    return TrainedModel(pipeline, model, seconds, model.stat().st_size, inputs,
                        datetime.now(timezone.utc).isoformat(timespec="seconds"))


def train_or_reuse(pipeline: Pipeline, directory: Path, cache: Path) -> TrainedModel:
    """The default pipeline trains for half an hour on two cores: its model is kept while its inputs last."""
    inputs = fingerprint(pipeline)
    kept = cache / f"{pipeline.name}-{inputs}.tar.gz"
    facts = cache / f"{pipeline.name}-{inputs}.json"
    if kept.exists() and facts.exists():
        recorded = json.loads(facts.read_text(encoding="utf-8"))
        return TrainedModel(pipeline, kept, float(recorded["seconds"]), kept.stat().st_size, inputs,
                            str(recorded["trained_at"]), reused=True)
    trained = train(pipeline, directory)
    cache.mkdir(parents=True, exist_ok=True)
    for old in cache.glob(f"{pipeline.name}-*"):
        old.unlink()
    shutil.copyfile(trained.path, kept)
    facts.write_text(json.dumps({"seconds": trained.seconds, "trained_at": trained.trained_at}),
                     encoding="utf-8")
    return trained


@dataclass(frozen=True)
class Judgement:
    """One message as `caunoi parse` reports it."""

    intent: str
    confidence: float
    entities: frozenset[EntityKey]
    risk_level: str
    reasons: tuple[str, ...]


def quiet_rasa() -> None:
    """Rasa's debug logs would print every parsed line (and slow parsing down): warnings only, on stderr."""
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING)
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.WARNING)


def load(model: TrainedModel) -> Any:
    from rasa.core.agent import Agent

    return Agent.load(str(model.path))


async def judge(agent: Any, line: str) -> Judgement:
    offset = forced_intent_prefix(line)
    payload = line[offset:]
    parsed = await agent.parse_message(payload) if payload.strip() else None
    result = judgement(line, parsed, offset)
    return Judgement(
        result["intent"]["name"], result["intent"]["confidence"],
        frozenset((e["entity"], e["value"], e["start"], e["end"]) for e in result["entities"]),
        result["risk"]["level"], tuple(result["risk"]["reasons"]),
    )


def judge_all(agent: Any, lines: Sequence[str]) -> list[Judgement]:
    async def run() -> list[Judgement]:
        return [await judge(agent, line) for line in lines]

    return asyncio.run(run())


def escalated(pipeline: Pipeline, result: Judgement) -> bool:
    if pipeline.escalates_by_risk:
        return result.risk_level == "high"
    return result.intent in HIGH_RISK_INTENTS
