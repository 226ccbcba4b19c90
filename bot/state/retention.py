"""How long a conversation is kept, and the scheduled purge that enforces it.

Each conversation has one deadline in a sorted set (`keys.RETENTION`: conversation → the time it is erased). Every
message, either way, moves it to "now + the conversation's period": a bot conversation is kept
CAUNOI_RETENTION_DAYS from the moment it went quiet. Closing a handoff gives the conversation the period of its
outcome (CAUNOI_RETENTION_BY_OUTCOME, e.g. referred → 90 days), counted from the close, and later messages keep
that period. The transcript's TTL follows the same deadline.

TTLs cannot do it all: Rasa sets its tracker's TTL to its own fixed value on every save, and case notes, handoff
records, index entries and dead letters have TTLs of their own or none. So every gateway process runs `Purger`
once per CAUNOI_PURGE_INTERVAL_SECONDS (one worker per interval, by a Redis lock): each conversation past its
deadline is erased the same way as when the person asks (bot/state/erase.py), unless a human holds it or it waits for
one
(it is not closed), and dead letters older than the default period go too.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import redis.asyncio

from bot.privacy import log_id
from bot.settings import Settings
from bot.state import keys
from bot.state.deadletters import MAX_ENTRIES, DeadLetters
from bot.state.erase import erase, unanswered_requests
from bot.state.queue import events_channel
from bot.state.referrals import ReferralStore
from bot.state.transcript import Entry, Transcript

log = logging.getLogger(__name__)
DAY = 24 * 3600
Clock = Callable[[], float]
FIRST_RUN_AFTER_SECONDS = 60.0

# KEYS: deadlines, period key, keys whose TTL follows the period. ARGV: conversation, now, default period.
# GT: of two workers touching the conversation at once, the later time wins whatever order they arrive in.
_KEEP = """
local period = tonumber(redis.call('GET', KEYS[2]) or '') or tonumber(ARGV[3])
for i = 2, #KEYS do
  redis.call('EXPIRE', KEYS[i], period)
end
redis.call('ZADD', KEYS[1], 'GT', tonumber(ARGV[2]) + period, ARGV[1])
return period
"""

# Transcript entries (ARGV[4] on) pushed onto KEYS[3] and the deadline they move (as _KEEP: KEYS[1] deadlines,
# KEYS[2] period, ARGV[1] conversation, ARGV[2] now, ARGV[3] default period), in one round trip. While a human holds
# the conversation or it waits for one (KEYS[4], its mode), the consoles hear of it (KEYS[5], their channel): an
# event with the new length, never the text. Sent by whoever writes, so no console polls for it.
_APPEND = """
local length = redis.call('RPUSH', KEYS[3], unpack(ARGV, 4))
local period = tonumber(redis.call('GET', KEYS[2]) or '') or tonumber(ARGV[3])
redis.call('EXPIRE', KEYS[2], period)
redis.call('EXPIRE', KEYS[3], period)
redis.call('ZADD', KEYS[1], 'GT', tonumber(ARGV[2]) + period, ARGV[1])
local mode = redis.call('GET', KEYS[4])
if mode == 'waiting' or mode == 'human' then
  redis.call('PUBLISH', KEYS[5], cjson.encode({type='transcript', conversation_id=ARGV[1], length=length}))
end
return period
"""

# KEYS: deadlines, period key, keys whose TTL becomes the period. ARGV: conversation, now, period.
# No GT here: an outcome with a shorter period (a false alarm) must be able to bring the deadline forward.
_CLOSE = """
redis.call('SET', KEYS[2], ARGV[3], 'EX', ARGV[3])
for i = 3, #KEYS do
  redis.call('EXPIRE', KEYS[i], ARGV[3])
end
redis.call('ZADD', KEYS[1], tonumber(ARGV[2]) + tonumber(ARGV[3]), ARGV[1])
return 1
"""

# KEYS: deadlines, mode. ARGV: conversation, now, default period.
# 1: due and taken off the schedule (the caller erases it); 0: not due (a message moved it); -1: due, but a human
# holds it or it waits for one, so it is not closed: looked at again a default period later.
_TAKE_DUE = """
local deadline = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not deadline or tonumber(deadline) > tonumber(ARGV[2]) then
  return 0
