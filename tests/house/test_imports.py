"""Imports only go down (docs/architecture.md): the rules in tests/house/imports.py hold for the whole tree."""

from __future__ import annotations

import textwrap
from pathlib import Path

from tests.house.imports import PROJECT, violations


def test_the_tree_keeps_the_rules() -> None:
    assert violations(PROJECT) == []


def write(root: Path, relative: str, source: str) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(source), encoding="utf-8")


def test_an_upward_import_is_found(tmp_path: Path) -> None:
    write(tmp_path, "nlu/guard.py", "from bot.settings import get_settings\n")
    write(tmp_path, "actions/escalate.py", "def run():\n    from bot.gateway.parts import Gateway\n")
    write(tmp_path, "bot/state/queue.py", "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                                          "    from bot.console.handoff import withdraw\n")
    write(tmp_path, "bot/gateway/dispatch.py", "from bot import cli\n")
    write(tmp_path, "bench/gateway.py", "from tests.channels import botapi\n")
    found = violations(tmp_path)
    assert sorted({line.split(":")[0] for line in found}) == [
        "actions/escalate.py", "bench/gateway.py", "bot/gateway/dispatch.py", "bot/state/queue.py", "nlu/guard.py"]
    assert "nlu/guard.py:1: nlu.guard imports bot.settings (rule for nlu: the NLU runs inside Rasa" in "\n".join(found)


def test_allowed_imports_pass(tmp_path: Path) -> None:
    write(tmp_path, "actions/escalate.py", "from bot.state.queue import Case\nfrom nlu.risk import Risk\n"
                                           "import rasa_sdk\n")
    write(tmp_path, "bot/gateway/dispatch.py", "from bot.state import keys\n"
                                               "from bot.channels.buttons import ButtonMap\n")
    write(tmp_path, "bot/app.py", "from bot.console import create_console_routes\n")
    write(tmp_path, "bot/cli/run.py", "from bot.gateway.parts import Gateway\n")
    write(tmp_path, "bot/state/keys.py", "from . import store\n")
    assert violations(tmp_path) == []
