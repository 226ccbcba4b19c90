"""Referrals to partner organisations: proposed by an operator, agreed (or not) by the person, moved by the partner.

    proposed ──person agrees──► sent ──partner──► received ─► contacted ─► helping ─► closed
        │ ├─person says no──► refused                 └──────────┴───────────┴──► declined (with a reason)
        │ └─no answer in CAUNOI_REFERRAL_CONSENT_HOURS──► expired

Nothing reaches the organisation before `sent`: a refused or expired referral shows its partner nothing. After the
first answer the bot asks, one at a time, whether the organisation may contact the person (and how), whether the
transcript may go too (default no) and whether the bot may check in later (`Consent`); an unanswered later question
shares nothing more. The dialogue is the gateway's (bot/gateway/referrals.py); the API is the console's
(bot/console/referrals.py). When the person allows a check-in, the gateway calls a `FollowUpScheduler`.

Each record is sealed JSON under its conversation's prefix (`keys.referral`), so erasing the conversation (/xoa,
retention) takes it; its TTL is CAUNOI_REFERRAL_RETENTION_DAYS, and `prune` drops index entries older than that.
The indexes hold referral ids and times only.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any, Literal, Protocol

import redis.asyncio

from bot.state import keys
from bot.state.sealed import Sealer, Unreadable

DAY = 24 * 3600
STATUSES = ("proposed", "sent", "refused", "expired", "received", "contacted", "helping", "closed", "declined")
CONSENT_ENDED = ("refused", "expired")  # the person did not agree: nothing was shared
PARTNER_ORDER = ("sent", "received", "contacted", "helping", "closed")  # moved forward only, steps may be skipped
PARTNER_STATUSES = ("received", "contacted", "helping", "closed", "declined")  # what a partner may set
FINAL = ("refused", "expired", "closed", "declined")
REACHED = ("contacted", "helping", "closed")  # the organisation reached the person
# The consent questions, in the order they are asked; `share` is the one that sends the referral.
Step = Literal["share", "contact", "transcript", "check_in"]
STEPS: tuple[Step, ...] = ("share", "contact", "transcript", "check_in")
SUMMARY_MAX = 600
NOTE_MAX = 500
ROUTE_MAX = 200
FOLLOW_UP_DAYS_MAX = 90
REFERRAL_ID_PREFIX = "r-"
UNDELIVERED = "undelivered"  # the note of an `expired` whose first question never reached the person


class FollowUpScheduler(Protocol):
    """Checks in with the person later ("Bạn đã liên hệ được với … chưa?"), when they allowed it; the follow-up
    feature supplies it. Called once per referral, with the time the check-in is due."""

    async def schedule(self, referral_id: str, conversation_id: str, due_at: float) -> None: ...


class TransitionError(ValueError):
    """A status change that is not allowed; `status` is the HTTP status the console answers with."""

    def __init__(self, status: int, reason: str):
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True)
class Consent:
    """What the person agreed to share; None: not asked or not answered (nothing shared)."""

    share_summary: bool | None = None
    share_contact: bool | None = None
    contact_route: str = ""  # how the person agreed to be reached, in their words ("" with share_contact: via the bot)
    share_transcript: bool | None = None
    check_in: bool | None = None


@dataclass(frozen=True)
class Change:
    """One line of a referral's history: its new status (or consent step answered), who, when, an optional note."""

    at: float
    actor: str  # an operator or partner username, "person" or "system"
    status: str
    note: str = ""


