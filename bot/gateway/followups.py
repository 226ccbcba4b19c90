"""The check-in after a referral: "Bạn đã liên hệ được với <tổ chức> chưa?", asked once, and its answer.

Asking (`FollowUpAsker`, a periodic tick in every gateway process; bot/state/followups.py claims each due follow-up
for one worker): the referral must still exist with the person's consent to a check-in. Then, in this order:

- an operator holds the conversation, it waits for one, a consent question is open or a turn is running: not now,
  postponed (`POSTPONE_HELD_SECONDS`, a turn `POSTPONE_BUSY_SECONDS`): the person is talking with someone, and a
  question from the bot in the middle would cut across it. Still held `GIVE_UP_HELD_SECONDS` after the due time:
  skipped (the operators had the conversation; they can ask themselves).
- Zalo: outside the 48-hour reply window Zalo refuses the message (bot/channels/reply_window.py): skipped.
- sent with three choices (buttons on Telegram, buttons or numbers on Zalo); a person who blocked the bot
  (Telegram 403), unfollowed the OA or cannot be reached otherwise: skipped.

A skip is written on the referral (`follow_up_skipped` and a history line with the reason in the operators'
words, content/vi/gateway/followup.yml), so the console shows why nobody asked.

Answering (`FollowUpAnswers`, from bot/gateway/dispatch.py before Rasa, in bot mode): a tapped choice (its payload
names the referral, and only codes handed to this conversation resolve), or the person's next message while the
question is open: "1", "2", "3", a short message naming one answer, with or without diacritics or in teencode, or
the question's own short answer as the whole message ("chưa", "rồi ạ").
Anything else goes to Rasa as usual and the question is dropped: nobody is trapped in it. "đã được giúp" and
"không cần nữa" are thanked and recorded; "chưa liên hệ được" puts the conversation back in the operators' queue
with the organisation named in its reason, and the person is told a human will help. A message while a human holds
the conversation drops the question too: the operator reads it and answers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import redis.asyncio

from bot.channels.reply_window import reply_window
from bot.content import load_content
from bot.content.followup import ANSWERS, Answer, FollowUpTexts, follow_up_texts
from bot.gateway.delivery import Delivery
from bot.messages import Button, Inbound, Outbound, channel_of
from bot.privacy import log_id
from bot.state import keys
from bot.state.directory import DirectoryStore
from bot.state.followups import FollowUp, FollowUpStore
from bot.state.organisations import OrganisationStore
from bot.state.queue import Case, HandoffQueue
from bot.state.referrals import CONSENT_ENDED, Referral, ReferralStore
from bot.state.transcript import Transcript
from nlu.conversation import ConversationRisk
from nlu.guard import clean_typed_text
from nlu.phrases import PhraseIndex, Syllables
from nlu.text import Table, normalise

log = logging.getLogger(__name__)
Clock = Callable[[], float]
PAYLOAD_PREFIX = "followup:"  # a choice's payload: followup:<referral id>:<answer> (the gateway's own, never Rasa's)
POSTPONE_HELD_SECONDS = 3600
POSTPONE_BUSY_SECONDS = 120
GIVE_UP_HELD_SECONDS = 7 * 24 * 3600
MAX_ANSWER_SYLLABLES = 12  # a longer message says more than an answer: it goes to Rasa
QUEUE_RISK = "medium"  # someone referred who could not reach help: ahead of the low-risk questions


def payload(referral_id: str, answer: Answer) -> str:
    return f"{PAYLOAD_PREFIX}{referral_id}:{answer}"


def parse_payload(value: str) -> tuple[str, Answer] | None:
    """(referral id, answer) of a follow-up choice's payload; None for any other payload."""
    if not value.startswith(PAYLOAD_PREFIX):
        return None
    referral_id, _, answer = value[len(PAYLOAD_PREFIX):].rpartition(":")
    found = next((item for item in ANSWERS if item == answer), None)
    return (referral_id, found) if referral_id and found is not None else None


class AnswerReader:
    """A typed answer to the open question: "1"-"3", or a short message naming exactly one answer."""

    def __init__(self, texts: FollowUpTexts, table: Table, risk: ConversationRisk):
        self._index: PhraseIndex[Answer] = PhraseIndex(
            (phrase, answer, False) for answer, item in texts.answers.items() for phrase in item.phrases)
        self._table = table
        self._risk = risk
        self._alone: dict[tuple[str, ...], Answer] = {
            Syllables.of(normalise(phrase, table)).folded: answer
            for answer, item in texts.answers.items() for phrase in item.alone}

    def answer(self, text: str) -> Answer | None:
        typed = clean_typed_text(text).strip()
        number = typed.rstrip(".)")
        if number.isascii() and number.isdigit():
            index = int(number) - 1
            return ANSWERS[index] if 0 <= index < len(ANSWERS) else None
        syllables = Syllables.of(normalise(typed, self._table))
        if not syllables.folded or len(syllables.folded) > MAX_ANSWER_SYLLABLES:
            return None
        if self._risk.of([typed]).level == "high":  # danger words are never taken for an answer: Rasa hears them
            return None
        if syllables.folded in self._alone:  # "chưa", "rồi ạ": the question's own short answers
            return self._alone[syllables.folded]
        found = {answer for _, _, answer in self._index.everywhere(syllables)}
        if found == {"helped", "not_needed"}:  # "được giúp rồi, không cần nữa": helped says more
            return "helped"
        return found.pop() if len(found) == 1 else None


