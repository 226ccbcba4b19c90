"""Changes Cầu Nối makes to Rasa at run time: the dialogue states a policy predicts from, and the tracker's applied
events, are computed once per event, not again from the start of the conversation for every prediction.

Rasa 3.6's `Domain.states_for_tracker_history` replays the whole tracker into a fresh copy and builds a state at
every action, for every policy and every prediction of every turn: at message 140 of one conversation that was a
tenth of the Rasa server's time, and it grows with the conversation (reports/bench.md, turn cost). This is the same
computation made incremental: the fold over the applied events (the replayed tracker, the states so far and the two
flags of the rule-only logic) is kept on the tracker, per set of arguments, and the next call goes on from where the
last one stopped, as long as the events it folded are still the first applied events (the same objects). When they
are not (a revert, a restart, a new session), it starts again from the first event, as Rasa does. The state after
the last event (the one a prediction is made in) is built on every call and never kept, as callers change it
(`_choose_last_user_input`).

`DialogueStateTracker.applied_events` (the events minus the reverted ones, called several times per prediction) is
kept the same way: the next call reads only the events added since, unless the events it read changed or a new loop
is named (Rasa reads a loop's earlier runs differently once the loop is named anywhere: it starts again then).

The tracker store keeps a conversation's tracker in memory between turns (bot/rasa_server/tracker_store.py), so the
fold carries over from one turn to the next. `caunoi serve rasa` applies it (bot/cli/logged.py, with
bot/rasa_server/rasa_patch.py); training is untouched. Checked against Rasa 3.6.21 (docs/patches.md);
tests/stack/test_rasa_states.py compares it with Rasa's own function over whole conversations.
"""

from __future__ import annotations

import copy
import json
import operator
from dataclasses import dataclass, field
from typing import Any

