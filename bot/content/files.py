"""YAML parsing for content files: libyaml's C parser when PyYAML has it (the pure-Python one takes ~1 s for the
gazetteer, which every check and every test copy reads), with the same safe loader semantics either way."""

from __future__ import annotations

from typing import Any

import yaml

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse_yaml(text: str) -> Any:
    """Raises yaml.YAMLError on malformed text."""
    return yaml.load(text, Loader=_Loader)  # a safe loader, C or Python
