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
import redis.asyncio
from rasa.core.tracker_store import RedisTrackerStore
from rasa.shared.core.constants import ACTION_LISTEN_NAME, ACTION_SESSION_START_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, Event, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.rasa_server import tracker_store
from bot.rasa_server.tracker_store import SealedRedisTrackerStore
from bot.settings import Secret
from bot.state import keys
from bot.state.erase import erase
from bot.state.rotation import Rotation
from bot.state.sealed import CHUNKED, Sealer, chunk_count, new_key, process_sealer

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
    plain = store.opened(SENDER, value) if isinstance(store, SealedRedisTrackerStore) else value
    events: list[dict[str, Any]] = json.loads(plain)["events"]
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
    value = ours.red.get(ours.key_prefix + SENDER)
    assert value.startswith(CHUNKED) and "tin nhắn" not in value  # sealed at rest
    assert chunk_count(value) > 40  # each save appended its events: the value was not sealed again whole


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


def _store(redis_url: str, sealer: Sealer) -> SealedRedisTrackerStore:
    location = urlsplit(redis_url)
    return SealedRedisTrackerStore(Domain.empty(), host=location.hostname or "127.0.0.1", port=location.port or 6379,
                                   db=int(location.path.strip("/") or 0), key_prefix=keys.TRACKER_PREFIX,
                                   sealer=sealer)


async def test_a_save_appends_only_the_new_events(stores: tuple[SealedRedisTrackerStore, RedisTrackerStore]) -> None:
    ours, _ = stores
    start = time.time() - 1_000
    await play(ours, session_start(start))
    for number in range(1, 20):
        before = ours.red.get(ours.key_prefix + SENDER)
        await play(ours, turn(number, start))
        after = ours.red.get(ours.key_prefix + SENDER)
        assert after.startswith(before)  # the stored chunks untouched, one more after them
        assert chunk_count(after) == chunk_count(before) + 1
        assert len(after) - len(before) < 1_500  # the turn's five events, not the conversation


async def test_past_the_chunk_limit_the_value_is_sealed_again_as_one(
        stores: tuple[SealedRedisTrackerStore, RedisTrackerStore], monkeypatch: pytest.MonkeyPatch) -> None:
    ours, rasas = stores
    monkeypatch.setattr(tracker_store, "CHUNKS", 4)
    start = time.time() - 1_000
    counts = []
    for events in [session_start(start), *(turn(n, start) for n in range(1, 12))]:
        await play(ours, events)
        await play(rasas, events)
        counts.append(chunk_count(ours.red.get(ours.key_prefix + SENDER)))
        assert stored(ours) == stored(rasas)
    assert max(counts) == 4 and counts.count(1) >= 3


async def test_a_chunked_tracker_is_rotated_and_the_conversation_goes_on(
        redis_url: str, redis_client: redis.asyncio.Redis,
        stores: tuple[SealedRedisTrackerStore, RedisTrackerStore]) -> None:
    _, rasas = stores
    old, new = new_key(), new_key()
    before = _store(redis_url, Sealer((Secret(old),)))
    start = time.time() - 1_000
    for events in [session_start(start), *(turn(n, start) for n in range(1, 10))]:
        await play(before, events)
        await play(rasas, events)
    key = keys.rasa_tracker(SENDER)
    assert chunk_count(redis_client_value := await redis_client.get(key)) == 11  # created empty, then a turn a chunk
    # The procedure: new key first, old kept, processes restarted, then `caunoi keys rotate`.
    both = Sealer((Secret(new), Secret(old)))
    running = _store(redis_url, both)
    await play(running, turn(10, start))
    await play(rasas, turn(10, start))
    report = await Rotation(redis_client, both).run()
    assert (report.resealed, report.unreadable, report.changed) == (1, 0, 0) and report.done
    rotated = await redis_client.get(key)
    assert chunk_count(rotated) == 1 and rotated != redis_client_value
    only_new = _store(redis_url, Sealer((Secret(new),)))  # the old key dropped
    assert json.loads(only_new.opened(SENDER, rotated))["events"] == stored(rasas)
    await play(running, turn(11, start))  # the value changed under the running server: read again, then appended
    await play(rasas, turn(11, start))
    for number in (12, 13):
        await play(only_new, turn(number, start))
        await play(rasas, turn(number, start))
    assert json.loads(only_new.opened(SENDER, await redis_client.get(key)))["events"] == stored(rasas)
    for store in (before, running, only_new):
        store.red.close()


async def test_an_erased_chunked_tracker_is_gone_and_not_appended_to(
        redis_url: str, redis_client: redis.asyncio.Redis) -> None:
    ours = _store(redis_url, process_sealer())
    start = time.time() - 1_000
    for events in [session_start(start), *(turn(n, start) for n in range(1, 6))]:
        await play(ours, events)
    key = keys.rasa_tracker(SENDER)
    assert chunk_count(await redis_client.get(key)) == 7
    await erase(redis_client, SENDER)  # /xoa (bot/state/erase.py)
    assert await redis_client.exists(key) == 0
    assert await ours.retrieve(SENDER) is None
    tracker = DialogueStateTracker(SENDER, [])
    tracker.update_with_events(session_start(start + 100), None, override_timestamp=False)
    await ours.save(tracker)  # a new conversation after the erase: nothing of the old one comes back
    texts = [e.get("text") for e in json.loads(ours.opened(SENDER, await redis_client.get(key)))["events"]]
    assert not any(text and text.startswith("tin nhắn") for text in texts)
    ours.red.close()


async def test_a_tracker_sealed_whole_before_chunks_is_read_and_goes_on_in_chunks(
        stores: tuple[SealedRedisTrackerStore, RedisTrackerStore]) -> None:
    """An upgrade: the value an earlier version wrote (the whole document sealed as one `s1:` value) is read, and the
    next save writes it anew in chunks, keeping every event."""
    ours, rasas = stores
    start = time.time() - 1_000
    for events in [session_start(start), *(turn(n, start) for n in range(1, 4))]:
        await play(rasas, events)
    earlier = rasas.red.get(rasas.key_prefix + SENDER)  # Rasa's document, as the store before chunks sealed it
    ours.red.set(ours.key_prefix + SENDER, process_sealer().seal(earlier))
    tracker = await ours.retrieve(SENDER)
    assert tracker is not None and [e.as_dict() for e in tracker.events] == json.loads(earlier)["events"]
    await play(ours, turn(4, start))
    await play(rasas, turn(4, start))
    assert ours.red.get(ours.key_prefix + SENDER).startswith(CHUNKED)
    assert stored(ours) == stored(rasas)