@dataclass(frozen=True)
class Referral:
    id: str
    conversation_id: str
    entry_id: str
    org_id: str
    summary: str  # written by the operator, shown to the person word for word before they agree
    follow_up_days: int
    proposed_by: str
    created_at: float
    consent_due_at: float  # a `proposed` referral expires then
    status: str = "proposed"
    channel: str = ""
    entry_type: str = ""  # the entry's service type and province when proposed: the numbers count by them
    province: str = ""
    consent: Consent = field(default_factory=Consent)
    answered_at: float | None = None  # when the person agreed or refused
    first_contact_at: float | None = None  # when the partner first said `contacted` (or later)
    decline_reason: str = ""
    history: tuple[Change, ...] = ()
    # Filled by the follow-up feature: when the check-in is due, the person's answer to it (helped, not_reached,
    # not_needed), or why it was not sent.
    follow_up_due_at: float | None = None
    follow_up_answer: str = ""
    follow_up_skipped: str = ""

    @property
    def shared(self) -> bool:
        """The organisation was told (the person agreed)."""
        return self.status not in ("proposed", *CONSENT_ENDED)

    def changed(self, actor: str, event: str, at: float, note: str = "", **values: Any) -> Referral:
        """A copy with `values` changed and a history line: `event` is the new status or the consent step answered."""
        return replace(self, **values, history=(*self.history, Change(round(at, 3), actor, event, note)))

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Referral:
        data = json.loads(text)
        # Fields a newer version added are left out, not refused: a record outlives a rollback.
        known = {item.name for item in fields(cls)}
        data = {name: value for name, value in data.items() if name in known}
        data["consent"] = Consent(**data.get("consent", {}))
        data["history"] = tuple(Change(**item) for item in data.get("history", ()))
        return cls(**data)


def new_id() -> str:
    return REFERRAL_ID_PREFIX + secrets.token_hex(6)


def check_move(referral: Referral, status: str, note: str) -> None:
    """Raises TransitionError when a partner (or supervisor) may not move `referral` to `status`."""
    if status not in PARTNER_STATUSES:
        raise TransitionError(400, f"status must be one of {', '.join(PARTNER_STATUSES)}")
    if referral.status == "proposed":
        raise TransitionError(409, "the person has not answered yet: nothing was shared")
    if referral.status in CONSENT_ENDED:
        raise TransitionError(409, f"the referral is {referral.status}: the person did not agree, nothing was shared")
    if referral.status in FINAL:
        raise TransitionError(409, f"the referral is already {referral.status}")
    if status == "declined":
        if not note:
            raise TransitionError(400, "declining needs a reason in note")
        return
    if PARTNER_ORDER.index(status) <= PARTNER_ORDER.index(referral.status):
        raise TransitionError(409, f"the referral is already {referral.status}; a status only moves forward "
                                   f"({' → '.join(PARTNER_ORDER[1:])})")


def next_step(step: Step) -> Step | None:
    index = STEPS.index(step) + 1
    return STEPS[index] if index < len(STEPS) else None


@dataclass(frozen=True)
class Pending:
    """The consent question the conversation waits on: which referral, which step."""

    referral_id: str
    step: Step
    asked_at: float = 0.0  # when the question was asked (0: a record from before it was kept)


