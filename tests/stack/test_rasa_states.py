"""The incremental dialogue states (bot/rasa_server/states_patch.py) are exactly Rasa's own, after every event of a
conversation, for every set of arguments the policies use: across turns on one tracker, a form (active loop), slots,
a rule-only turn, a fallback that reverts the person's message, a restart and a new session."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest
from rasa.shared.core.constants import ACTION_LISTEN_NAME, ACTION_SESSION_START_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActionReverted,
    ActiveLoop,
    BotUttered,
    Event,
    Restarted,
    SessionStarted,
    SlotSet,
    UserUtteranceReverted,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from bot.rasa_server import states_patch
from bot.settings import PROJECT_ROOT


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(PROJECT_ROOT / "domain"))


def said(intent: str, text: str = "…") -> UserUttered:
    return UserUttered(text, {"name": intent, "confidence": 1.0})


def conversation(domain: Domain) -> Iterator[Event]:
    intents = domain.intents
    slot = domain.slots[0].name
    form = next(iter(domain.form_names), None)
    yield from [ActionExecuted(ACTION_SESSION_START_NAME), SessionStarted(), ActionExecuted(ACTION_LISTEN_NAME)]
    for number in range(12):
        yield said(intents[number % len(intents)])
        yield ActionExecuted("utter_greet" if number % 2 else "action_welcome", hide_rule_turn=number % 3 == 0)
        yield BotUttered("…")
        if number == 4:
            yield SlotSet(slot, "x")
        if number == 5 and form:
            yield ActionExecuted(form)
            yield ActiveLoop(form)
        if number == 7 and form:
            yield ActiveLoop(None)
        if number == 8:  # a fallback: the person's message is taken back
            yield ActionExecuted("action_default_fallback")
            yield UserUtteranceReverted()
        if number == 10:
            yield Restarted()
        yield ActionExecuted(ACTION_LISTEN_NAME)
    yield from [ActionExecuted(ACTION_SESSION_START_NAME), SessionStarted(), ActionExecuted(ACTION_LISTEN_NAME),
                said(intents[0]), ActionExecuted("utter_greet")]


ARGUMENTS = [dict(), dict(omit_unset_slots=True), dict(ignore_rule_only_turns=True, rule_only_data={"slots": [],
                                                                                                   "loops": []})]


@pytest.mark.parametrize("arguments", ARGUMENTS)
def test_after_every_event_the_states_are_rasas_own(domain: Domain, arguments: dict[str, Any]) -> None:
    tracker = DialogueStateTracker("tg:1", domain.slots)
    for event in conversation(domain):
        tracker.update(event)
        theirs = states_patch.ORIGINAL(domain, copy.deepcopy(tracker), **arguments)
        ours = states_patch.states_for_tracker_history(domain, tracker, **arguments)
        assert ours == theirs, event
        ours[-1].clear()  # callers change the state they predict in: nothing kept may change with it
        assert states_patch.states_for_tracker_history(domain, tracker, **arguments) == theirs


def test_after_every_event_the_applied_events_are_rasas_own(domain: Domain) -> None:
    tracker = DialogueStateTracker("tg:1", domain.slots)
    form = next(iter(domain.form_names))
    events = [*conversation(domain), ActionExecuted(form), ActiveLoop(form), said(domain.intents[0]),
              ActionExecuted(form), ActionExecuted(form), ActiveLoop(None), ActionExecuted("utter_greet"),
              ActionReverted(), ActionExecuted(ACTION_LISTEN_NAME)]
    for event in events:
        tracker.update(event)
        ours = states_patch.applied_events(tracker)
        assert ours == states_patch.ORIGINAL_APPLIED(tracker), event
        ours.clear()  # the caller's list: nothing kept changes with it
        assert states_patch.applied_events(tracker) == states_patch.ORIGINAL_APPLIED(tracker)


def state_of(tracker: DialogueStateTracker) -> dict[str, Any]:
    """Everything a tracker holds, slots by value."""
    held = {key: value for key, value in vars(tracker).items() if not key.startswith("_caunoi")}
    held["events"] = [id(event) for event in tracker.events]
    held["slots"] = {name: (slot.value, slot.has_been_set) for name, slot in tracker.slots.items()}
    for name in ("latest_message", "latest_bot_utterance"):  # one of the events, or a fresh empty one
        value = getattr(tracker, name)
        held[name] = id(value) if any(value is event for event in tracker.events) \
            else {k: v for k, v in value.as_dict().items() if k != "timestamp"}
    return held


def test_after_every_event_a_copy_is_rasas_own(domain: Domain) -> None:
    tracker = DialogueStateTracker("tg:1", domain.slots)
    tracker.model_id, tracker.assistant_id = "model", "caunoi"
    form = next(iter(domain.form_names))
    for event in [*conversation(domain), ActionExecuted(form), ActiveLoop(form), SlotSet(domain.slots[1].name, 3)]:
        tracker.update(event)
        ours, theirs = states_patch.tracker_copy(tracker), states_patch.ORIGINAL_COPY(tracker)
        assert state_of(ours) == state_of(theirs), event
        ours.update(SlotSet(domain.slots[0].name, "đổi"))  # a copy is a copy: the tracker does not change with it
        assert tracker.slots[domain.slots[0].name].value != "đổi" and len(ours.events) == len(tracker.events) + 1


def test_the_fold_goes_on_from_where_it_stopped(domain: Domain) -> None:
    tracker = DialogueStateTracker("tg:1", domain.slots)
    for event in [ActionExecuted(ACTION_SESSION_START_NAME), SessionStarted(), ActionExecuted(ACTION_LISTEN_NAME)]:
        tracker.update(event)
    states_patch.states_for_tracker_history(domain, tracker)
    [fold] = tracker.__dict__[states_patch._FOLDS].values()
    replayed = fold.replayed
    tracker.update(said(domain.intents[0]))
    tracker.update(ActionExecuted("utter_greet"))
    states_patch.states_for_tracker_history(domain, tracker)
    [fold] = tracker.__dict__[states_patch._FOLDS].values()
    assert fold.replayed is replayed  # not replayed from the start
    assert fold.events == tracker.applied_events()