end
local mode = redis.call('GET', KEYS[2])
if mode == 'waiting' or mode == 'human' then
  redis.call('ZADD', KEYS[1], tonumber(ARGV[2]) + tonumber(ARGV[3]), ARGV[1])
  return -1
end
redis.call('ZREM', KEYS[1], ARGV[1])
return 1
"""


@dataclass(frozen=True)
class Periods:
    """Seconds a conversation is kept after its last activity: by default, or after a handoff closed with an outcome."""

    default: int
    by_outcome: Mapping[str, int] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, settings: Settings) -> Periods:
        by_outcome = {outcome: days * DAY for outcome, days in settings.retention_by_outcome}
        return cls(settings.retention_days * DAY, by_outcome)

    def after(self, outcome: str) -> int:
        return self.by_outcome.get(outcome, self.default)

    @property
    def longest(self) -> int:
        return max(self.default, *self.by_outcome.values())


def kept_keys(conversation_id: str) -> list[str]:
    """The long-lived stores of a conversation, whose TTL a close sets to the outcome's period."""
    return [keys.transcript(conversation_id), keys.rasa_tracker(conversation_id), keys.case_notes(conversation_id),
            keys.handoffs(conversation_id), keys.attachments(conversation_id)]


class Retention:
    def __init__(self, client: redis.asyncio.Redis, periods: Periods, clock: Clock = time.time):
        self.periods = periods
        self._redis = client
        self._clock = clock
        self._keep = client.register_script(_KEEP)
        self._append = client.register_script(_APPEND)
        self._events = events_channel(client)
        self._close = client.register_script(_CLOSE)

    async def keep(self, conversation_id: str, *held: str) -> int:
        """Something happened in the conversation: its deadline moves to now + its period, which `held` keys
        (and the period itself, when the conversation has one) get as their TTL. Returns the period."""
        period = await self._keep(keys=[keys.RETENTION, keys.retention_period(conversation_id), *held],
                                  args=[conversation_id, f"{self._clock():.3f}", self.periods.default])
        return int(period)

    async def append(self, conversation_id: str, *entries: str) -> int:
        """`keep`, after appending `entries` to the conversation's transcript (which gets the period as its TTL);
        consoles are told when a human holds the conversation or it waits for one. Returns the period."""
        period = await self._append(keys=[keys.RETENTION, keys.retention_period(conversation_id),
                                          keys.transcript(conversation_id), keys.conversation_mode(conversation_id),
                                          self._events],
                                    args=[conversation_id, f"{self._clock():.3f}", self.periods.default, *entries])
        return int(period)

    async def close(self, conversation_id: str, outcome: str, at: float | None = None) -> float:
        """A handoff closed with `outcome` (at `at`, default now): the conversation is kept that outcome's period
        from then (and from each later message). Returns the new deadline."""
        period = self.periods.after(outcome)
        now = self._clock() if at is None else at
        await self._close(keys=[keys.RETENTION, keys.retention_period(conversation_id), *kept_keys(conversation_id)],
                          args=[conversation_id, f"{now:.3f}", period])
        return now + period

    async def deadline(self, conversation_id: str) -> float | None:
        score = await self._redis.zscore(keys.RETENTION, conversation_id)
        return None if score is None else float(score)


class KeptTranscript(Transcript):
    """The transcript whose every entry moves the conversation's deadline, and whose TTL follows its period
    (the plain `Transcript` knows only CAUNOI_RETENTION_DAYS)."""

    def __init__(self, client: redis.asyncio.Redis, retention: Retention, *args: Any, **kwargs: Any):
        super().__init__(client, *args, **kwargs)
        self.retention = retention

    async def append_many(self, conversation_id: str, entries: Sequence[Entry]) -> None:
        if entries:
            await self.retention.append(conversation_id, *(self.sealed(entry) for entry in entries))


@dataclass(frozen=True)
class PurgeReport:
    erased: int = 0  # conversations past their deadline, erased
    open: int = 0  # past their deadline but held by a human or waiting: kept, looked at again later
    dead_letters: int = 0
    audit_entries: int = 0  # audit log entries older than its period, trimmed
    requested: int = 0  # erases the person asked for that the gateway never got to (bot/state/erase.py), done now


