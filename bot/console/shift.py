"""The night shift around the held conversations: who is on duty, what is unread, and conversations nobody is
left to answer.

- `Availability`: each operator is `on_duty`, on a `break` or `off` (POST /api/me/status; a login puts them on duty).
  Transfers go only to an operator who is on duty and has a console open.
- `ReadMarks`: when the holder last opened a conversation, kept in its case hash (so a close or /xoa removes it);
  `unread` counts the person's messages since the holder opened or answered it, `waiting_for_reply_since` is the
  person's first message after the last answer.
- `HandBack`: a conversation whose holder is off, disabled, or has no live session any more goes back to the queue
  (its old place) once CAUNOI_HANDBACK_GRACE_MINUTES pass, with a case note, and the person is told someone else will
  continue. The release is the queue's atomic one: with several workers sweeping, one hands it back.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

import redis.asyncio

from bot.console.audit import AuditLog
from bot.console.clock import Clock
from bot.console.events import Presence, publish
from bot.console.notes import CaseNotes
from bot.console.operators import OperatorStore
from bot.console.sessions import Sessions
from bot.content.console import ConsoleTexts
from bot.state import keys
from bot.state.queue import Case, HandoffQueue
from bot.state.transcript import Transcript

log = logging.getLogger(__name__)
STATUSES = ("on_duty", "break", "off")
STATUS_DAYS_KEPT = 7
READ_FIELD = "read:"  # + username, in the case hash
TRANSCRIPT_LOOKED_AT = 200  # the newest entries are enough to count what is unread
SYSTEM = "system"

# KEYS: case. ARGV: field, now. Only on a case that still exists: a close in between must not leave a stray hash.
_MARK = """
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
  return 1
end
return 0
"""


@dataclass(frozen=True)
class Status:
    status: str
    since: float | None

    def json(self) -> dict[str, Any]:
        return {"status": self.status, "since": self.since}


class Availability:
    def __init__(self, client: redis.asyncio.Redis, presence: Presence, clock: Clock):
        self._redis = client
        self._presence = presence
        self._clock = clock

    async def set(self, username: str, status: str) -> Status:
        if status not in STATUSES:
            raise ValueError(f"status must be one of {', '.join(STATUSES)}")
        now = round(self._clock(), 3)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(keys.OPERATOR_STATUS, username, json.dumps({"status": status, "since": now}))
            pipe.expire(keys.OPERATOR_STATUS, STATUS_DAYS_KEPT * 24 * 3600)
            await pipe.execute()
        await publish(self._redis, {"type": "status", "operator": username, "status": status})
        return Status(status, now)

    async def of(self, username: str) -> Status:
        return _status(await self._redis.hget(keys.OPERATOR_STATUS, username))

    async def all(self) -> dict[str, Status]:
        return {name: _status(raw) for name, raw in (await self._redis.hgetall(keys.OPERATOR_STATUS)).items()}

    async def available(self, username: str) -> bool:
        """On duty with a console open: who may be given a conversation."""
        return (await self.of(username)).status == "on_duty" and username in await self._presence.online()


def _status(raw: str | None) -> Status:
    """Nobody has set one (never logged in since the status came): off."""
    try:
        data = json.loads(raw) if raw else {}
    except ValueError:
        data = {}
    status = data.get("status") if isinstance(data, dict) else None
    return Status(status, data.get("since")) if status in STATUSES else Status("off", None)


@dataclass(frozen=True)
class Unread:
    unread: int
    waiting_for_reply_since: float | None
    first_response_at: float | None = None  # the first operator message since the claim


class ReadMarks:
    def __init__(self, client: redis.asyncio.Redis, transcript: Transcript, clock: Clock):
        self._redis = client
        self._transcript = transcript
        self._clock = clock
        self._mark = client.register_script(_MARK)

    async def opened(self, conversation_id: str, username: str) -> None:
        await self._mark(keys=[keys.case(conversation_id)], args=[READ_FIELD + username, f"{self._clock():.3f}"])

    async def of(self, case: Case) -> Unread:
        """The holder's unread count and since when the person waits for an answer (None: answered)."""
        raw = await self._redis.hget(keys.case(case.conversation_id), READ_FIELD + case.operator) \
            if case.operator else None
        entries = await self._transcript.read(case.conversation_id, -TRANSCRIPT_LOOKED_AT, -1)
        return unread_of(entries, float(raw) if raw else None, case.claimed_at)


