"""The language tables of the real content (content/vi), read as the components read them, once per test run."""

from __future__ import annotations

from typing import Any, TypeVar

from nlu import tables
from nlu.tables.files import PROJECT_CONTENT_DIR
from nlu.tables.indicators import FILE as TRIAGE_FILE
from nlu.text import Table

T = TypeVar("T")


def read(reader: tables.Reader[T]) -> T:
    value, problems = reader.read(PROJECT_CONTENT_DIR)
    assert value is not None and not problems, "\n".join(map(str, problems))
    return value


TEENCODE = read(tables.TEENCODE)
TRIAGE_RULES = read(tables.TRIAGE)
GAZETTEER = read(tables.GAZETTEER)
TABLE = Table.build(TEENCODE.words, TEENCODE.keep_doubles)


def triage_document() -> dict[str, Any]:
    """A fresh copy of triage/indicators.yml as parsed, to break one rule at a time."""
    return dict(tables.TRIAGE.documents(PROJECT_CONTENT_DIR)[TRIAGE_FILE])