class ReferralNotes:
    """What the follow-up reads of a referral and writes on it (bot/state/referrals.py)."""

    def __init__(self, referrals: ReferralStore, organisations: OrganisationStore, directory: DirectoryStore | None,
                 clock: Clock = time.time):
        self._referrals = referrals
        self._organisations = organisations
        self._directory = directory
        self._clock = clock

    async def wanted(self, referral_id: str, conversation_id: str) -> Referral | None:
        """The referral, while it still wants its check-in: same conversation, the person agreed, not yet answered."""
        referral = await self._referrals.get(referral_id)
        if referral is None or referral.conversation_id != conversation_id or referral.consent.check_in is not True \
                or referral.status in CONSENT_ENDED or referral.follow_up_answer:
            return None
        return referral

    async def name(self, referral: Referral) -> str:
        """The organisation as the person knows it: the partner organisation's name, else the directory entry's."""
        organisation = await self._organisations.get(referral.org_id) if referral.org_id else None
        if organisation is not None:
            return organisation.name
        record = await self._directory.get(referral.entry_id) if self._directory is not None else None
        return record.entry.name if record is not None else ""

    async def note(self, referral_id: str, event: str, note: str = "", actor: str = "system",
                   **values: Any) -> Referral | None:
        now = self._clock()
        return await self._referrals.update(referral_id, lambda referral: referral.changed(actor, event, now, note,
                                                                                           **values))


@dataclass(frozen=True)
class TickReport:
    asked: int = 0
    skipped: int = 0
    postponed: int = 0
    dropped: int = 0  # the referral is gone or no longer wants a check-in


class FollowUpAsker:
    def __init__(self, store: FollowUpStore, notes: ReferralNotes, senders: Mapping[str, Delivery],
                 queue: HandoffQueue, transcript: Transcript, texts: FollowUpTexts, client: redis.asyncio.Redis,
                 clock: Clock = time.time, log_key: str = ""):
        self._store = store
        self._notes = notes
        self._senders = senders
        self._queue = queue
        self._transcript = transcript
        self._texts = texts
        self._redis = client
        self._clock = clock
        self._log_key = log_key

    async def tick(self) -> TickReport:
        """Sends (or skips, or postpones) every follow-up due now that this worker claimed."""
        counts = {"asked": 0, "skipped": 0, "postponed": 0, "dropped": 0}
        for follow_up in await self._store.due(self._clock()):
            try:
                counts[await self._one(follow_up)] += 1
            except Exception as error:  # this one comes due again when its lease ends; the others go on
                log.warning("follow-up failed conversation=%s error=%s",
                            log_id(follow_up.conversation_id, self._log_key), type(error).__name__)
        return TickReport(**counts)

    async def run(self, interval: float, stopping: asyncio.Event) -> None:
        """Ticks every `interval` seconds until `stopping` is set."""
        while not stopping.is_set():
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(stopping.wait(), interval)
            if stopping.is_set():
                break
            try:
                report = await self.tick()
            except Exception as error:  # Redis away: the claimed ones come due again when their lease ends
                log.warning("follow-up tick failed: %s", type(error).__name__)
            else:
                if report != TickReport():
                    log.info("follow-ups asked=%d skipped=%d postponed=%d dropped=%d", report.asked, report.skipped,
                             report.postponed, report.dropped)

    async def _one(self, follow_up: FollowUp) -> str:
        conversation = follow_up.conversation_id
        who = log_id(conversation, self._log_key)
        referral = await self._notes.wanted(follow_up.referral_id, conversation)
        if referral is None:
            await self._store.done(follow_up)
            return "dropped"
        now = self._clock()
        busy = await self._busy(conversation)
        if busy is not None:
            if busy == "held" and now - follow_up.due_at > GIVE_UP_HELD_SECONDS:
                return await self._skip(follow_up, "held_too_long")
            await self._store.postpone(follow_up, now + (POSTPONE_HELD_SECONDS if busy == "held"
                                                         else POSTPONE_BUSY_SECONDS))
            log.info("follow-up postponed conversation=%s why=%s", who, busy)
            return "postponed"
        sender = self._senders.get(channel_of(conversation))
        if sender is None:
            return await self._skip(follow_up, "undeliverable")
        if sender.channel == "zalo":
            window = await reply_window(self._transcript, conversation)
            if window is None or not window.open(now):
                return await self._skip(follow_up, "zalo_window")
        name = await self._notes.name(referral)
        question = Outbound(self._texts.question.format(organisation=name or self._texts.unnamed),
                            tuple(Button(item.button, payload(referral.id, answer))
                                  for answer, item in self._texts.answers.items()))
        # Open before it is sent: an answer tapped at once must find it.
        await self._store.asked(follow_up, name)
        failure = await sender.attempt(conversation, question)
        if failure is not None:
            await self._store.take_asked(conversation)
            return await self._skip(follow_up, why_not_sent(failure))
        await self._notes.note(referral.id, "follow_up_asked")
        log.info("follow-up asked conversation=%s", who)
        return "asked"

    async def _busy(self, conversation: str) -> str | None:
        """Why the person should not be asked now: "held" (an operator holds the conversation or it waits for one),
        "busy" (a consent question is open, a turn is running), or None."""
        mode, consenting, turning = await asyncio.gather(
            self._queue.mode(conversation), self._redis.exists(keys.referral_pending(conversation)),
            self._redis.exists(keys.inbox_lock(conversation)))
        if mode != "bot":
            return "held"
        return "busy" if consenting or turning else None

    async def _skip(self, follow_up: FollowUp, reason: str) -> str:
        await self._store.done(follow_up)
        await self._notes.note(follow_up.referral_id, "follow_up_skipped", self._texts.skipped[reason],
                               follow_up_skipped=reason)
        log.info("follow-up skipped conversation=%s reason=%s", log_id(follow_up.conversation_id, self._log_key),
                 reason)
        return "skipped"


