"""bot/rasa_server/action_payload.py: what Rasa sends the action server is Rasa's own payload but for the events before
the window (tests/actions/test_action_window.py shows every action does the same with them)."""

from __future__ import annotations

import hashlib
import inspect
import json
from collections.abc import Iterator
from unittest import mock

import pytest
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from bot.rasa_server import action_payload
from bot.settings import PROJECT_ROOT
from tests.actions.recorded import TRACKERS

# What the patch replaces and relies on, as Rasa 3.6.21 wrote it (docs/patches.md). A change fails here: compare the
# new `_action_call_format` with bot/rasa_server/action_payload.py, then update the digest.
RELIED_ON = {
    "RemoteAction._action_call_format": RemoteAction._action_call_format,
    "DialogueStateTracker.current_state": DialogueStateTracker.current_state,
    "DialogueStateTracker._events_for_verbosity": DialogueStateTracker._events_for_verbosity,
}
DIGEST = "ec06c73d3a59bd94"


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(PROJECT_ROOT / "domain"))


@pytest.fixture(scope="module")
def tracker(domain: Domain) -> DialogueStateTracker:
    """Every recorded conversation, one after the other: 170 events."""
    events = [event for path in sorted(TRACKERS.glob("*.json"))
              for event in json.loads(path.read_text(encoding="utf-8"))["events"]]
    return DialogueStateTracker.from_dict("tg:1", events, domain.slots)


@pytest.fixture
def action() -> Iterator[RemoteAction]:
    yield RemoteAction("action_escalate", EndpointConfig("http://127.0.0.1:1/webhook"))


def _digest() -> str:
    digest = hashlib.sha256()
    for name, function in sorted(RELIED_ON.items()):
        digest.update(name.encode() + b"\0" + inspect.getsource(function).encode() + b"\0")
    return digest.hexdigest()[:16]


def test_the_code_the_patch_replaces_is_rasa_3_6_21s() -> None:
    assert _digest() == DIGEST, "Rasa's action payload changed: check bot/rasa_server/action_payload.py"


def test_rasa_itself_sends_every_event_whole(action: RemoteAction, tracker: DialogueStateTracker,
                                             domain: Domain) -> None:
    """Why the patch exists: the day Rasa sends fewer events, it can go."""
    sent = action_payload.ORIGINAL(action, tracker, domain)["tracker"]["events"]
    assert sent == [event.as_dict() for event in tracker.events]


def test_a_window_over_the_whole_conversation_sends_rasas_own_payload(action: RemoteAction,
                                                                      tracker: DialogueStateTracker,
                                                                      domain: Domain) -> None:
    with mock.patch.object(action_payload, "WINDOW", len(tracker.events)):
        ours = action_payload.action_call_format(action, tracker, domain)
    assert json.dumps(ours, sort_keys=True) == json.dumps(action_payload.ORIGINAL(action, tracker, domain),
                                                          sort_keys=True)


def test_only_the_events_before_the_window_change(action: RemoteAction, tracker: DialogueStateTracker,
                                                  domain: Domain) -> None:
    assert len(tracker.events) > 3 * action_payload.WINDOW
    ours, theirs = (action_payload.action_call_format(action, tracker, domain),
                    action_payload.ORIGINAL(action, tracker, domain))
    sent, whole = ours["tracker"].pop("events"), theirs["tracker"].pop("events")
    assert ours == theirs
    assert sent[-action_payload.WINDOW:] == whole[-action_payload.WINDOW:]
    earlier = sent[:-action_payload.WINDOW]
    assert [e["event"] for e in earlier if e["event"] in ("user", "bot")] == \
        [e["event"] for e in whole[:-action_payload.WINDOW] if e["event"] in ("user", "bot")]
    assert len(json.dumps(sent)) < len(json.dumps(whole)) / 2



def test_what_is_kept_between_actions_is_what_would_be_sent_anew(tracker: DialogueStateTracker,
                                                                 domain: Domain) -> None:
    growing = DialogueStateTracker("tg:kept", domain.slots)
    for event in tracker.events:
        growing.update(event)
        events = list(growing.copy().events)  # Rasa copies the tracker for each action: the same event objects
        assert action_payload.events_for_actions(events, 12, "tg:kept") == \
            action_payload.events_for_actions(events, 12)
    other = DialogueStateTracker.from_dict("tg:kept", [event.as_dict() for event in tracker.events][:100],
                                           domain.slots)  # the conversation read again: other objects, fewer
    events = list(other.events)
    assert action_payload.events_for_actions(events, 12, "tg:kept") == action_payload.events_for_actions(events, 12)
