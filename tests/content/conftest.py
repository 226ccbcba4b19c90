"""Fixtures for content tests: the real content, and a throw-away copy of it to break one rule at a time."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.content import Content, load_content
from bot.settings import PROJECT_ROOT

CONTENT_DIR = PROJECT_ROOT / "content" / "vi"


@pytest.fixture(scope="session")
def content() -> Content:
    return load_content(CONTENT_DIR)


@pytest.fixture
def content_copy(tmp_path: Path) -> Path:
    """A private copy of content/vi (without the NLU training data, which no content rule reads)."""
    target = tmp_path / "vi"
    shutil.copytree(CONTENT_DIR, target, ignore=shutil.ignore_patterns("nlu"))
    return target
