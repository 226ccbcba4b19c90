"""Texts the gateway sends by itself (Rasa down, empty message): `content/<language>/gateway/messages.yml`."""

from __future__ import annotations

from pathlib import Path
from types import MappingProxyType

import yaml

from bot.content.models import GatewayTexts
from nlu.tables import parse_yaml

REQUIRED = ("degraded", "empty")
NOT_TEXT = ("verified_at",)  # bookkeeping in the same file, not something to send


def parse_gateway(path: Path) -> tuple[GatewayTexts | None, list[str]]:
    try:
        raw = parse_yaml(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        return None, [f"cannot read: {error}"]
    if not isinstance(raw, dict):
        return None, ["must be a mapping of name: text"]
    reasons = [f"lacks {name}" for name in REQUIRED if not (isinstance(raw.get(name), str) and raw[name].strip())]
    extra: dict[str, str] = {}
    for name, value in raw.items():
        if name in REQUIRED or name in NOT_TEXT:
            continue
        if not (isinstance(value, str) and value.strip()):
            reasons.append(f"{name} must be a non-empty text")
        else:
            extra[str(name)] = value.strip()
    if reasons:
        return None, reasons
    return GatewayTexts(degraded=raw["degraded"].strip(), empty=raw["empty"].strip(),
                        extra=MappingProxyType(extra)), []