def unread_of(entries: list[dict[str, Any]], opened_at: float | None, claimed_at: float) -> Unread:
    """From a transcript (oldest first): the person's messages after the holder last opened or answered (or, never
    having done either, after the claim), and the first of the person's messages after the last answer."""
    answered = max((float(e.get("at") or 0) for e in entries if e.get("from") == "operator"), default=None)
    since = max(x for x in (opened_at, answered, claimed_at or None, 0.0) if x is not None)
    unread = sum(1 for e in entries if e.get("from") == "person" and float(e.get("at") or 0) > since)
    after = answered if answered is not None else 0.0
    first = next((float(e["at"]) for e in entries if e.get("from") == "person" and float(e.get("at") or 0) > after),
                 None)
    response = next((float(e["at"]) for e in entries
                     if e.get("from") == "operator" and float(e.get("at") or 0) >= (claimed_at or 0)), None)
    return Unread(unread, first, response)


class HandBack:
    def __init__(self, client: redis.asyncio.Redis, queue: HandoffQueue, handoffs: Any, notes: CaseNotes,
                 sessions: Sessions, operators: OperatorStore, availability: Availability, texts: ConsoleTexts,
                 audit: AuditLog, grace_seconds: float, clock: Clock):
        self._redis = client
        self._queue = queue
        self._handoffs = handoffs  # bot/console/handoff.py's Handoffs: it tells the person
        self._notes = notes
        self._sessions = sessions
        self._operators = operators
        self._availability = availability
        self._texts = texts
        self._audit = audit
        self._grace = grace_seconds
        self._clock = clock

    async def tick(self) -> list[str]:
        """One sweep: starts the grace period of conversations whose holder is away, hands back those whose grace
        has passed, forgets those whose holder came back. Returns the ids handed back."""
        held = await self._queue.held()
        stranded = await self._redis.hgetall(keys.STRANDED)
        now = self._clock()
        present: dict[str, bool] = {}
        handed: list[str] = []
        for case in held:
            cid, holder = case.conversation_id, case.operator
            if holder not in present:
                present[holder] = await self.present(holder)
            if present[holder]:
                if cid in stranded:
                    await self._redis.hdel(keys.STRANDED, cid)
                continue
            if cid not in stranded:
                await self._redis.hsetnx(keys.STRANDED, cid, f"{now:.3f}")
                await self._redis.expire(keys.STRANDED, int(self._grace) + 24 * 3600)
            elif now - float(stranded[cid]) >= self._grace and await self._hand_back(case):
                handed.append(cid)
        gone = set(stranded) - {case.conversation_id for case in held}
        if gone:
            await self._redis.hdel(keys.STRANDED, *gone)
        return handed

    async def stranded_since(self) -> dict[str, float]:
        return {cid: float(at) for cid, at in (await self._redis.hgetall(keys.STRANDED)).items()}

    async def present(self, username: str) -> bool:
        """Someone is there to answer: not off, the account enabled, at least one live session."""
        if not username or (await self._availability.of(username)).status == "off":
            return False
        operator = await self._operators.get(username)
        return operator is not None and not operator.disabled and bool(await self._sessions.of(operator))

    async def _hand_back(self, case: Case) -> bool:
        cid, holder = case.conversation_id, case.operator
        transition = await self._queue.release(cid, holder)
        await self._redis.hdel(keys.STRANDED, cid)
        if not transition.ok:  # closed, transferred or handed back by another worker meanwhile
            return False
        minutes = max(1, round(self._grace / 60))
        await self._notes.add(cid, SYSTEM, self._texts.handed_back_note.replace("{operator}", holder)
                              .replace("{minutes}", str(minutes)))
        await self._audit.record(SYSTEM, "hand_back", cid, held_by=holder)
        await self._handoffs.tell(cid, self._texts.handed_back)
        await publish(self._redis, {"type": "note", "conversation_id": cid})
        log.info("conversation handed back to the queue: its holder is away")
        return True
