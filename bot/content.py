"""Texts the gateway sends by itself, loaded once from `content/<language>/gateway/messages.yml`."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import yaml


@dataclass(frozen=True)
class GatewayTexts:
    degraded: str
    empty: str


class ContentError(RuntimeError):
    pass


@functools.lru_cache(maxsize=4)
def gateway_texts(content_dir: Path) -> GatewayTexts:
    path = content_dir / "gateway" / "messages.yml"
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise ContentError(f"cannot read {path}: {error}") from None
    missing = [name for name in ("degraded", "empty") if not str(raw.get(name) or "").strip()]
    if missing:
        raise ContentError(f"{path} lacks {', '.join(missing)}")
    return GatewayTexts(degraded=raw["degraded"].strip(), empty=raw["empty"].strip())
