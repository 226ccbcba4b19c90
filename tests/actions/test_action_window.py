"""Every action answers and does exactly the same with the tracker Rasa sends it (bot/rasa_server/action_payload.py:
the last events whole, the earlier ones as what the actions read of them) as with every event whole.

Each recorded conversation (tests/actions/trackers) on its own, and all of them one after the other as one long
conversation (first contact long past, a country named many turns ago, danger signs said before, the messages of
the whole conversation counted by /xoa), every custom action at every point it ran, with windows from none to
more than the conversation."""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil
from typing import Any

import pytest
import redis.asyncio
from rasa.shared.core.events import Event
from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

import actions
from bot.rasa_server.action_payload import WINDOW, events_for_actions
from bot.state import keys
from bot.state.sealed import process_sealer
from tests.actions.recorded import TRACKERS, domain, sdk_tracker

# One long conversation: every recorded one in turn, /xoa last (it counts every message).
CHAINED = ("abroad", "labour", "find", "danger", "police", "art", "hello", "phone", "minor", "fisher", "bleeding",
           "selfharm", "overdose_abroad", "del")
WINDOWS = (0, 3, 12, WINDOW)


def custom_actions() -> dict[str, type[Action]]:
    found: dict[str, type[Action]] = {}
    for module in pkgutil.iter_modules(actions.__path__):
        for _, cls in inspect.getmembers(importlib.import_module(f"actions.{module.name}"), inspect.isclass):
            if issubclass(cls, Action) and cls.__module__.startswith("actions.") and not inspect.isabstract(cls):
                try:
                    found[cls().name()] = cls
                except (NotImplementedError, TypeError):
                    continue
    return found


def recorded(name: str) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = json.loads((TRACKERS / f"{name}.json").read_text(encoding="utf-8"))["events"]
    return events


def chained() -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    for number, name in enumerate(CHAINED):
        part = recorded(name)
        if number:  # one session: the later conversations' session starts left out
            part = [e for e in part if e.get("event") != "session_started"
                    and not (e.get("event") == "action" and e.get("name") == "action_session_start")]
        events += part
    return events


def said(text: str, intent: str, **entities: str) -> list[dict[str, Any]]:
    found = [{"entity": entity, "value": value, "start": 0, "end": 1} for entity, value in entities.items()]
    return [{"event": "user", "timestamp": 1.0, "text": text, "input_channel": "telegram",
             "parse_data": {"intent": {"name": intent, "confidence": 0.9}, "entities": found, "text": text}},
            {"event": "user_featurization", "timestamp": 1.0, "use_text_for_featurization": False}]


def answered(*actions_run: str) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    for action in actions_run:
        events += [{"event": "action", "timestamp": 1.0, "name": action, "policy": "RulePolicy", "confidence": 1.0},
                   {"event": "bot", "timestamp": 1.0, "text": "…", "data": {}, "metadata": {"utter_action": action}}]
    return [*events, {"event": "action", "timestamp": 1.0, "name": "action_listen"}]


