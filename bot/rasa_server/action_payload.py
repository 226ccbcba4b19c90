"""The tracker Rasa sends the action server: the recent events whole, the earlier ones as the little the actions
read of them.

Rasa 3.6's `RemoteAction._action_call_format` sends every event of the tracker, each as its full dict (a message's
parse data with its intent ranking and metadata, every action with its policy and confidence, every slot), at every
custom action: at message ~290 of one conversation, 21.5 ms of the Rasa server's turn went into making it and more
into parsing it on the other side (docs/scaling.md), and it grows with the conversation. Here the last `WINDOW`
events go whole, as Rasa sends them; every event before them goes in the form below, or not at all.

What the actions read from the events (actions/common.py and its callers; tests/actions/test_action_window.py runs
every action of every recorded conversation both ways and compares what it answers and does):

- the person's messages, all of them: their text (the risk over the conversation, actions/escalate.py and the job
  check), intent name (the case summary, consecutive fallbacks), entities' type and value (the country the person
  is in; what the previous message named) and input channel — kept as `{"event": "user", text, parse_data:
  {intent: {name}, entities: [{entity, value}]}, input_channel}`;
- the bot's messages: whether there was one (first contact, actions/welcome.py) and how many (what /xoa says it
  deleted) — kept as `{"event": "bot"}`;
- the form opening and closing (`active_loop`: was a message an answer to the job check?) — `{"event", name}`;
- the session start, restarts and reverts (what Rasa SDK's `applied_events` reads) — kept as `{"event": …}`.

No timestamps: no action reads them. Everything else before the window (actions run, slots set — the slots go in the
payload's `slots` anyway — and the rest) is left out. The earlier messages still cost a little each (their text and
intent: about a hundred bytes a turn, not the ~7 kB of a whole turn), which is what still grows here. Applied by
bot/rasa_server/rasa_patch.py, in `caunoi serve rasa` only; checked against Rasa 3.6.21 (docs/patches.md).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import rasa
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionReverted,
    ActiveLoop,
    BotUttered,
    Event,
    Restarted,
    SessionStarted,
    UserUtteranceReverted,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity

ORIGINAL = RemoteAction._action_call_format
WINDOW = 40  # events sent whole: the last few turns (a turn is 5–10 events)
KEPT = 500  # conversations whose earlier events, as sent, stay in memory for their next action
_MARKERS = (SessionStarted, Restarted, UserUtteranceReverted, ActionReverted)  # sent as {"event": name}
_BOT = {"event": BotUttered.type_name}


def earlier(event: Event) -> dict[str, Any] | None:
    """What an event before the window is sent as (None: not sent)."""
    if isinstance(event, UserUttered):
        entities = [{"entity": entity.get("entity"), "value": entity.get("value")} for entity in event.entities]
        return {"event": UserUttered.type_name, "text": event.text,
                "parse_data": {"intent": {"name": event.intent_name}, "entities": entities},
                "input_channel": event.input_channel}
    if isinstance(event, BotUttered):
        return _BOT
    if isinstance(event, ActiveLoop):
        return {"event": ActiveLoop.type_name, "name": event.name}
    if isinstance(event, _MARKERS):
        return {"event": event.type_name}
    return None


@dataclass
class _Sent:
    """The first `count` events of a conversation as `earlier` sends them, and the first and last of those events."""

    count: int = 0
    first: Event | None = None
    last: Event | None = None
    shown: list[dict[str, Any]] = field(default_factory=list)


_sent: OrderedDict[str, _Sent] = OrderedDict()


def events_for_actions(events: list[Event], window: int, conversation: str | None = None) -> list[dict[str, Any]]:
    """The tracker's events as the action server gets them: the last `window` whole, the earlier ones `earlier`.

    With `conversation`, what the last call sent of the earlier events is kept (`KEPT` conversations) and only the
    events that left the window since are added, while the events it read are still the first ones (the same
    objects: Rasa's copy of the tracker for each action shares them); otherwise it starts again from the first."""
    cut = max(0, len(events) - window)
    kept = _sent.pop(conversation, None) if conversation is not None else None
    if kept is None or kept.count > cut or (kept.count and (events[0] is not kept.first
                                                            or events[kept.count - 1] is not kept.last)):
        kept = _Sent()
    kept.shown += [shown for shown in map(earlier, events[kept.count:cut]) if shown is not None]
    if cut:
        kept.count, kept.first, kept.last = cut, events[0], events[cut - 1]
    if conversation is not None:
        _sent[conversation] = kept
        while len(_sent) > KEPT:
            _sent.popitem(last=False)
    return kept.shown + [event.as_dict() for event in events[cut:]]


def action_call_format(self: RemoteAction, tracker: DialogueStateTracker, domain: Domain) -> dict[str, Any]:
    """`RemoteAction._action_call_format` with the tracker's events as `events_for_actions` gives them."""
    tracker_state = tracker.current_state(EventVerbosity.NONE)  # everything but the events, as Rasa builds it
    tracker_state["events"] = events_for_actions(list(tracker.events), WINDOW, tracker.sender_id)
    result: dict[str, Any] = {"next_action": self._name, "sender_id": tracker.sender_id, "tracker": tracker_state,
                              "version": rasa.__version__}
    if not self._is_selective_domain_enabled() or domain.does_custom_action_explicitly_need_domain(self.name()):
        result["domain"] = domain.as_dict()
    return result


def apply() -> None:
    RemoteAction._action_call_format = action_call_format
