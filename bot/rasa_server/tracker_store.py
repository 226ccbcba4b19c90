"""Rasa's Redis tracker store, with each tracker sealed (bot/state/sealed.py) before it reaches Redis, and a turn
whose cost does not grow with the conversation.

A tracker holds every message of the conversation, its entities and slots (places, a shared location), so it is
sealed whole. bot/rasa_server/endpoints.py names this class as the `tracker_store` type; Rasa builds it with the
endpoint's settings, and the keys come from the environment (CAUNOI_DATA_KEYS), never from the endpoints file on disk.

Why it does more than seal (reports/bench.md, turn cost by conversation length). Rasa 3.6's Redis store, at every
turn: reads the stored tracker and rebuilds it from all its events (twice: once more to split it into sessions),
and on saving reads it again, rebuilds it again and merges the two by comparing every event with every other as
dicts (`_merge_trackers`, quadratic: 40 % of the Rasa server's time at turn 70, the turn at 3× its first cost), then
serialises every event again. Here:

- The value is sealed in chunks (bot/state/sealed.py, `c1:`): their texts one after the other are the events' JSON,
  comma-joined (the document Rasa reads is `{"events": [` that `], "name": …}`, `document`). `save` appends one
  chunk sealing only the turn's new events (Redis APPEND, in a script that first checks the stored value is still
  the one the tracker was read from: its length and the end of its last seal, which authenticates that chunk) and
  resets the TTL. So a save costs the new events, not the whole tracker (sealing and writing ~2 MB at message ~290
  was 27 ms a turn, docs/scaling.md). Every `CHUNKS` chunks the value is opened and sealed again as one chunk (a
  read of the whole value costs a decryption per chunk). The result is what Rasa's merge gives: the stored events,
  earlier sessions included, then the new ones. Only when the stored value changed underneath (another server
  saved, an erase, a key rotation) or is in the layout from before chunks does it read, rebuild and merge, in
  linear time with the outcome of Rasa's merge, and write the value anew.
- The tracker just saved is kept in memory for the conversation's next turn (`KEPT` conversations, for at most
  `KEPT_SECONDS`), and `retrieve` hands it back instead of rebuilding it when the stored value is still the one it
  wrote. It is handed out once (taken out of memory), so a turn that fails half-way can never pass on a tracker it
  changed but did not save: the next turn reads Redis again. A tracker in which a new session started is not kept
  (`retrieve` returns the latest session only, and reading it again does that).

Key rotation (`caunoi keys rotate`) re-seals a chunked value as one chunk by compare-and-set; erasure and retention
delete the key, whatever its layout.

What a policy or an action sees is unchanged: the same tracker, every event of the session.
"""

from __future__ import annotations

import json
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from rasa.core.tracker_store import RedisTrackerStore
from rasa.shared.core.constants import ACTION_SESSION_START_NAME
from rasa.shared.core.events import ActionExecuted
from rasa.shared.core.trackers import DialogueStateTracker, get_trackers_for_conversation_sessions

from bot.state.sealed import Sealer, chunk_count, is_chunked, process_sealer

KEPT = 500  # conversations whose tracker stays in memory between turns
KEPT_SECONDS = 600.0  # a conversation quiet for longer is read from Redis again (and its tracker leaves memory)
TAIL = 64  # characters of the stored value compared: the end of its last seal's authentication tag
CHUNKS = 512  # chunks a value may have before it is sealed again as one (a save or two a turn)
_ORIGIN = "_caunoi_stored"  # the attribute of a tracker that says which stored value it was read from
_HEAD = '{"events": ['

# Append to the value (or replace it: ARGV[3] 'set') only while it is still the one read; reset its TTL as Rasa's
# SET with `ex` does (none: no TTL). Returns the new length, 0 when the value changed.
_WRITE = """
if redis.call('STRLEN', KEYS[1]) ~= tonumber(ARGV[1]) then return 0 end
if redis.call('GETRANGE', KEYS[1], -string.len(ARGV[2]), -1) ~= ARGV[2] then return 0 end
local length
if ARGV[3] == 'set' then
  redis.call('SET', KEYS[1], ARGV[4])
  length = string.len(ARGV[4])
else
  length = redis.call('APPEND', KEYS[1], ARGV[4])
end
if ARGV[5] ~= '' then redis.call('EXPIRE', KEYS[1], ARGV[5]) else redis.call('PERSIST', KEYS[1]) end
return length
"""


