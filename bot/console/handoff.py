"""What happens around a queue transition: the person is told, the audit log and the records are written.

`HandoffQueue` (bot/state/queue.py) decides atomically who may do what; this module adds the side effects. Messages to
the person go through the gateway's sender for their channel (limits, retries, transcript), as `bot` turns.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Protocol

import redis
import redis.asyncio

from bot.console.audit import AuditLog
from bot.console.clock import Clock, vietnam_day
from bot.console.events import publish
from bot.console.notes import CaseNotes
from bot.console.operators import Operator
from bot.console.rasa import RasaTracker
from bot.console.window import has_window
from bot.content.console import ConsoleTexts
from bot.messages import Outbound
from bot.privacy import log_id
from bot.state import keys
from bot.state.campaigns import CampaignStore
from bot.state.queue import HandoffQueue, Transition
from bot.state.retention import Retention
from bot.state.transcript import Author, Transcript
from bot.state.whereabouts import Whereabouts

log = logging.getLogger(__name__)
FIRST_RESPONSE_LOOKED_AT = 500  # transcript entries read at a close to find the first answer
OUTCOMES = ("referred", "informed", "no_response", "false_alarm")
OUTCOME_DAYS_KEPT = 400
NOTICES_TTL_SECONDS = 2 * 24 * 3600  # the `notices` hash of one wait (bot/console/alerts.py claims its notices there)
WINDOW_NOTICE = "zalo_window"


def first_response(entries: list[dict[str, Any]], waiting_since: float) -> float | None:
    """Seconds from joining the queue to the first operator message (None: no operator answered)."""
    answer = next((float(e["at"]) for e in entries
                   if e.get("from") == "operator" and float(e.get("at") or 0) >= waiting_since), None)
    return round(answer - waiting_since, 3) if answer is not None else None


class ConversationSender(Protocol):
    """Sends to a conversation on its own channel and records it in the transcript (`bot.gateway.parts.Gateway`)."""

    async def send(self, conversation_id: str, message: Outbound, author: Author = "operator") -> bool: ...


class Handoffs:
    def __init__(self, client: redis.asyncio.Redis, queue: HandoffQueue, sender: ConversationSender,
                 texts: ConsoleTexts, notes: CaseNotes, audit: AuditLog, rasa: RasaTracker, clock: Clock,
                 log_key: str = "", retention_days: int = 30, retention: Retention | None = None,
                 whereabouts: Whereabouts | None = None, transcript: Transcript | None = None):
        self._redis = client
        self._transcript = transcript or Transcript(client, retention_days)  # handover lines
        self._whereabouts = whereabouts  # None: the texts that give both routes
        self._retention = retention  # the conversation is kept for its outcome's period from the close
        self._queue = queue
        self._sender = sender
        self._texts = texts
        self._notes = notes
        self._audit = audit
        self._rasa = rasa
        self._clock = clock
        self._log_key = log_key
        self._retention_seconds = retention_days * 24 * 3600
        self._background: set[asyncio.Task[Any]] = set()

    async def claim(self, conversation_id: str, operator: Operator) -> Transition:
        transition = await self._queue.claim(conversation_id, operator.username)
        if transition.ok:
            await self._audit.record(operator.username, "claim", conversation_id)
            await self.tell(conversation_id, self.joined(operator))
            await self.window_notice(conversation_id)  # claimed before the sweep told them
        return transition

    async def window_notice(self, conversation_id: str) -> bool:
        """Zalo only, once per handoff: an answer reaches the person only within 48 hours of their last message
        (bot/console/window.py). Claimed on the conversation's `notices` hash, which a close or withdrawal clears,
        so the sweep and a claim never both send it. True when sent."""
        if not has_window(conversation_id):
            return False
        key = keys.notices(conversation_id)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hsetnx(key, WINDOW_NOTICE, f"{self._clock():.3f}")
            pipe.expire(key, NOTICES_TTL_SECONDS)
            first, _ = await pipe.execute()
        if not first:
            return False
        await self._audit.record("system", "notice", conversation_id, notice=WINDOW_NOTICE)
        return await self.tell(conversation_id, self._texts.zalo_window)

    async def _overridden(self, conversation_id: str, actor: Operator) -> str | None:
        """Who holds the conversation when a supervisor is about to act on it for them (the audit log names them)."""
        holder = await self._queue.holder(conversation_id) if actor.supervisor else None
        return holder if holder and holder != actor.username else None

    async def release(self, conversation_id: str, actor: Operator) -> Transition:
        held_by = await self._overridden(conversation_id, actor)
        transition = await self._queue.release(conversation_id, actor.username, force=actor.supervisor)
        if transition.ok:
            await self._audit.record(actor.username, "release", conversation_id, held_by=held_by)
            await self.tell(conversation_id, self._texts.released)
        return transition

    async def transfer(self, conversation_id: str, actor: Operator, target: Operator, note: str = "") -> Transition:
        """Hands the conversation to `target`; the handover note becomes a case note for them and a line in the
        transcript (operators only: the transcript is never sent to the person)."""
        held_by = await self._overridden(conversation_id, actor)
        transition = await self._queue.transfer(conversation_id, actor.username, target.username,
                                                force=actor.supervisor)
        if transition.ok:
            await self._audit.record(actor.username, "transfer", conversation_id, to=target.username, held_by=held_by)
            if note:
                line = (self._texts.handover_line.replace("{from}", held_by or actor.username)
                        .replace("{to}", target.username).replace("{note}", note))
                await self._transcript.append(conversation_id, "system", line, kind="handover")
                await self._notes.add_handover(conversation_id, actor.username, target.username, note)
                await publish(self._redis, {"type": "note", "conversation_id": conversation_id})
            await self.tell(conversation_id, self.joined(target))
        return transition

    async def close(self, conversation_id: str, actor: Operator, outcome: str,
                    referral: dict[str, str] | None, wrap_up: dict[str, Any] | None = None) -> Transition:
        if outcome not in OUTCOMES:
            raise ValueError(f"outcome must be one of {', '.join(OUTCOMES)}")
        held_by = await self._overridden(conversation_id, actor)
        transition, case = await self._queue.close(conversation_id, actor.username, force=actor.supervisor)
        if not transition.ok:
            return transition
        now = self._clock()
        entries = await self._transcript.read(conversation_id, -FIRST_RESPONSE_LOOKED_AT, -1)
        await self._notes.record_handoff(conversation_id, {
            "closed_at": round(now, 3), "closed_by": actor.username, "operator": transition.operator or None,
            "outcome": outcome, "referral": referral, "risk": case.risk if case else None,
            "enqueued_at": case.enqueued_at if case else None,
            "claimed_at": (case.claimed_at or None) if case else None,
            "campaign": (case.campaign or None) if case else None,
            "first_response_seconds": first_response(entries, case.enqueued_at) if case else None,
            **(wrap_up or {}),
        })
        if self._retention is not None:
            await self._retention.close(conversation_id, outcome, at=now)
        day = keys.outcomes(vietnam_day(now))
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hincrby(day, outcome, 1)
            pipe.expire(day, OUTCOME_DAYS_KEPT * 24 * 3600)
            await pipe.execute()
        if outcome == "referred" and case is not None and case.campaign:
            await CampaignStore(self._redis).count(case.campaign, "referred", vietnam_day(now))
        referred = (referral or {}).get("entry_id") or ("free-text" if referral else None)
        await self._audit.record(actor.username, "close", conversation_id, outcome=outcome, referral=referred,
                                 was=transition.mode, held_by=held_by, tags=",".join((wrap_up or {}).get("tags", [])),
                                 follow_up=(wrap_up or {}).get("follow_up", False))
        await self.notice(conversation_id, "closed")
        self.spawn(self._rasa.reset_escalated(conversation_id))
        return transition

    async def reply(self, conversation_id: str, actor: Operator, text: str) -> bool | None:
        """Sends the operator's message; None when they do not hold the conversation, else whether it arrived."""
        if await self._queue.holder(conversation_id) != actor.username:
            return None
        delivered = await self._send(conversation_id, text, "operator")
        await self._audit.record(actor.username, "message", conversation_id, delivered=delivered)
        if delivered:
            await self._answered(conversation_id)
        return delivered

    async def _answered(self, conversation_id: str) -> None:
        """An operator's reply that reached the person is an answer for the conversation's campaign (counted once)."""
        try:
            case = await self._queue.case(conversation_id)
            if case is not None and case.campaign:
                await CampaignStore(self._redis).count_once(case.campaign, "answered", vietnam_day(self._clock()),
                                                            conversation_id, self._retention_seconds)
        except redis.RedisError as error:  # the reply went out: a lost count must not turn it into an error
            log.warning("campaign count failed metric=answered reason=%s", type(error).__name__)

    async def note(self, conversation_id: str, actor: Operator, text: str) -> dict[str, Any]:
        note = await self._notes.add(conversation_id, actor.username, text)
        await self._audit.record(actor.username, "note", conversation_id)
        await publish(self._redis, {"type": "note", "conversation_id": conversation_id})
        return note

    def joined(self, operator: Operator) -> str:
        if operator.alias:
            return self._texts.joined.replace("{alias}", operator.alias)
        return self._texts.joined_anonymous

    async def notice(self, conversation_id: str, name: str) -> bool:
        """Sends console/messages.yml `name` (closed, long_wait, nobody_online), the abroad variant when the
        conversation shows the person is abroad: their numbers then start with the consular line."""
        abroad = self._whereabouts is not None and await self._whereabouts.abroad(conversation_id)
        return await self.tell(conversation_id, self._texts.for_place(name, abroad))

    async def tell(self, conversation_id: str, text: str) -> bool:
        return await self._send(conversation_id, text, "bot")

    async def _send(self, conversation_id: str, text: str, author: Author) -> bool:
        try:
            # Anything said around a handoff tells a watcher the person reached a hotline: sensitive.
            return await self._sender.send(conversation_id, Outbound(text, sensitive=True), author=author)
        except (KeyError, ValueError):  # a channel this gateway does not run: nothing can reach the person
            log.error("no sender conversation=%s", log_id(conversation_id, self._log_key))
            return False

    def spawn(self, work: Any) -> None:
        task = asyncio.ensure_future(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def idle(self) -> None:
        """Waits for background work (Rasa slot resets) to finish."""
        while self._background:
            await asyncio.gather(*list(self._background), return_exceptions=True)
