"""Recorded trackers (tests/actions/trackers/*.json, taken from a running Rasa with GET /conversations/{id}/tracker)
replayed up to the moment an action was called, and the domain the action server would receive."""

from __future__ import annotations

import copy
import functools
import json
from pathlib import Path
from typing import Any

from rasa_sdk import Tracker

from bot.settings import PROJECT_ROOT

TRACKERS = Path(__file__).parent / "trackers"


@functools.lru_cache(maxsize=1)
def domain() -> dict[str, Any]:
    from rasa.shared.core.domain import Domain

    data: dict[str, Any] = Domain.load(str(PROJECT_ROOT / "domain")).as_dict()
    return data


def tracker_before(name: str, action: str, occurrence: int = -1, **latest: Any) -> Tracker:
    """The tracker as it was when `action` was about to run (its last run unless `occurrence` says otherwise).

    Keyword arguments replace parts of the latest message (e.g. intent={"name": "deny"}) to make a variant.
    """
    state = json.loads((TRACKERS / f"{name}.json").read_text(encoding="utf-8"))
    runs = [i for i, e in enumerate(state["events"]) if e.get("event") == "action" and e.get("name") == action]
    events = state["events"][: runs[occurrence]]
    return sdk_tracker(state["sender_id"], state["slots"], events, events, **latest)


def sdk_tracker(sender: str, slot_names: Any, events: list[dict[str, Any]], sent: list[dict[str, Any]],
                **latest: Any) -> Tracker:
    """The SDK tracker before the next action, as the action server builds it from Rasa's payload: slots, the latest
    message and the active loop from all `events`, the events as `sent` (Rasa's payload may carry fewer)."""
    slots = {slot: None for slot in slot_names}
    active_loop: dict[str, Any] = {}
    for event in events:
        if event.get("event") == "slot":
            slots[event["name"]] = event["value"]
        elif event.get("event") == "active_loop":
            active_loop = {"name": event["name"]} if event.get("name") else {}
        elif event.get("event") == "reset_slots":
            slots = {slot: None for slot in slots}
    user = [e for e in events if e.get("event") == "user"][-1]
    message = {**copy.deepcopy(user["parse_data"]), "text": user["text"], "metadata": user.get("metadata") or {}}
    message.update(latest)
    return Tracker(sender, slots, message, sent, False, None, active_loop, "action_listen")