@dataclass(frozen=True)
class Stored:
    """What is in Redis for a conversation, as this process wrote or read it: the value's length and tail, its
    chunks (0: a value in the layout from before chunks, written anew at the next save), whether its events' JSON is
    empty, how many of the tracker's events it holds (the tracker's events are the value's last ones) and how many
    sessions start among those."""

    length: int
    tail: str
    chunks: int
    empty: bool
    count: int
    sessions: int


@dataclass
class _Kept:
    tracker: DialogueStateTracker
    stored: Stored
    at: float


def _session_starts(events: Any) -> int:
    return sum(1 for event in events
               if isinstance(event, ActionExecuted) and event.action_name == ACTION_SESSION_START_NAME)


def document(name: str, events_json: str) -> str:
    """The JSON Rasa's store reads, from the events' JSON (comma-joined)."""
    return f"{_HEAD}{events_json}], \"name\": {json.dumps(name)}}}"


def _events_json(name: str, plain: str) -> str | None:
    end = f"], \"name\": {json.dumps(name)}}}"
    if plain.startswith(_HEAD) and plain.endswith(end):
        return plain[len(_HEAD):-len(end)]
    return None


def _joined(events: Any) -> str:
    return ", ".join(json.dumps(event.as_dict()) for event in events)
def _event_key(value: Any) -> Any:
    """A hashable form of an event's dict that is equal exactly when the dicts are (1 == 1.0 == True as in Python)."""
    if isinstance(value, dict):
        return frozenset((key, _event_key(item)) for key, item in value.items())
    if isinstance(value, list | tuple):
        return tuple(_event_key(item) for item in value)
    if isinstance(value, bool | int | float):
        return float(value)
    return value


def merge(prior: DialogueStateTracker, tracker: DialogueStateTracker) -> DialogueStateTracker:
    """Rasa's `RedisTrackerStore._merge_trackers` in linear time: the stored events, then those of `tracker` that are
    not among them (compared as dicts, as Rasa does)."""
    if not prior.events:
        return tracker
    past = tracker.travel_back_in_time(target_time=prior.events[-1].timestamp)
    if past.events == prior.events:
        return tracker
    merged = tracker.init_copy()
    merged.update_with_events(list(prior.events), override_timestamp=False, domain=None)
    seen = {_event_key(event.as_dict()) for event in merged.events}
    for event in tracker.events:
        key = _event_key(event.as_dict())
        if key not in seen:
            seen.add(key)
            merged.update(event)
    return merged