def long_ago(first: list[dict[str, Any]], *later: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`first` said at the start, twenty ordinary turns, then `later`."""
    events = [{"event": "action", "timestamp": 1.0, "name": "action_session_start"},
              {"event": "session_started", "timestamp": 1.0}, {"event": "action", "timestamp": 1.0,
                                                                "name": "action_listen"}, *first]
    for number in range(20):
        events += [*said(f"cho em hỏi thêm {number}", "ask_support_policy"), *answered("utter_support_policy")]
    for part in later:
        events += part
    return events


# What the person said many turns before the action: where they are, a report about someone else (whose country is
# not theirs), a country answered to the job check (a job's, not theirs), danger signs; the consecutive fallbacks;
# the kind of help named just before a place.
LONG_AGO = {
    "country": long_ago([*said("tôi đang ở Lào", "inform_location", country="Lào"), *answered("utter_ok")],
                        said("/request_human", "request_human"), [{"event": "action", "timestamp": 1.0,
                                                                    "name": "action_escalate"}]),
    "report": long_ago([*said("em gái tôi bị bán sang Trung Quốc", "report_suspected_trafficking",
                              country="Trung Quốc"),
                        {"event": "slot", "timestamp": 1.0, "name": "country", "value": "Trung Quốc"},
                        *answered("utter_ok")],
                       said("tôi muốn nói chuyện với người", "request_human"),
                       [{"event": "action", "timestamp": 1.0, "name": "action_escalate"}]),
    "signs": long_ago([*said("chủ giữ hộ chiếu của tôi", "report_danger"), *answered("utter_ok")],
                      said("họ không cho tôi về", "express_distress"),
                      [{"event": "action", "timestamp": 1.0, "name": "action_escalate"}],
                      said("xin chào", "greet"), [{"event": "action", "timestamp": 1.0, "name": "action_welcome"}],
                      said("/delete_my_data", "delete_my_data"), answered("action_ask_delete"),
                      said("có", "affirm"), [{"event": "action", "timestamp": 1.0, "name": "action_delete_my_data"}]),
    "job_form": long_ago([{"event": "active_loop", "timestamp": 1.0, "name": "job_offer_form"},
                          *said("Campuchia", "inform_location", country="Campuchia"),
                          {"event": "active_loop", "timestamp": 1.0, "name": None}, *answered("utter_ok")],
                         said("/request_human", "request_human"),
                         [{"event": "action", "timestamp": 1.0, "name": "action_escalate"}]),
    "fallbacks": long_ago([], said("asdf", "nlu_fallback"), answered("action_fallback"), said("qwer", "nlu_fallback"),
                          [{"event": "action", "timestamp": 1.0, "name": "action_fallback"}]),
    "kind_then_place": long_ago([], said("tôi cần trợ giúp pháp lý", "find_service", service_type="legal"),
                                [{"event": "slot", "timestamp": 1.0, "name": "service_type", "value": "legal"}],
                                answered("action_find_service"), said("Huế", "inform_location", province="Huế"),
                                [{"event": "action", "timestamp": 1.0, "name": "action_handle_location"}]),
}


def tracker(sender: str, events: list[dict[str, Any]], sent: list[dict[str, Any]]) -> Tracker:
    return sdk_tracker(sender, domain()["slots"], events, sent)


async def outcome(client: redis.asyncio.Redis, action: Action, sdk_tracker: Tracker) -> tuple[Any, ...]:
    await client.flushdb()
    dispatcher = CollectingDispatcher()
    done = await action.run(dispatcher, sdk_tracker, domain())
    case = await client.hgetall(keys.case(sdk_tracker.sender_id))
    opened = {field: process_sealer().open(case[field]) for field in ("reasons", "summary", "risk", "urgent")
              if field in case}
    return dispatcher.messages, done, opened


def points(events: list[dict[str, Any]], names: dict[str, type[Action]]) -> list[tuple[int, str]]:
    return [(index, event["name"]) for index, event in enumerate(events)
            if event.get("event") == "action" and event.get("name") in names]


def conversation(name: str) -> list[dict[str, Any]]:
    if name == "chained":
        return chained()
    if name in LONG_AGO:
        return LONG_AGO[name]
    return recorded(name)


@pytest.mark.parametrize("name", [*sorted(path.stem for path in TRACKERS.glob("*.json")), "chained", *LONG_AGO])
async def test_every_action_does_the_same_with_the_window(name: str, action_redis: redis.asyncio.Redis) -> None:
    names = custom_actions()
    events = conversation(name)
    rasa_events = [Event.from_parameters(event) for event in events]
    ran = 0
    for index, action_name in points(events, names):
        before = rasa_events[:index]
        whole = [event.as_dict() for event in before]  # what Rasa itself sends
        expected = await outcome(action_redis, names[action_name](), tracker(f"tg:{name}", events[:index], whole))
        for window in WINDOWS:
            sent = events_for_actions(before, window)
            assert len(sent) <= len(whole)
            got = await outcome(action_redis, names[action_name](), tracker(f"tg:{name}", events[:index], sent))
            assert got == expected, (action_name, index, window)
        ran += 1
    assert ran >= 1


def test_the_long_conversation_is_sent_in_much_less() -> None:
    before = [Event.from_parameters(event) for event in chained()]
    whole = json.dumps([event.as_dict() for event in before])
    assert len(json.dumps(events_for_actions(before, 12))) < len(whole) / 3
    assert sum(1 for _ in points(chained(), custom_actions())) >= 15  # every recorded action ran in it
