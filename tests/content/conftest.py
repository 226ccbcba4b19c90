"""Fixtures for content tests: the real content, and a throw-away copy of it to break one rule at a time."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.content import Content, load_content
from bot.settings import PROJECT_ROOT, get_settings

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


@pytest.fixture
def live(redis_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """`caunoi` commands on the test database (settings are read once per process: read them again)."""
    monkeypatch.setenv("REDIS_URL", redis_url)
    get_settings.cache_clear()
    yield redis_url
    get_settings.cache_clear()