class SealedRedisTrackerStore(RedisTrackerStore):
    def __init__(self, *args: Any, sealer: Sealer | None = None, **kwargs: Any) -> None:
        # Built before Redis is touched: without data keys Rasa stops at start instead of storing text in clear.
        self._sealer = sealer or process_sealer()
        self._kept: OrderedDict[str, _Kept] = OrderedDict()
        super().__init__(*args, **kwargs)
        self._write = self.red.register_script(_WRITE)

    def serialise_tracker(self, tracker: DialogueStateTracker) -> str:
        return self._sealer.seal_chunked(_joined(tracker.events))

    def opened(self, sender_id: str, value: str) -> str:
        """The JSON document of a stored value, whatever its layout."""
        if is_chunked(value):
            return document(sender_id, self._sealer.open(value))
        return self._sealer.open(value)

    def deserialise_tracker(self, sender_id: str, serialised_tracker: str | bytes) -> DialogueStateTracker | None:
        if isinstance(serialised_tracker, bytes):
            serialised_tracker = serialised_tracker.decode("utf-8")
        # Unreadable (a dropped key) propagates: Rasa's fail-safe store logs it and the stored tracker stays as it is.
        return super().deserialise_tracker(sender_id, self.opened(sender_id, serialised_tracker))

    # -- the turn: read, save ------------------------------------------------------------------------------------------

    def _key(self, sender_id: str) -> str:
        return f"{self.key_prefix}{sender_id}"

    def _still(self, sender_id: str, stored: Stored) -> bool:
        """The value in Redis is still `stored` (two small reads in one round trip, not the whole value)."""
        pipe = self.red.pipeline(transaction=False)
        pipe.strlen(self._key(sender_id))
        pipe.getrange(self._key(sender_id), -TAIL, -1)
        length, tail = pipe.execute()
        return int(length) == stored.length and tail == stored.tail

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        """The latest session's tracker: the one this process saved last, when Redis still holds it."""
        kept = self._kept.pop(sender_id, None)
        if kept is not None and time.monotonic() - kept.at < KEPT_SECONDS and self._still(sender_id, kept.stored):
            setattr(kept.tracker, _ORIGIN, kept.stored)
            return kept.tracker
        value = self.red.get(self._key(sender_id))
        if value is None:
            return None
        plain = self.opened(sender_id, value)
        tracker = RedisTrackerStore.deserialise_tracker(self, sender_id, plain)
        if tracker is None:
            return None
        events_json = _events_json(sender_id, plain)
        if _session_starts(tracker.events) > 1:  # only the latest session, as Rasa's store returns
            tracker = get_trackers_for_conversation_sessions(tracker)[-1]
        setattr(tracker, _ORIGIN, Stored(len(value), value[-TAIL:], chunk_count(value), not events_json,
                                         len(tracker.events), _session_starts(tracker.events)))
        return tracker

    async def save(self, tracker: DialogueStateTracker, timeout: float | None = None) -> None:
        await self.stream_events(tracker)
        if not timeout and self.record_exp:
            timeout = self.record_exp
        ttl = str(int(timeout)) if timeout else ""
        sender_id = tracker.sender_id
        origin: Stored | None = getattr(tracker, _ORIGIN, None)
        events = list(tracker.events)
        stored = self._append(sender_id, origin, events, ttl) if origin is not None and origin.chunks \
            and len(events) >= origin.count else None
        exact = True  # what Rasa's retrieve would rebuild from the value: this tracker
        if stored is None:
            value = self.red.get(self._key(sender_id))
            prior = self.deserialise_tracker(sender_id, value) if value is not None else None
            merged = merge(prior, tracker) if prior is not None else tracker
            events_json = _joined(merged.events)
            sealed = self._sealer.seal_chunked(events_json)
            self.red.set(self._key(sender_id), sealed, ex=int(timeout) if timeout else None)
            stored = Stored(len(sealed), sealed[-TAIL:], 1, not events_json, len(events), _session_starts(events))
            exact = merged is tracker
        # The tracker's events are the value's last ones (a merge puts the stored ones first): the next save of the
        # same tracker in this turn, or of the next turn, appends to it.
        setattr(tracker, _ORIGIN, stored)
        if exact and stored.sessions <= 1:
            self._keep(sender_id, tracker, stored)
        else:
            self._kept.pop(sender_id, None)

    def _append(self, sender_id: str, origin: Stored, events: list[Any], ttl: str) -> Stored | None:
        """The tracker's new events appended to the stored value as one chunk (or, past `CHUNKS`, the value sealed
        again as one chunk); None when the value is no longer the one the tracker was read from."""
        added = events[origin.count:]
        new = _joined(added)
        more = f", {new}" if new and not origin.empty else new
        sessions = origin.sessions + _session_starts(added)
        if origin.chunks < CHUNKS:
            piece = self._sealer.chunk(more) if more else ""
            length = self._write(keys=[self._key(sender_id)], args=[origin.length, origin.tail, "append", piece, ttl])
            if not length:
                return None
            tail = (origin.tail + piece)[-TAIL:]
            return Stored(int(length), tail, origin.chunks + (1 if piece else 0), origin.empty and not more,
                          len(events), sessions)
        value = self.red.get(self._key(sender_id))
        if value is None or len(value) != origin.length or value[-TAIL:] != origin.tail:
            return None
        sealed = self._sealer.seal_chunked(self._sealer.open(value) + more)
        if not self._write(keys=[self._key(sender_id)], args=[origin.length, origin.tail, "set", sealed, ttl]):
            return None
        return Stored(len(sealed), sealed[-TAIL:], 1, origin.empty and not more, len(events), sessions)

    def _keep(self, sender_id: str, tracker: DialogueStateTracker, stored: Stored) -> None:
        self._kept[sender_id] = _Kept(tracker, stored, time.monotonic())
        self._kept.move_to_end(sender_id)
        while len(self._kept) > KEPT:
            self._kept.popitem(last=False)
