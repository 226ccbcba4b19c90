"""Conversation tests: every file in tests/stories is one conversation, run by `rasa test core` on the trained model."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from bot.rasa_server import model
from bot.settings import PROJECT_ROOT, from_environment

STORIES = PROJECT_ROOT / "tests" / "stories"


def test_one_conversation_per_file_named_as_a_sentence() -> None:
    files = sorted(STORIES.glob("*.yml"))
    assert len(files) >= 25
    for file in files:
        stories = yaml.safe_load(file.read_text(encoding="utf-8"))["stories"]
        assert len(stories) == 1, file.name
        assert re.fullmatch(r"[a-z]+(_[a-z0-9]+){2,}\.yml", file.name), file.name


def test_every_conversation_is_predicted_exactly(tmp_path: Path) -> None:
    found = model.current_model(from_environment({}))
    if found is None:
        pytest.fail("no model for the current data: `make test` trains it first (caunoi train)")
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "3"}
    result = subprocess.run(
        [sys.executable, "-m", "rasa", "test", "core", "--stories", str(STORIES), "--model", str(found),
         "--fail-on-prediction-errors", "--out", str(tmp_path)],
        capture_output=True, text=True, env=env, cwd=PROJECT_ROOT, timeout=600,
    )
    output = result.stdout + result.stderr
    failed = tmp_path / "failed_test_stories.yml"
    detail = failed.read_text(encoding="utf-8") if failed.exists() else output[-3000:]
    assert result.returncode == 0, detail
    correct = re.search(r"Correct:\s+(\d+) / (\d+)", output)
    assert correct and correct.group(1) == correct.group(2), detail
    assert "WrongPredictionException" not in output
