"""Reading content files: where the language folder is, YAML parsed one way everywhere, and what is wrong with a file.

YAML goes through libyaml's C parser when PyYAML has it (the pure-Python one takes ~1 s for the gazetteer, which every
check, every test copy and every training reads), with the same safe loader semantics either way.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Generic, TypeVar

import yaml

# The deployment's language folder: the variable bot/settings.py reads for every other process (nlu/ may not import
# it; tests/nlu/test_tables.py keeps the two readings equal), and the folder beside the project when it is not set.
CONTENT_DIR_VARIABLE = "CAUNOI_CONTENT_DIR"
PROJECT_CONTENT_DIR = Path(__file__).resolve().parents[2] / "content" / "vi"

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class TableError(RuntimeError):
    """A language table is missing or malformed; the message names each file and what is wrong with it."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong in the content: the file, and what is wrong with it in a sentence."""

    file: Path
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.message}"


def parse_yaml(text: str) -> Any:
    """Raises yaml.YAMLError on malformed text."""
    return yaml.load(text, Loader=_Loader)  # a safe loader, C or Python


def content_dir(configured: str | Path | None = None) -> Path:
    """The language folder a component reads when it is trained: `configured` (a component's `content_dir` in
    config.yml) if given, else the deployment's CAUNOI_CONTENT_DIR, which `caunoi train` passes to Rasa, else
    content/vi beside the project — the folder bot/settings.py names, so the tables and the NLU data agree."""
    if configured:
        return Path(configured)
    return Path(os.environ.get(CONTENT_DIR_VARIABLE, "") or PROJECT_CONTENT_DIR)


def read_yaml(content_dir: Path, relative: str) -> tuple[Any, list[Problem]]:
    path = content_dir / relative
    try:
        return parse_yaml(path.read_text(encoding="utf-8")), []
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        return None, [Problem(path, f"cannot read: {error}")]


def strings(value: Any) -> list[str] | None:
    """A field that may hold one string or a list of them (phones, sources); None when it is neither.

    Numbers are refused: YAML reads an unquoted 02412345670 as an octal integer and drops the 0 of others.
    """
    if value is None:
        return []
    if isinstance(value, str):
        return [value.strip()] if value.strip() else []
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return [v.strip() for v in value if v.strip()]
    return None


def iso_date(value: Any) -> date | None:
    """A date as YAML reads it, or as a quoted YYYY-MM-DD (what a file stored as JSON keeps)."""
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


T = TypeVar("T")
Documents = Mapping[str, Any]  # a table's files as parsed, by their path in the language folder


@dataclass(frozen=True)
class Reader(Generic[T]):
    """One language table: the files it is read from, and how their documents become its typed model.

    Components keep the documents in the model they are trained into and parse them again when it is loaded, with
    the same code, so a model parses exactly as it was trained whatever happens to the files later.
    """

    files: tuple[str, ...]
    parse: Callable[[Documents, Path], tuple[T | None, list[Problem]]]

    def read(self, content_dir: Path) -> tuple[T | None, list[Problem]]:
        """The table (None if it cannot be built) and every problem found in its files."""
        documents, problems = self._documents(content_dir)
        if problems:
            return None, problems
        return self.parse(documents, content_dir)

    def documents(self, content_dir: Path) -> dict[str, Any]:
        """The files as parsed, checked; TableError listing every problem."""
        documents, problems = self._documents(content_dir)
        if not problems:
            _, problems = self.parse(documents, content_dir)
        if problems:
            raise TableError("\n".join(map(str, problems)))
        return documents

    def of(self, documents: Documents) -> T:
        """The typed table from documents read by `documents` (now, or kept in a model); TableError if malformed."""
        value, problems = self.parse(documents, Path())
        if problems or value is None:
            raise TableError("\n".join(map(str, problems)) or f"{', '.join(self.files)}: cannot be read")
        return value

    def _documents(self, content_dir: Path) -> tuple[dict[str, Any], list[Problem]]:
        documents: dict[str, Any] = {}
        problems: list[Problem] = []
        for relative in self.files:
            document, reasons = read_yaml(content_dir, relative)
            documents[relative] = document
            problems += reasons
        return documents, problems