def why_not_sent(failure: str) -> str:
    """The skip reason for a delivery failure (bot/channels/telegram.py, zalo.py word them)."""
    lowered = failure.lower()
    if "blocked" in lowered:
        return "blocked"
    if failure == "unfollowed":
        return "unfollowed"
    if "-305" in lowered or "window" in lowered:
        return "zalo_window"
    return "undeliverable"


class FollowUpAnswers:
    """Reads the person's answer to the check-in before Rasa does (bot/gateway/dispatch.py)."""

    def __init__(self, store: FollowUpStore, notes: ReferralNotes, reader: AnswerReader, queue: HandoffQueue,
                 texts: FollowUpTexts, log_key: str = ""):
        self._store = store
        self._notes = notes
        self._reader = reader
        self._queue = queue
        self._texts = texts
        self._log_key = log_key

    async def drop(self, conversation_id: str) -> None:
        """The person wrote while a human holds the conversation: an open question is answered to them, not here."""
        await self._store.take_asked(conversation_id)

    async def handle(self, inbound: Inbound, button: Button | None, sender: Delivery,
                     recorded: asyncio.Future[Any]) -> bool:
        """True when the message answered a check-in (and was answered here: Rasa is not asked)."""
        conversation = inbound.conversation_id
        chosen = parse_payload(button.payload) if button is not None else None
        if button is not None and chosen is None:
            return False  # another button: the open question stays for the next message
        asked = await self._store.take_asked(conversation)  # whatever this message is, the question is closed now
        if chosen is not None:
            referral_id, answer = chosen
            organisation = asked.organisation if asked is not None and asked.referral_id == referral_id else None
        elif asked is None or inbound.location is not None or inbound.attachment or inbound.intent:
            return False
        else:
            found = self._reader.answer(inbound.text)
            if found is None:
                return False  # something else: Rasa answers it, and the question is dropped
            referral_id, answer, organisation = asked.referral_id, found, asked.organisation
        referral = await self._notes.note(referral_id, "follow_up_answered", self._texts.answers[answer].button,
                                          actor="person", follow_up_answer=answer)
        if referral is None or referral.conversation_id != conversation:
            return False  # the referral is gone (erased, expired): the message is an ordinary one
        if organisation is None:
            organisation = await self._notes.name(referral)
        await recorded  # the person's message is in the transcript before anything goes back
        log.info("follow-up answered conversation=%s answer=%s", log_id(conversation, self._log_key), answer)
        if answer == "not_reached":
            reason = self._texts.queue_reason.format(organisation=organisation or referral.entry_id)
            await self._queue.enqueue(Case(conversation, inbound.channel, QUEUE_RISK, (reason,), referral.summary,
                                           inbound.campaign or ""))
        await sender.send(conversation, Outbound(self._texts.answers[answer].reply))
        return True


@dataclass(frozen=True)
class FollowUpParts:
    asker: FollowUpAsker
    answers: FollowUpAnswers

    @classmethod
    def build(cls, content_dir: Path, store: FollowUpStore, notes: ReferralNotes, senders: Mapping[str, Delivery],
              queue: HandoffQueue, transcript: Transcript, risk: ConversationRisk, client: redis.asyncio.Redis,
              clock: Clock = time.time, log_key: str = "") -> FollowUpParts:
        texts = follow_up_texts(content_dir)
        content = load_content(content_dir)
        reader = AnswerReader(texts, Table.build(content.teencode.words, content.teencode.keep_doubles), risk)
        return cls(FollowUpAsker(store, notes, senders, queue, transcript, texts, client, clock, log_key),
                   FollowUpAnswers(store, notes, reader, queue, texts, log_key))
