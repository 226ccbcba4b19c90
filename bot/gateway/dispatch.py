"""Runs one inbound message: transcript, handoff state, the bot (or not), and the answers on the person's channel.

The order of the steps is the design's data flow: record what the person wrote (nothing is ever lost), then ask
Redis who holds the conversation. An answer to a referral's consent question (bot/gateway/referrals.py) is taken
first, whoever holds the conversation (typed danger words are never an answer). `bot` → Rasa; `waiting` / `human` →
the operator sees it in the transcript and the bot stays quiet, except that danger words while `waiting` get the
emergency numbers at once.

Slow is not down. A turn Rasa has not answered after `holding_after` seconds gets one holding message with the safety
numbers (once an hour per conversation) and goes on waiting for Rasa's answer; only a high-risk message goes to the
operators then. A conversation goes to the queue as "bot unavailable" only when Rasa really fails: refused, an
error, or no answer within the Rasa timeout (which starts when the turn is admitted, bot/gateway/rasa_client.py).
The person then gets the emergency numbers and a place in the human queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import redis.asyncio

from bot.channels.base import Acknowledges, CleansChat, ShowsTyping
from bot.channels.buttons import ButtonMap, is_code
from bot.channels.notices import Notes
from bot.channels.splitting import join_replies
from bot.content import load_content
from bot.content.console import console_texts
from bot.gateway.answered import Answered
from bot.gateway.attachments import Attachments
from bot.gateway.delivery import Delivery
from bot.gateway.followups import FollowUpAnswers
from bot.gateway.rasa_client import RasaClient, RasaUnavailable, Turn
from bot.gateway.referrals import Answer as ConsentAnswer
from bot.gateway.referrals import ConsentDialogue
from bot.messages import Button, Inbound, Outbound
from bot.outreach.typed_code import may_be_typed_code, with_typed_campaign
from bot.privacy import log_id
from bot.state import keys
from bot.state.deadletters import DeadLetters
from bot.state.erase import erase
from bot.state.queue import RISK_ORDER, Case, HandoffQueue, Mode
from bot.state.transcript import Transcript, label
from bot.state.whereabouts import Whereabouts
from nlu.conversation import ConversationRisk
from nlu.guard import clean_typed_text
from nlu.phrases import PhraseIndex, Syllables
from nlu.text import Table, normalise

log = logging.getLogger(__name__)
BOT_UNAVAILABLE = "Bot không trả lời (bot unavailable)"
EMERGENCY_REPEAT_SECONDS = 600  # danger words again within 10 minutes: the numbers were just sent
PRIVATE_ONLY_REPEAT_SECONDS = 30 * 24 * 3600
TYPING_EVERY_SECONDS = 4.0  # Telegram shows "typing" for 5 s
TYPING_AFTER_SECONDS = 0.8  # most turns answer sooner: no Bot API call for an indicator nobody would see
HOLDING_AFTER_SECONDS = 5.0
HOLDING_REPEAT_SECONDS = 3600  # one holding message an hour per conversation, however slow the turns


def rasa_message(inbound: Inbound, button: Button | None = None) -> str:
    """The text Rasa receives: a pressed button's or the gateway's own payload verbatim, typed text cleaned."""
    if button is not None:
        return button.payload
    if inbound.intent:
        return inbound.intent if inbound.intent.startswith("/") else f"/{inbound.intent}"
    if inbound.location is not None:
        return "/inform_location"
    return clean_typed_text(inbound.text)


def rasa_metadata(inbound: Inbound) -> dict[str, Any]:
    metadata: dict[str, Any] = {"channel": inbound.channel}
    if inbound.campaign:
        metadata["campaign"] = inbound.campaign
    if inbound.location is not None:
        metadata["location"] = {"latitude": inbound.location.latitude, "longitude": inbound.location.longitude}
    return metadata


class Withdrawal:
    """"thôi không cần nữa" while waiting: the person leaves the queue (phrases in content/vi/dialogue.yml)."""

    def __init__(self, content_dir: Path):
        content = load_content(content_dir)
        self._index: PhraseIndex[bool] = PhraseIndex((p, True, False) for p in content.dialogue.withdraw)
        self._table = Table.build(content.teencode.words, content.teencode.keep_doubles)
        self.reply = console_texts(content_dir).withdrawn

    def asked(self, text: str) -> bool:
        return any(True for _ in self._index.everywhere(Syllables.of(normalise(text, self._table))))


@functools.lru_cache(maxsize=4)
def withdrawal(content_dir: Path) -> Withdrawal:
    return Withdrawal(content_dir)


@functools.lru_cache(maxsize=4)
def risk_reader(content_dir: Path) -> ConversationRisk:
    """nlu's triage on raw text, without Rasa (danger while waiting, the degraded path); one per content folder and
    process: building the phrase index takes most of a second."""
    content = load_content(content_dir)
    return ConversationRisk(content.triage, content.teencode)


class Dispatcher:
    def __init__(self, rasa: RasaClient, senders: Mapping[str, Delivery], notes: Notes, *,
                 client: redis.asyncio.Redis, queue: HandoffQueue, transcript: Transcript, buttons: ButtonMap,
                 risk: ConversationRisk, dead_letters: DeadLetters | None = None, log_key: str = "",
                 withdrawal: Withdrawal | None = None, whereabouts: Whereabouts | None = None,
                 attachments: Attachments | None = None,
                 typing_every: float = TYPING_EVERY_SECONDS, typing_after: float = TYPING_AFTER_SECONDS,
                 holding_after: float = HOLDING_AFTER_SECONDS, answered: Answered | None = None,
                 follow_ups: FollowUpAnswers | None = None, consent: ConsentDialogue | None = None):
        self._rasa = rasa
        self._senders = senders
        self._notes = notes
        self._redis = client
        self._queue = queue
        self._transcript = transcript
        self._buttons = buttons
        self._risk = risk
        self._withdrawal = withdrawal
        self._whereabouts = whereabouts
        self._attachments = attachments
        self._dead = dead_letters
        self._log_key = log_key
        self._typing_every = typing_every
        self._typing_after = typing_after
        self._holding_after = holding_after
        self._answered = answered
        self._follow_ups = follow_ups
        self._consent = consent  # referrals' consent questions (bot/gateway/referrals.py)
        self._locks: dict[str, asyncio.Lock] = {}

    @asynccontextmanager
    async def _one_at_a_time(self, conversation_id: str) -> AsyncIterator[None]:
        # The inbox already serialises a conversation across workers; this covers direct calls (the web channel).
        lock = self._locks.setdefault(conversation_id, asyncio.Lock())
        try:
            async with lock:
                yield
        finally:
            if not lock.locked() and self._locks.get(conversation_id) is lock:
                del self._locks[conversation_id]

    async def handle(self, inbound: Inbound) -> None:
        """Runs one message."""
        async with self._one_at_a_time(inbound.conversation_id):
            await self._handle(inbound)

    async def _handle(self, inbound: Inbound) -> None:
        sender = self._senders[inbound.channel]
        conversation = inbound.conversation_id
        if inbound.ack and isinstance(sender.transport, Acknowledges):
            await sender.transport.acknowledge(inbound.ack)
        if inbound.event == "not_private":
            if await self._first_time(conversation, "private_only", PRIVATE_ONLY_REPEAT_SECONDS):
                await sender.send(conversation, Outbound(self._notes.private_only), record=False)
            return
        button: Button | None = None
        if inbound.button:
            button = await self._buttons.resolve(conversation, inbound.button)
            if button is None:
                await self._received(inbound, sender)
                await self._transcript.append(conversation, "person", label("button", "(nút cũ)"), "button")
                await sender.send(conversation, Outbound(self._notes.button_expired))
                return
        # Any typed message ends an offer of numbered choices, whoever holds the conversation; on Zalo a tapped
        # button comes back as a typed message too (its code), and is read here.
        choosing = sender.transport.numbered_choices and button is None and not inbound.intent \
            and inbound.location is None
        # Who holds the conversation, read as the turn starts: an operator's claim a moment later is the next turn's.
        mode: Mode
        if choosing:
            mode, taken = await asyncio.gather(self._queue.mode(conversation),
                                               self._buttons.take(conversation, inbound.text))
        else:
            mode, taken = await self._queue.mode(conversation), None
        # The person's message goes into the transcript while Rasa works on it: the inbox keeps the message until
        # the turn is over (nothing is lost), and it is recorded before anything is sent back (the operator reads
        # the conversation in order). Started only now, the recording runs once the request to Rasa has left.
        # A tapped Zalo button is recorded as the button it is; a typed number stays what the person typed.
        tapped = taken if taken is not None and is_code(inbound.text) else None
        kept = self._attachments.kept(inbound, mode) if self._attachments is not None else None
        recorded = asyncio.ensure_future(asyncio.gather(self._received(inbound, sender),
                                                        self._record(inbound, button or tapped, kept)))
        try:
            consent = await self._consent_answer(inbound, button or taken, mode)
            if consent is not None and self._consent is not None:
                await recorded
                await self._consent.apply(consent)
            else:
                await self._respond(inbound, sender, button or taken, mode, recorded)
        except BaseException:
            await asyncio.wait({recorded})  # never left running; the turn's own failure is the one to report
            if not recorded.cancelled():
                recorded.exception()
            raise
        await recorded  # a failed write fails the turn: the inbox tries the message again

    async def _respond(self, inbound: Inbound, sender: Delivery, button: Button | None, mode: Mode,
                       recorded: asyncio.Future[Any]) -> None:
        """Everything after the message is read; `recorded` is its transcript entry, awaited before any answer."""
        conversation = inbound.conversation_id
        if not (mode == "bot" and not inbound.attachment and inbound.event != "location_unreadable"):
            await recorded  # not a plain turn for Rasa: answered at once
        metadata: dict[str, Any] = {}
        if inbound.attachment and mode == "bot" and self._attachments is not None:
            ask = await self._attachments.in_bot_mode(inbound, sender)  # bot/gateway/attachments.py
            if ask is None:
                return
            inbound, metadata = ask.inbound, ask.metadata
        elif inbound.attachment and self._attachments is not None:
            await self._attachments.in_handoff(inbound, sender)  # kept for the operator
        elif inbound.attachment:
            await sender.send(conversation, Outbound(self._notes.text_only))
            if not inbound.text.strip():
                return  # a caption, if any, is read like any text
        if mode != "bot":
            log.info("held conversation=%s mode=%s", log_id(conversation, self._log_key), mode)
            if self._follow_ups is not None:  # a check-in's question is for the bot's next turn only: the human has it
                await self._follow_ups.drop(conversation)
            typed = clean_typed_text(inbound.text)
            danger = mode == "waiting" and bool(typed) and self._risk.of([typed]).level == "high"
            if danger and await self._first_time(conversation, "emergency", EMERGENCY_REPEAT_SECONDS):
                emergency = self._notes.emergency_abroad if await self._abroad(inbound) else self._notes.emergency
                await sender.send(conversation, Outbound(emergency, sensitive=True))
            elif mode == "waiting" and not danger and self._withdrawal is not None \
                    and self._withdrawal.asked(inbound.text) and await self._queue.withdraw(conversation):
                log.info("withdrawn conversation=%s", log_id(conversation, self._log_key))
                await sender.send(conversation, Outbound(self._withdrawal.reply))
            return
        if inbound.event == "location_unreadable":
            await sender.send(conversation, Outbound(self._notes.location_unreadable))
            return
        # The answer to a check-in after a referral ("đã được giúp", a tapped choice) is the gateway's, not Rasa's.
        if self._follow_ups is not None and await self._follow_ups.handle(inbound, button, sender, recorded):
            return
        if button is None and may_be_typed_code(inbound):  # Zalo: a campaign's code typed as the first message
            await recorded  # it looks for the message in the transcript
            inbound = await with_typed_campaign(self._redis, self._transcript, inbound)
        text = rasa_message(inbound, button)
        if not text:
            await recorded
            await sender.send(conversation, Outbound(self._notes.empty))
            return
        once = self._answered if inbound.message_id else None
        if once is not None and await once.already(conversation, inbound.message_id):
            await recorded  # a replayed turn whose replies went out: Rasa is not asked again
            log.info("already answered conversation=%s", log_id(conversation, self._log_key))
            return
        ahead = sender.take_slot(conversation)  # the first reply's place in the rate limits, taken while Rasa thinks
        turn = await self._ask_rasa(inbound, text, sender, recorded, metadata)
        await recorded
        if once is not None and not await once.claim(conversation, inbound.message_id):
            log.warning("answered by another run conversation=%s", log_id(conversation, self._log_key))
            return
        await sender.send_all(conversation, join_replies(turn.replies), ahead=ahead)
        if turn.erase:  # the delete action said so; Rasa has saved the tracker for this turn (bot/state/erase.py)
            await self._erase(conversation, sender)

    async def _erase(self, conversation: str, sender: Delivery) -> None:
        chat = sender.transport if isinstance(sender.transport, CleansChat) else None
        noted = await chat.deletable(conversation) if chat is not None else []  # the erase removes the record
        await erase(self._redis, conversation)
        if self._dead is not None:
            await self._dead.forget_conversation(conversation)
        log.info("erased conversation=%s", log_id(conversation, self._log_key))
        note = await chat.clean(conversation, noted) if chat is not None else None
        if note:  # not recorded: the transcript was just erased
            await sender.send(conversation, Outbound(note), record=False)

    @staticmethod
    async def _received(inbound: Inbound, sender: Delivery) -> None:
        if isinstance(sender.transport, CleansChat):
            await sender.transport.received(inbound)

    async def _record(self, inbound: Inbound, button: Button | None, attachment: str | None = None) -> None:
        if button is not None:
            kind, text = "button", button.title
        elif inbound.location is not None:
            kind, text = "location", f"{inbound.location.latitude:.5f}, {inbound.location.longitude:.5f}"
        elif inbound.attachment:
            kind, text = inbound.attachment, inbound.text
        elif inbound.intent:
            kind, text = "command", inbound.text or inbound.intent
        else:
            kind, text = "text", inbound.text
        await self._transcript.append(inbound.conversation_id, "person", label(kind, text) if kind != "command"
                                      else text, kind, at=inbound.received_at, attachment=attachment)

    async def _consent_answer(self, inbound: Inbound, pressed: Button | None, mode: Mode) -> ConsentAnswer | None:
        """An answer to a referral's consent question, whoever holds the conversation (usually an operator)."""
        answer = await self._consent.match(inbound, pressed) if self._consent is not None else None
        if answer is None or pressed is not None or self._consent is None:
            return answer  # a pressed button always answers its own question
        if self._risk.of([clean_typed_text(inbound.text)]).level == "high":
            return None  # "ko, cứu tôi với" is danger, not a "no": it goes on as usual (Rasa, the numbers)
        if mode == "bot" and await self._consent.overtaken(answer):
            return None  # with the bot again, and it asked something since: a typed "có" answers the bot
        return answer

    async def _ask_rasa(self, inbound: Inbound, text: str, sender: Delivery, recorded: asyncio.Future[Any],
                        metadata: Mapping[str, Any] | None = None) -> Turn:
        conversation = inbound.conversation_id
        started = time.perf_counter()
        asking = asyncio.ensure_future(self._rasa.send(conversation, text, inbound.channel,
                                                       {**rasa_metadata(inbound), **(metadata or {})}))
        try:
            # "Typing" until the holding message: after it the person knows to wait, and a turn waiting behind
            # others (admission) must not keep costing a Bot API call every few seconds (docs/scaling.md).
            async with self._typing(sender, conversation):
                done, _ = await asyncio.wait({asking}, timeout=self._holding_after)
            if not done:  # slow, not down: hold on, and keep waiting for Rasa's answer
                await self._hold(inbound, sender, recorded)
            turn = await asking
        except RasaUnavailable as error:
            log.warning("rasa unavailable conversation=%s reason=%s", log_id(conversation, self._log_key), error)
            await self._escalate(inbound)
            degraded = self._notes.degraded_abroad if await self._abroad(inbound) else self._notes.degraded
            return Turn([Outbound(degraded, sensitive=True)])
        finally:
            if not asking.done():  # the turn itself was cancelled (shutdown): so is its Rasa call
                asking.cancel()
        intent = text.split("{", 1)[0] if text.startswith("/") else "text"
        log.info("turn conversation=%s channel=%s input=%s replies=%d ms=%.1f", log_id(conversation, self._log_key),
                 inbound.channel, intent, len(turn.replies), (time.perf_counter() - started) * 1000)
        return turn

    async def _hold(self, inbound: Inbound, sender: Delivery, recorded: asyncio.Future[Any]) -> None:
        """Rasa is slow on this turn: the holding message (once an hour), and a high-risk message to the operators
        at once rather than after the wait."""
        conversation = inbound.conversation_id
        await recorded  # the person's message is in the transcript before anything sent back
        high = bool(inbound.text) and self._risk.of([clean_typed_text(inbound.text)]).level == "high"
        log.warning("rasa slow conversation=%s high_risk=%s", log_id(conversation, self._log_key), high)
        if high:
            await self._escalate(inbound)
        if await self._first_time(conversation, "holding", HOLDING_REPEAT_SECONDS):
            holding = self._notes.holding_abroad if await self._abroad(inbound) else self._notes.holding
            await sender.send(conversation, Outbound(holding, sensitive=True))

    async def _abroad(self, inbound: Inbound) -> bool:
        """The conversation shows the person is abroad: the gateway's own numbers start with the consular line."""
        return self._whereabouts is not None and await self._whereabouts.abroad(inbound.conversation_id, inbound)

    async def _escalate(self, inbound: Inbound) -> None:
        risk = self._risk.of([clean_typed_text(inbound.text)]) if inbound.text else None
        level = risk.level if risk is not None else "none"
        level = level if RISK_ORDER.index(level) >= RISK_ORDER.index("medium") else "medium"
        reasons = (BOT_UNAVAILABLE, *(risk.reasons if risk is not None else ()))
        urgent = risk is not None and bool(risk.indicators & self._risk.triage.urgent)  # self-harm, medical
        place = await self._queue.enqueue(Case(inbound.conversation_id, inbound.channel, level, reasons, "",
                                               inbound.campaign or "", urgent=urgent))
        log.warning("queued for a human conversation=%s risk=%s place=%s",
                    log_id(inbound.conversation_id, self._log_key), level, place)

    @asynccontextmanager
    async def _typing(self, sender: Delivery, conversation_id: str) -> AsyncIterator[None]:
        transport = sender.transport
        if not isinstance(transport, ShowsTyping):
            yield
            return
        # Timers, not a task: most turns end before the first one fires, and then cost nothing but its cancel.
        loop = asyncio.get_running_loop()
        calls: list[asyncio.Task[None]] = []

        async def indicate() -> None:
            with contextlib.suppress(Exception):  # best effort: a lost indicator must not cost the turn
                await transport.typing(conversation_id)

        def tick() -> None:
            calls.append(asyncio.create_task(indicate()))
            timer[0] = loop.call_later(self._typing_every, tick)

        timer = [loop.call_later(self._typing_after, tick)]
        try:
            yield
        finally:
            timer[0].cancel()
            on_the_way = [call for call in calls if not call.done()]
            if on_the_way:  # an indicator must not reach the chat after the answer
                await asyncio.wait(on_the_way, timeout=5.0)

    async def _first_time(self, conversation_id: str, note: str, seconds: int) -> bool:
        return bool(await self._redis.set(keys.noted(conversation_id, note), "1", nx=True, ex=seconds))
