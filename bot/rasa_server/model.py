"""The trained Rasa model: which one matches the current data, and training a new one only when needed.

The model's file name carries a fingerprint of everything training reads (pipeline config, domain, stories and
rules, NLU data, the language tables the components read, the components' code and the Rasa version), so "is the
model current?" is a file lookup and an unchanged project never retrains.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from bot.settings import PROJECT_ROOT, Settings

MODEL_PREFIX = "caunoi-"
KEEP_MODELS = 3


def training_inputs(settings: Settings) -> list[Path]:
    content = settings.content_dir
    return [
        PROJECT_ROOT / "config.yml",
        PROJECT_ROOT / "domain",
        PROJECT_ROOT / "data",
        content / "nlu",
        content / "responses",
        content / "normalise",
        content / "gazetteer",
        content / "triage",
        PROJECT_ROOT / "nlu",
    ]


def _files(path: Path) -> Iterator[Path]:
    if path.is_file():
        yield path
    elif path.is_dir():
        for child in sorted(path.iterdir()):
            if child.name == "__pycache__" or child.name.startswith("."):
                continue
            yield from _files(child)


def fingerprint(settings: Settings) -> str:
    import rasa

    digest = hashlib.sha256(f"rasa {rasa.__version__}\n".encode())
    for root in training_inputs(settings):
        for file in _files(root):
            digest.update(str(file.relative_to(root.parent)).encode() + b"\0")
            digest.update(file.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def model_path(settings: Settings, print_: str) -> Path:
    return settings.model_dir / f"{MODEL_PREFIX}{print_}.tar.gz"


def current_model(settings: Settings) -> Path | None:
    """The model trained from exactly the current inputs, if there is one."""
    path = model_path(settings, fingerprint(settings))
    return path if path.exists() else None


class TrainingFailed(RuntimeError):
    pass


def train(settings: Settings, force: bool = False, quiet: bool = False) -> tuple[Path, bool]:
    """Returns (model, trained_now). Trains only when no model matches the current inputs, unless forced."""
    print_ = fingerprint(settings)
    target = model_path(settings, print_)
    if target.exists() and not force:
        return target, False
    settings.model_dir.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable, "-m", "rasa", "train",
        "--config", str(PROJECT_ROOT / "config.yml"),
        "--domain", str(PROJECT_ROOT / "domain"),
        "--data", str(PROJECT_ROOT / "data"), str(settings.content_dir / "nlu"),
        "--out", str(settings.model_dir),
        "--fixed-model-name", target.name.removesuffix(".tar.gz"),
        "--force",
    ]
    # The NLU components read their language tables from the folder they are given (nlu/tables/files.py): the one
    # these settings name, like the NLU data above and the fingerprint.
    environment = {**os.environ, "CAUNOI_CONTENT_DIR": str(settings.content_dir)}
    result = subprocess.run(command, cwd=PROJECT_ROOT, capture_output=quiet, text=True, env=environment)
    if result.returncode != 0 or not target.exists():
        detail = (result.stderr or "")[-2000:] if quiet else ""
        raise TrainingFailed(f"rasa train failed with code {result.returncode}. {detail}".strip())
    # Keep a few older models: a running Rasa that restarts still finds the one it was started with.
    models = sorted(settings.model_dir.glob(f"{MODEL_PREFIX}*.tar.gz"), key=lambda p: p.stat().st_mtime)
    for old in models[:-KEEP_MODELS]:
        old.unlink(missing_ok=True)
    return target, True
