"""bot/rasa_server/rasa_patch.py: the action server's answers are validated as Rasa validates them, the schema checked
once."""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import Iterator
from typing import Any
from unittest import mock

import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction
from rasa.core.policies.rule_policy import RulePolicy
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker

from bot.rasa_server import rasa_patch

GOOD: dict[str, Any] = {"events": [{"event": "slot", "name": "province", "value": "hue"}],
                        "responses": [{"text": "Xin chào"}]}
BAD: list[dict[str, Any]] = [
    {"events": [{"event": "no_such_event"}], "responses": []},
    {"events": "not a list", "responses": []},
    {"events": [], "responses": ["not an object"]},
]


@pytest.fixture
def patched() -> Iterator[RemoteAction]:
    """rasa_patch.apply() for one test: everything it changes is put back after it."""
    changed = [(RemoteAction, "_validate_action_result"), (RemoteAction, "_action_call_format"),
               (RulePolicy, "_prediction_states"), (RulePolicy, "format_tracker_states"),
               (Domain, "states_for_tracker_history"), (DialogueStateTracker, "applied_events"),
               (DialogueStateTracker, "copy")]
    with contextlib.ExitStack() as restored:
        for owner, name in changed:
            restored.enter_context(mock.patch.object(owner, name, inspect.getattr_static(owner, name)))
        rasa_patch.apply()
        yield RemoteAction("action_welcome", None)


def test_rasa_itself_checks_the_schema_on_every_answer() -> None:
    """Why the patch exists: if Rasa stops doing this, the patch can go."""
    action = RemoteAction("action_welcome", None)
    with mock.patch.object(jsonschema.Draft202012Validator, "check_schema",
                           wraps=jsonschema.Draft202012Validator.check_schema) as check:
        for _ in range(3):
            action._validate_action_result(GOOD)
    assert check.call_count == 3


def test_the_schema_is_checked_once_for_any_number_of_answers(patched: RemoteAction) -> None:
    rasa_patch.response_validator.cache_clear()
    with mock.patch.object(jsonschema.Draft202012Validator, "check_schema",
                           wraps=jsonschema.Draft202012Validator.check_schema) as check:
        for _ in range(5):
            assert patched._validate_action_result(GOOD) is True
    assert check.call_count == 1


@pytest.mark.parametrize("answer", BAD)
def test_a_malformed_answer_fails_as_it_does_in_rasa(answer: dict[str, Any]) -> None:
    action = RemoteAction("action_welcome", None)
    with pytest.raises(jsonschema.ValidationError) as expected:
        action._validate_action_result(answer)  # Rasa's own
    with pytest.raises(jsonschema.ValidationError) as got:
        rasa_patch.validate_action_result(action, answer)
    assert got.value.message == expected.value.message
    assert "Failed to validate Action server response" in got.value.message


def test_valid_answers_pass(patched: RemoteAction) -> None:
    assert patched._validate_action_result({"events": [], "responses": []}) is True
    assert patched._validate_action_result({}) is True  # Rasa's schema requires neither key
