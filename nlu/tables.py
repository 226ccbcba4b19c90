"""Loads the language tables the NLU components need from `content/<language>/`; one loader for all of them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from bot.settings import get_settings


class TableError(RuntimeError):
    pass


def content_dir() -> Path:
    return get_settings().content_dir


def read_yaml(relative: str, base: Path | None = None) -> Any:
    path = (base or content_dir()) / relative
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise TableError(f"cannot read {path}: {error}") from None


def teencode(base: Path | None = None) -> dict[str, Any]:
    """{"words": {abbreviation: expansion}, "keep_doubles": [...]} from normalise/teencode.yml."""
    raw = read_yaml("normalise/teencode.yml", base) or {}
    words = {str(k): str(v) for k, v in (raw.get("words") or {}).items()}
    words.update({str(k): str(v) for k, v in (raw.get("phrases") or {}).items()})
    keep = [str(word) for word in (raw.get("squeeze_exceptions") or [])]
    return {"words": words, "keep_doubles": keep}


def gazetteer(base: Path | None = None) -> dict[str, Any]:
    return {name: read_yaml(f"gazetteer/{name}.yml", base) for name in ("provinces", "countries", "service_types")}


def triage_rules(base: Path | None = None) -> dict[str, Any]:
    rules: dict[str, Any] = read_yaml("triage/indicators.yml", base)
    return rules


def dialogue(base: Path | None = None) -> dict[str, Any]:
    data: dict[str, Any] = read_yaml("dialogue.yml", base)
    return data
