"""The sealed tracker store (bot/rasa_server/tracker_store.py) keeps what Rasa's own Redis store keeps, turn after turn,
while reading and writing only what changed: every stored value is compared with the one Rasa 3.6's RedisTrackerStore
writes for the same turns (on the same Redis, under another prefix)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from rasa.core.tracker_store import RedisTrackerStore
from rasa.shared.core.constants import ACTION_LISTEN_NAME, ACTION_SESSION_START_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, Event, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.rasa_server.tracker_store import SealedRedisTrackerStore
from bot.state.sealed import MARK, process_sealer

SENDER = "tg:777"


@pytest.fixture
def stores(redis_url: str) -> Iterator[tuple[SealedRedisTrackerStore, RedisTrackerStore]]:
    location = urlsplit(redis_url)
    host, port, db = location.hostname or "127.0.0.1", location.port or 6379, int(location.path.strip("/") or 0)
    ours = SealedRedisTrackerStore(Domain.empty(), host=host, port=port, db=db, key_prefix="ours")
    rasas = RedisTrackerStore(Domain.empty(), host=host, port=port, db=db, key_prefix="rasas")
    yield ours, rasas
    ours.red.close()
    rasas.red.close()


def turn(number: int, start: float) -> list[Event]:
    at = start + number
    return [UserUttered(f"tin nhắn {number}", {"name": "greet", "confidence": 0.9}, timestamp=at),
            SlotSet("turns", number, timestamp=at),
            ActionExecuted("utter_greet", timestamp=at), BotUttered(f"trả lời {number}", timestamp=at),
            ActionExecuted(ACTION_LISTEN_NAME, timestamp=at)]


def session_start(at: float) -> list[Event]:
    return [ActionExecuted(ACTION_SESSION_START_NAME, timestamp=at), SessionStarted(timestamp=at),
            ActionExecuted(ACTION_LISTEN_NAME, timestamp=at)]


def stored(store: RedisTrackerStore) -> list[dict[str, Any]]:
    value = store.red.get(store.key_prefix + SENDER)
    events: list[dict[str, Any]] = json.loads(process_sealer().open(value))["events"]
    return events


async def play(store: RedisTrackerStore, events: list[Event]) -> DialogueStateTracker:
    """One turn as Rasa's processor plays it: read the tracker (or start one), add the turn's events, save."""
    tracker = await store.get_or_create_tracker(SENDER, append_action_listen=False)
    tracker.update_with_events(events, None, override_timestamp=False)
    await store.save(tracker)
    return tracker


async def test_turn_after_turn_it_stores_what_rasas_own_store_stores(
        stores: tuple[SealedRedisTrackerStore, RedisTrackerStore]) -> None:
    ours, rasas = stores
    start = time.time() - 10_000
    turns = [session_start(start), *(turn(n, start) for n in range(1, 30)),
             session_start(start + 5_000), *(turn(n, start + 5_000) for n in range(30, 40))]
    for events in turns:
        mine, theirs = await play(ours, events), await play(rasas, events)
        assert stored(ours) == stored(rasas)
        assert [e.as_dict() for e in mine.events] == [e.as_dict() for e in theirs.events]  # the latest session
    assert sum(1 for e in stored(ours) if e.get("name") == ACTION_SESSION_START_NAME) == 2  # both sessions kept
    assert ours.red.get(ours.key_prefix + SENDER).startswith(MARK)  # sealed at rest


async def test_a_kept_tracker_is_handed_out_once(stores: tuple[SealedRedisTrackerStore, RedisTrackerStore]) -> None:
    ours, _ = stores
    saved = await play(ours, session_start(time.time()))
    first = await ours.retrieve(SENDER)
    assert first is not None and first is saved  # kept from the save: not rebuilt from Redis
    first.update(UserUttered("never saved"))  # a turn that failed half-way
    second = await ours.retrieve(SENDER)
    assert second is not None and second is not first
    assert "never saved" not in [getattr(e, "text", None) for e in second.events]


async def test_a_tracker_saved_by_another_server_is_read_again_and_merged(
        stores: tuple[SealedRedisTrackerStore, RedisTrackerStore], redis_url: str) -> None:
    ours, _ = stores
    start = time.time() - 100
    await play(ours, session_start(start))
    location = urlsplit(redis_url)
    other = SealedRedisTrackerStore(Domain.empty(), host=location.hostname, port=location.port or 6379,
                                    db=int(location.path.strip("/") or 0), key_prefix="ours")
    await play(other, turn(1, start))  # the conversation moved to another Rasa server for a turn
    tracker = await ours.retrieve(SENDER)
    assert tracker is not None and "tin nhắn 1" in [getattr(e, "text", None) for e in tracker.events]
    other.red.close()


async def test_an_erased_conversation_is_not_handed_back_from_memory(
        stores: tuple[SealedRedisTrackerStore, RedisTrackerStore]) -> None:
    ours, _ = stores
    await play(ours, session_start(time.time()))
    ours.red.delete(ours.key_prefix + SENDER)  # bot/state/erase.py
    assert await ours.retrieve(SENDER) is None