from rasa.shared.core.constants import PREVIOUS_ACTION
from rasa.shared.core.domain import Domain, State
from rasa.shared.core.events import (
    ActionExecuted,
    ActionReverted,
    ActiveLoop,
    Event,
    Restarted,
    SessionStarted,
    UserUtteranceReverted,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

ORIGINAL = Domain.states_for_tracker_history
ORIGINAL_APPLIED = DialogueStateTracker.applied_events
ORIGINAL_COPY = DialogueStateTracker.copy
_FOLDS = "_caunoi_folds"
_APPLIED = "_caunoi_applied"


@dataclass
class Applied:
    """`applied_events` so far: how many of the tracker's events it has read, the last of them, the loops named."""

    count: int
    last: Event | None
    loops: set[str]
    events: list[Event]


def applied_events(self: DialogueStateTracker) -> list[Event]:
    """`DialogueStateTracker.applied_events`, reading only the events added since the last call while the ones it
    read are still there and no new loop is named (a loop named later changes how its earlier runs are read)."""
    events = self.events
    kept: Applied | None = self.__dict__.get(_APPLIED)
    fresh = kept is None or len(events) < kept.count or (kept.count and events[kept.count - 1] is not kept.last)
    added = list(events) if fresh or kept is None else [events[i] for i in range(kept.count, len(events))]
    named = {event.name for event in added if isinstance(event, ActiveLoop) and event.name}
    if fresh or kept is None or not named <= kept.loops:
        applied = ORIGINAL_APPLIED(self)
        loops = {event.name for event in events if isinstance(event, ActiveLoop) and event.name}
    else:
        applied, loops = kept.events, kept.loops
        for event in added:
            if isinstance(event, (Restarted, SessionStarted)):
                applied = []
            elif isinstance(event, ActionReverted):
                self._undo_till_previous(ActionExecuted, applied)
            elif isinstance(event, UserUtteranceReverted):
                self._undo_till_previous(UserUttered, applied)
                self._undo_till_previous(ActionExecuted, applied)
            elif isinstance(event, ActionExecuted) and event.action_name in loops \
                    and not self._first_loop_execution_or_unhappy_path(event.action_name, applied):
                self._undo_till_previous_loop_execution(event.action_name, applied)
            else:
                applied.append(event)
    self.__dict__[_APPLIED] = Applied(len(events), events[-1] if events else None, loops, applied)
    return list(applied)


@dataclass
class Fold:
    replayed: DialogueStateTracker  # the tracker after `events`
    events: list[Event] = field(default_factory=list)  # the applied events folded so far
    states: list[State] = field(default_factory=list)
    last_ml_action: Any = None
    turn_was_hidden: bool = False


def _step(domain: Domain, fold: Fold, states: list[State], hide_rule_turn: bool, omit_unset_slots: bool,
          ignore_rule_only_turns: bool, rule_only_data: dict[str, Any] | None) -> tuple[Any, bool]:
    """One state of Rasa's loop, from `fold.replayed`, appended to `states`: (last ML action, turn hidden)."""
    tracker = fold.replayed
    last_ml_action, turn_was_hidden = fold.last_ml_action, fold.turn_was_hidden
    if ignore_rule_only_turns:
        if not turn_was_hidden:
            last_ml_action = domain._get_prev_action_sub_state(tracker)
        if not tracker.followup_action and not tracker.latest_action_name == tracker.active_loop_name:
            turn_was_hidden = hide_rule_turn
        if turn_was_hidden:
            return last_ml_action, turn_was_hidden
    state = domain.get_active_state(tracker, omit_unset_slots=omit_unset_slots)
    if ignore_rule_only_turns:
        domain._remove_rule_only_features(state, rule_only_data)
        if states:
            domain._substitute_rule_only_user_input(state, states[-1])
        if last_ml_action:
            state[PREVIOUS_ACTION] = last_ml_action
    states.append(domain._clean_state(state))
    return last_ml_action, turn_was_hidden


def states_for_tracker_history(self: Domain, tracker: DialogueStateTracker, omit_unset_slots: bool = False,
                               ignore_rule_only_turns: bool = False,
                               rule_only_data: dict[str, Any] | None = None) -> list[State]:
    """`Domain.states_for_tracker_history`, going on from the previous call's fold when it still applies."""
    key = (id(self), omit_unset_slots, ignore_rule_only_turns, json.dumps(rule_only_data, sort_keys=True, default=str))
    applied = tracker.applied_events()
    folds: dict[Any, Fold] = tracker.__dict__.setdefault(_FOLDS, {})
    fold = folds.get(key)
    done = len(fold.events) if fold is not None else 0
    if fold is None or len(applied) < done or not all(map(operator.is_, applied[:done], fold.events)):
        fold = folds[key] = Fold(tracker.init_copy())
        done = 0
    for event in applied[done:]:
        if isinstance(event, ActionExecuted):
            fold.last_ml_action, fold.turn_was_hidden = _step(
                self, fold, fold.states, event.hide_rule_turn, omit_unset_slots, ignore_rule_only_turns,
                rule_only_data)
        fold.replayed.update(event)
        fold.events.append(event)
    states = list(fold.states)  # the state after the last event: built now, never kept
    _step(self, fold, states, False, omit_unset_slots, ignore_rule_only_turns, rule_only_data)
    return states


def tracker_copy(self: DialogueStateTracker) -> DialogueStateTracker:
    """`DialogueStateTracker.copy` without replaying every event: the same events (the same objects, as a replay
    shares them) and the state they leave, taken from the tracker instead of rebuilt. Rasa copies the tracker for
    every action it runs (`MessageProcessor._run_action`). Like Rasa's copy, the model and assistant ids and the
    sender source are not carried over, and nothing this module keeps on a tracker is either."""
    new = self.init_copy()
    new.events = new._create_events(list(self.events))
    new.slots = {name: copy.copy(slot) for name, slot in self.slots.items()}
    new._paused = self._paused
    new.followup_action = self.followup_action
    new.latest_action = dict(self.latest_action) if self.latest_action is not None else None
    new.latest_message = self.latest_message
    new.latest_bot_utterance = self.latest_bot_utterance
    new.active_loop = copy.copy(self.active_loop)
    return new


def apply() -> None:
    Domain.states_for_tracker_history = states_for_tracker_history
    DialogueStateTracker.applied_events = applied_events
    DialogueStateTracker.copy = tracker_copy