class ReferralStore:
    def __init__(self, client: redis.asyncio.Redis, sealer: Sealer, retention_days: int = 180,
                 consent_hours: int = 48, clock: Callable[[], float] = time.time):
        self._redis = client
        self._sealer = sealer
        self.retention_seconds = retention_days * DAY
        self.consent_seconds = consent_hours * 3600
        self._clock = clock

    def _open(self, text: str | None) -> Referral | None:
        if not text:
            return None
        try:
            return Referral.from_json(self._sealer.open(text))
        except (Unreadable, ValueError, TypeError, KeyError):
            return None

    def _ttl(self, referral: Referral) -> int:
        return max(1, int(referral.created_at + self.retention_seconds - self._clock()))

    async def create(self, referral: Referral) -> Referral:
        """Stores a new `proposed` referral and makes its consent question the one the conversation waits on."""
        cid, rid = referral.conversation_id, referral.id
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.set(keys.referral(cid, rid), self._sealer.seal(referral.to_json()), ex=self._ttl(referral))
            pipe.zadd(keys.REFERRALS, {rid: referral.created_at})
            pipe.hset(keys.REFERRAL_HOME, rid, cid)
            pipe.zadd(keys.REFERRAL_CONSENT_DUE, {rid: referral.consent_due_at})
            pipe.set(keys.referral_pending(cid), json.dumps({"referral_id": rid, "step": "share",
                                                             "at": round(self._clock(), 3)}),
                     ex=self.consent_seconds)
            await pipe.execute()
        return referral

    async def home(self, referral_id: str) -> str | None:
        found: str | None = await self._redis.hget(keys.REFERRAL_HOME, referral_id)
        return found

    async def get(self, referral_id: str) -> Referral | None:
        cid = await self.home(referral_id)
        return self._open(await self._redis.get(keys.referral(cid, referral_id))) if cid else None

    async def all(self) -> list[Referral]:
        """Every stored referral, newest first."""
        ids: list[str] = await self._redis.zrevrange(keys.REFERRALS, 0, -1)
        if not ids:
            return []
        homes = await self._redis.hmget(keys.REFERRAL_HOME, ids)
        pairs = [(rid, cid) for rid, cid in zip(ids, homes, strict=True) if cid]
        if not pairs:
            return []
        texts = await self._redis.mget([keys.referral(cid, rid) for rid, cid in pairs])
        found = (self._open(text) for text in texts)
        return [referral for referral in found if referral is not None]

    async def of_conversation(self, conversation_id: str) -> list[Referral]:
        return [r for r in await self.all() if r.conversation_id == conversation_id]

    async def update(self, referral_id: str, change: Callable[[Referral], Referral]) -> Referral | None:
        """Applies `change` atomically (retried if the record changed meanwhile); None when there is no referral.
        `change` may raise (TransitionError) to leave it as it is."""
        cid = await self.home(referral_id)
        if cid is None:
            return None
        key = keys.referral(cid, referral_id)
        async with self._redis.pipeline(transaction=True) as pipe:
            while True:
                try:
                    await pipe.watch(key)
                    current = self._open(await pipe.get(key))
                    if current is None:
                        await pipe.reset()
                        return None
                    updated = change(current)
                    pipe.multi()
                    pipe.set(key, self._sealer.seal(updated.to_json()), ex=self._ttl(updated))
                    if updated.status != "proposed":
                        pipe.zrem(keys.REFERRAL_CONSENT_DUE, referral_id)
                    await pipe.execute()
                    return updated
                except redis.WatchError:
                    continue

    async def move(self, referral_id: str, status: str, actor: str, note: str = "") -> Referral | None:
        """A partner's (or supervisor's) status change; TransitionError when it is not allowed."""
        now = self._clock()

        def change(referral: Referral) -> Referral:
            check_move(referral, status, note)
            extra: dict[str, Any] = {"status": status}
            if status == "declined":
                extra["decline_reason"] = note
            if status in REACHED and referral.first_contact_at is None:
                extra["first_contact_at"] = round(now, 3)
            return referral.changed(actor, status, now, note, **extra)

        return await self.update(referral_id, change)

    # -- the consent questions (asked by bot/gateway/referrals.py) --------------------------------------------------

    async def pending(self, conversation_id: str) -> Pending | None:
        raw = await self._redis.get(keys.referral_pending(conversation_id))
        if not raw:
            return None
        try:
            data = json.loads(raw)
            step = next(s for s in STEPS if s == data["step"])
            return Pending(str(data["referral_id"]), step, float(data.get("at") or 0))
        except (ValueError, KeyError, StopIteration, TypeError):
            return None

    async def ask(self, conversation_id: str, referral_id: str, step: Step) -> None:
        await self._redis.set(keys.referral_pending(conversation_id),
                              json.dumps({"referral_id": referral_id, "step": step, "at": round(self._clock(), 3)}),
                              ex=self.consent_seconds)

    async def done_asking(self, conversation_id: str) -> None:
        await self._redis.delete(keys.referral_pending(conversation_id))

    async def answer(self, referral_id: str, step: Step, yes: bool, route: str = "") -> Referral | None:
        """The person's answer to one consent question. The first (`share`) sends or refuses the referral; the
        others widen what is shared. None when the referral is gone or no longer waits on that question."""
        now = self._clock()

        def change(referral: Referral) -> Referral:
            if step == "share":
                if referral.status != "proposed":
                    raise TransitionError(409, f"the referral is already {referral.status}")
                status = "sent" if yes else "refused"
                return referral.changed("person", status, now, status=status, answered_at=round(now, 3),
                                        consent=replace(referral.consent, share_summary=yes))
            if referral.status in ("proposed", *CONSENT_ENDED):
                raise TransitionError(409, "the person has not agreed to share anything")
            if step == "contact":
                consent = replace(referral.consent, share_contact=yes, contact_route=route[:ROUTE_MAX] if yes else "")
            elif step == "transcript":
                consent = replace(referral.consent, share_transcript=yes)
            else:
                consent = replace(referral.consent, check_in=yes)
            due = round(now + referral.follow_up_days * DAY, 3) if step == "check_in" and yes else None
            return referral.changed("person", f"consent_{step}", now, "yes" if yes else "no", consent=consent,
                                    follow_up_due_at=due if due is not None else referral.follow_up_due_at)

        try:
            return await self.update(referral_id, change)
        except TransitionError:
            return None

    async def undelivered(self, referral_id: str) -> Referral | None:
        """The first question never reached the person: the referral ends now (`expired`, nothing shared) and the
        conversation waits on no question, so the operator may propose again."""
        now = self._clock()

        def change(referral: Referral) -> Referral:
            if referral.status != "proposed":
                return referral
            return referral.changed("system", "expired", now, UNDELIVERED, status="expired")

        updated = await self.update(referral_id, change)
        if updated is not None:
            pending = await self.pending(updated.conversation_id)
            if pending is not None and pending.referral_id == referral_id:
                await self.done_asking(updated.conversation_id)
        return updated

    async def expire_due(self) -> list[Referral]:
        """`proposed` referrals whose question went unanswered too long become `expired` (nothing shared)."""
        now = self._clock()
        due: list[str] = await self._redis.zrangebyscore(keys.REFERRAL_CONSENT_DUE, "-inf", now, start=0, num=500)
        expired: list[Referral] = []
        for rid in due:
            def change(referral: Referral) -> Referral:
                if referral.status != "proposed":
                    return referral
                return referral.changed("system", "expired", now, status="expired")

            updated = await self.update(rid, change)
            await self._redis.zrem(keys.REFERRAL_CONSENT_DUE, rid)
            if updated is not None and updated.status == "expired" and updated.history[-1].at == round(now, 3):
                expired.append(updated)
                pending = await self.pending(updated.conversation_id)
                if pending is not None and pending.referral_id == rid:
                    await self.done_asking(updated.conversation_id)
        return expired

    async def prune(self) -> int:
        """Drops index entries of referrals older than the retention (their records expired on their own) and of
        referrals whose record is gone; gives how many."""
        now = self._clock()
        old: list[str] = await self._redis.zrangebyscore(keys.REFERRALS, "-inf", now - self.retention_seconds)
        ids: list[str] = await self._redis.zrange(keys.REFERRALS, 0, -1)
        homes = await self._redis.hmget(keys.REFERRAL_HOME, ids) if ids else []
        exists = [await self._redis.exists(keys.referral(cid, rid)) if cid else 0
                  for rid, cid in zip(ids, homes, strict=True)]
        gone = set(old) | {rid for rid, alive in zip(ids, exists, strict=True) if not alive}
        if gone:
            await forget(self._redis, gone)
        return len(gone)


async def forget(client: redis.asyncio.Redis, referral_ids: set[str] | list[str]) -> None:
    """Removes referral ids from the indexes (their records went with their conversation, or expired)."""
    if not referral_ids:
        return
    async with client.pipeline(transaction=True) as pipe:
        pipe.zrem(keys.REFERRALS, *referral_ids)
        pipe.hdel(keys.REFERRAL_HOME, *referral_ids)
        pipe.zrem(keys.REFERRAL_CONSENT_DUE, *referral_ids)
        await pipe.execute()
