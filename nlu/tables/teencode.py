"""Teencode and abbreviations (`normalise/teencode.yml`): what the normaliser expands, and what it leaves doubled."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from nlu.tables.files import Documents, Problem, Reader

FILE = "normalise/teencode.yml"


@dataclass(frozen=True)
class Teencode:
    words: Mapping[str, str]  # what people type ("ko", "ko dc") -> what it stands for ("không", "không được")
    keep_doubles: tuple[str, ...]  # words whose doubled letters are real ("xoong", "facebook")


def parse_teencode(documents: Documents, base: Path) -> tuple[Teencode | None, list[Problem]]:
    raw = documents[FILE] or {}
    if not isinstance(raw, dict):
        return None, [Problem(base / FILE, "must hold words:, phrases: and squeeze_exceptions:")]
    problems: list[Problem] = []
    words: dict[str, str] = {}
    for section in ("words", "phrases"):
        entries = raw.get(section) or {}
        if not isinstance(entries, dict):
            problems.append(Problem(base / FILE, f"{section} must be a mapping of what is typed: what it stands for"))
            continue
        # Keys as text whatever YAML made of them: a number typed as an abbreviation is still what people type.
        words.update({str(key): str(value) for key, value in entries.items()})
    keep = raw.get("squeeze_exceptions") or []
    if not isinstance(keep, list):
        problems.append(Problem(base / FILE, "squeeze_exceptions must be a list of words"))
        keep = []
    if problems:
        return None, problems
    return Teencode(MappingProxyType(words), tuple(str(word) for word in keep)), []


TEENCODE = Reader((FILE,), parse_teencode)
