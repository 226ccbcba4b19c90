"""The person's consent to a referral: the questions, one at a time, and reading the answers (bot/state/referrals.py).

The console proposes (bot/console/referrals.py calls `ask`); the bot asks whether the organisation may be told and
shows exactly the summary it would get; then whether the organisation may contact them (and how), whether the
transcript may go too (default no), and whether the bot may check in later. Buttons on Telegram and the web, the
same codes or numbered options on Zalo (bot/channels/buttons.py); a short typed "có", "dong y", "ok", "ko", "thôi"
answers too (content/vi/referrals.yml). The dispatcher asks `answer` first, before the conversation's mode decides
anything, because an operator usually holds the conversation: an answer is consumed here and never reaches Rasa.
Typed words are not an answer when they hold danger words (bot/gateway/dispatch.py), nor, once the conversation is
with the bot again, when the bot has said something since the question (`overtaken`): its buttons still answer it.
Each answer is a line in the transcript, so the operator sees it live. A "no" to the first question shares nothing,
and the person still gets the organisation's contact. Unanswered, the question expires (`expire`, run by the
console's sweep): nothing shared, and a button of it pressed later says so (`stale`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from bot.content.directory import entry_text
from bot.content.loader import Content
from bot.content.referrals import LONGEST_ANSWER_CHARS, LONGEST_ANSWER_WORDS, ReferralTexts
from bot.messages import Button, Inbound, Outbound, channel_of
from bot.privacy import log_id
from bot.state.directory import DirectoryStore
from bot.state.organisations import OrganisationStore
from bot.state.referrals import (
    ROUTE_MAX,
    FollowUpScheduler,
    Pending,
    Referral,
    ReferralStore,
    Step,
    next_step,
)
from bot.state.transcript import Author, Transcript

log = logging.getLogger(__name__)
OVERTAKEN_LOOK_BACK = 20  # the transcript's newest entries read for what the bot said after a question
PAYLOAD_PREFIX = "referral:"  # a consent button's payload: referral:<id>:<step>:yes|no
# A typed way to be reached: a phone number (six digits or more, spaces and dots allowed) or an @handle / address.
ROUTE = re.compile(r"(?:\d[\s.\-]?){6,}|@\w{3,}")
BUTTONS: Mapping[Step, tuple[str, str]] = {
    "share": ("share_yes", "share_no"), "contact": ("contact_here", "contact_no"),
    "transcript": ("transcript_yes", "transcript_no"), "check_in": ("check_in_yes", "check_in_no")}


class Sends(Protocol):
    """Sends to a conversation on its channel and records it in the transcript (`bot.gateway.delivery.Delivery`)."""

    async def send(self, conversation_id: str, message: Outbound, author: Author = "bot",
                   record: bool = True) -> bool: ...


def payload(referral_id: str, step: Step, yes: bool) -> str:
    return f"{PAYLOAD_PREFIX}{referral_id}:{step}:{'yes' if yes else 'no'}"


def read_payload(text: str) -> tuple[str, Step, bool] | None:
    if not text.startswith(PAYLOAD_PREFIX):
        return None
    parts = text[len(PAYLOAD_PREFIX):].split(":")
    if len(parts) != 3 or parts[2] not in ("yes", "no"):
        return None
    step = next((s for s in BUTTONS if s == parts[1]), None)
    return (parts[0], step, parts[2] == "yes") if step else None


@dataclass(frozen=True)
class Answer:
    """A message that answers a consent question; `pending` None: a button of a question no longer asked."""

    conversation_id: str
    pending: Pending | None
    yes: bool
    route: str = ""  # how the person wants to be reached, typed in answer to the contact question
    referral_id: str = ""  # a pressed button's referral


class ConsentDialogue:
    def __init__(self, referrals: ReferralStore, organisations: OrganisationStore, directory: DirectoryStore,
                 texts: ReferralTexts, content: Content, transcript: Transcript, senders: Mapping[str, Sends],
                 follow_ups: FollowUpScheduler | None = None, log_key: str = ""):
        self.referrals = referrals
        self.organisations = organisations
        self._directory = directory
        self._texts = texts
        self._content = content
        self._transcript = transcript
        self._senders = senders
        self.follow_ups = follow_ups  # the follow-up feature's; None: a "yes" to checking in is only recorded
        self._log_key = log_key

    async def _org_name(self, referral: Referral) -> str:
        org = await self.organisations.get(referral.org_id)
        return org.name if org else referral.org_id

    async def _contact(self, referral: Referral) -> str:
        record = await self._directory.get(referral.entry_id)
        if record is None:
            return ""
        content = self._content
        return entry_text(record.entry, content.dialogue.entry_lines, content.service_labels)

    def _question(self, referral: Referral, step: Step, org: str) -> Outbound:
        text = {"share": self._texts.ask_share, "contact": self._texts.ask_contact,
                "transcript": self._texts.ask_transcript, "check_in": self._texts.ask_check_in}[step]
        yes, no = BUTTONS[step]
        buttons = (Button(self._texts.buttons[yes], payload(referral.id, step, True)),
                   Button(self._texts.buttons[no], payload(referral.id, step, False)))
        # Sensitive: a watcher who reads "báo cho Trung tâm …" learns the person asked for help.
        return Outbound(text.replace("{org}", org).replace("{summary}", referral.summary), buttons, sensitive=True)

    async def _send(self, conversation_id: str, message: Outbound) -> bool:
        try:
            sender = self._senders[channel_of(conversation_id)]
        except (KeyError, ValueError):  # a channel this gateway does not run
            log.error("no sender for a consent question conversation=%s", log_id(conversation_id, self._log_key))
            return False
        return await sender.send(conversation_id, message, author="bot")

    async def ask(self, referral: Referral) -> bool:
        """Sends the first question of a referral just stored as `proposed`; True when it reached the person."""
        return await self._send(referral.conversation_id, self._question(referral, "share",
                                                                          await self._org_name(referral)))

    async def _line(self, referral: Referral, name: str) -> None:
        text = self._texts.lines[name].replace("{org}", await self._org_name(referral))
        await self._transcript.append(referral.conversation_id, "system", text, kind="referral")

    async def match(self, inbound: Inbound, button: Button | None) -> Answer | None:
        """The message read as an answer to the conversation's consent question, or None (it goes on as usual).
        Writes nothing; Redis is asked only for a consent button or a short message (or one with a phone number)."""
        if button is not None:
            pressed = read_payload(button.payload)
            if pressed is None:
                return None
            referral_id, step, yes = pressed
            pending = await self.referrals.pending(inbound.conversation_id)
            current = pending is not None and pending.referral_id == referral_id and pending.step == step
            # An old question's button (answered already, or expired) is consumed and does nothing.
            return Answer(inbound.conversation_id, pending if current else None, yes, referral_id=referral_id)
        if not inbound.text.strip() or inbound.location is not None or inbound.attachment or inbound.intent:
            return None
        text = inbound.text
        # Cheap checks first, then Redis, and only then the reading itself (normalising costs most of the time):
        # most messages are not short, and most conversations wait on no question.
        routed = len(text) <= ROUTE_MAX and ROUTE.search(text) is not None
        if not routed and (len(text) > LONGEST_ANSWER_CHARS or len(text.split()) > LONGEST_ANSWER_WORDS):
            return None
        pending = await self.referrals.pending(inbound.conversation_id)
        if pending is None:
            return None
        said = self._texts.answer(text)
        if said is None and routed and pending.step == "contact":
            return Answer(inbound.conversation_id, pending, True, " ".join(text.split()))  # how to reach them
        return None if said is None else Answer(inbound.conversation_id, pending, said)

    async def overtaken(self, answer: Answer) -> bool:
        """The bot said something else after the question (the conversation went back to it, Rasa asked its own
        question): a typed "có" or "ko" may answer that, not the consent question. Buttons still answer it."""
        pending = answer.pending
        if pending is None or not pending.asked_at:
            return False
        since = [entry for entry in await self._transcript.read(answer.conversation_id, -OVERTAKEN_LOOK_BACK, -1)
                 if entry.get("from") == "bot" and float(entry.get("at") or 0) >= pending.asked_at]
        return len(since) > 1  # the question itself, and something after it

    async def apply(self, answer: Answer) -> None:
        """Records the answer and asks the next question (or says what happens now)."""
        if answer.pending is not None:
            await self._answered(answer.conversation_id, answer.pending, answer.yes, answer.route)
        elif answer.referral_id:
            await self._stale(answer.conversation_id, answer.referral_id)

    async def _stale(self, conversation_id: str, referral_id: str) -> None:
        """A button of a question no longer asked. Answered already (a second tap): nothing more to say. Expired or
        erased: the person is told nothing was shared, rather than met with silence."""
        referral = await self.referrals.get(referral_id)
        if referral is not None and referral.conversation_id == conversation_id and referral.status != "expired":
            return
        await self._send(conversation_id, Outbound(self._texts.stale, sensitive=True))

    async def _answered(self, conversation_id: str, pending: Pending, yes: bool, route: str) -> None:
        step = pending.step
        referral = await self.referrals.answer(pending.referral_id, step, yes, route)
        if referral is None:  # gone (erased) or expired meanwhile
            await self.referrals.done_asking(conversation_id)
            return
        log.info("referral consent conversation=%s step=%s answer=%s", log_id(conversation_id, self._log_key), step,
                 "yes" if yes else "no")
        await self._line(referral, ("sent" if yes else "refused") if step == "share"
                         else f"{step}_{'yes' if yes else 'no'}")
        if step == "check_in" and yes and self.follow_ups is not None and referral.follow_up_due_at is not None:
            await self.follow_ups.schedule(referral.id, conversation_id, referral.follow_up_due_at)
        org = await self._org_name(referral)
        following = next_step(step) if referral.shared else None
        if following is not None:
            await self.referrals.ask(conversation_id, referral.id, following)
            await self._send(conversation_id, self._question(referral, following, org))
            return
        await self.referrals.done_asking(conversation_id)
        text = self._texts.sent if referral.shared else self._texts.refused
        await self._send(conversation_id, Outbound(text.replace("{org}", org)
                                                   .replace("{contact}", await self._contact(referral)),
                                                   sensitive=True))

    async def expire(self) -> list[Referral]:
        """Questions left unanswered past CAUNOI_REFERRAL_CONSENT_HOURS: `expired`, nothing shared, and a line for the
        operator. The person is not written to: an unprompted message could reach a watched phone."""
        expired = await self.referrals.expire_due()
        for referral in expired:
            await self._line(referral, "expired")
        return expired