class Purger:
    def __init__(self, client: redis.asyncio.Redis, retention: Retention, dead_letters: DeadLetters,
                 clock: Clock = time.time, batch: int = 500, log_key: str = "", audit_days: int = 365,
                 referrals: ReferralStore | None = None):
        self._referrals = referrals  # their records expire on their own; their index entries go here
        self._audit_seconds = audit_days * 24 * 3600
        self._redis = client
        self._retention = retention
        self._dead = dead_letters
        self._clock = clock
        self._batch = batch
        self._log_key = log_key
        self._take_due = client.register_script(_TAKE_DUE)

    async def purge(self) -> PurgeReport:
        """Erases every conversation past its deadline or whose person asked for it long enough ago, dead letters
        older than the default period, and audit log entries older than theirs."""
        now = self._clock()
        erased: list[str] = []
        requested: list[str] = []
        while True:
            asked = await unanswered_requests(self._redis, now, self._batch)
            for conversation_id in asked:
                await erase(self._redis, conversation_id)  # which removes the request too
                requested.append(conversation_id)
            if len(asked) < self._batch:
                break
        still_open = 0
        while True:
            due = await self._redis.zrangebyscore(keys.RETENTION, "-inf", now, start=0, num=self._batch)
            for conversation_id in due:
                taken = int(await self._take_due(keys=[keys.RETENTION, keys.conversation_mode(conversation_id)],
                                                 args=[conversation_id, f"{now:.3f}",
                                                       self._retention.periods.default]))
                if taken == 1:
                    await erase(self._redis, conversation_id)
                    erased.append(conversation_id)
                elif taken == -1:
                    still_open += 1
            if len(due) < self._batch:  # every due one was erased or moved past `now`: none comes back
                break
        dead = await self._prune_dead_letters(now, set(erased + requested))
        # Left by the console's transcript watcher (polling until #19; transcripts now announce themselves).
        await self._redis.delete(keys.TRANSCRIPT_LENGTHS)
        # The stream's ids are the milliseconds they were written at: MINID drops everything written before (exactly:
        # an approximate trim keeps whole blocks of old entries).
        oldest_kept = f"{max(0, int((now - self._audit_seconds) * 1000))}-0"
        audit = int(await self._redis.xtrim(keys.AUDIT, minid=oldest_kept, approximate=False))
        if self._referrals is not None:
            await self._referrals.prune()
        for conversation_id in erased:
            log.info("retention erased conversation=%s", log_id(conversation_id, self._log_key))
        for conversation_id in requested:
            log.warning("erase as asked, done by the purge conversation=%s", log_id(conversation_id, self._log_key))
        return PurgeReport(len(erased), still_open, dead, audit, len(requested))

    async def _prune_dead_letters(self, now: float, erased: set[str]) -> int:
        old = await self._redis.zrangebyscore(keys.DEAD_LETTER_INDEX, "-inf", now - self._retention.periods.default)
        if erased:  # younger entries of an erased conversation go with it
            old += [entry["id"] for entry in await self._dead.read(limit=MAX_ENTRIES)
                    if entry.get("conversation_id") in erased and "id" in entry]
        return await self._dead.remove(*set(old)) if old else 0

    async def tick(self, interval: float) -> PurgeReport | None:
        """One scheduled run: purges unless another worker already did in this interval (then None)."""
        lock_ms = max(1, int(interval * 900))  # a little under the interval, so the next run is never skipped
        if not await self._redis.set(keys.PURGE_LOCK, secrets.token_hex(8), nx=True, px=lock_ms):
            return None
        return await self.purge()

    async def run(self, interval: float, stopping: asyncio.Event) -> None:
        """Purges every `interval` seconds until `stopping` is set; the first time a minute after the start at
        most (not at once: workers restarted together would all queue for the lock, and a start stays quiet)."""
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(stopping.wait(), min(interval, FIRST_RUN_AFTER_SECONDS))
        while not stopping.is_set():
            try:
                report = await self.tick(interval)
            except Exception as error:  # Redis away: try again next time; say so without details
                log.warning("retention purge failed: %s", type(error).__name__)
            else:
                if report is not None and (report.erased or report.dead_letters or report.audit_entries
                                           or report.requested):
                    log.info("retention purge erased=%d open=%d dead_letters=%d audit_entries=%d requested=%d",
                             report.erased, report.open, report.dead_letters, report.audit_entries, report.requested)
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(stopping.wait(), interval)
