"""Delivery to one channel with the same guarantees everywhere: rate limits, bounded retries, dead letters, transcript.

Every part of a message waits for the channel's rate limits (shared by all workers through Redis), then is posted.
A platform's "slow down" (Telegram 429 with retry_after, Zalo -32) waits as asked; timeouts, 5xx and connection
errors are retried with exponential backoff; after the last attempt the message goes to the dead-letter list with
the conversation, channel, time and reason. A person the platform will not reach (blocked bot, closed reply window,
unfollowed) gets no retries: the message is kept as undeliverable. Either way the transcript records it.

A part's slot is taken while the part before it is on its way, and the first part's may be taken before the
message exists (`take_slot`, while Rasa thinks): the limits' round trip then adds nothing to a reply's way out.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

import redis.asyncio

from bot.channels.base import (
    DeliveryError,
    PermanentFailure,
    RetryLater,
    TemporaryFailure,
    Transport,
    Undeliverable,
)
from bot.messages import Outbound
from bot.privacy import log_id
from bot.state import keys
from bot.state.deadletters import DeadLetters
from bot.state.ratelimit import Rate, RateLimiter, Reservation
from bot.state.transcript import Author, Entry, Transcript

log = logging.getLogger(__name__)
Sleep = Callable[[float], Awaitable[None]]
Slot = asyncio.Future[Reservation]


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 5  # posts of one part in all, the first included
    base_delay: float = 0.5
    max_delay: float = 20.0
    max_retry_after: float = 120.0  # a platform asking for a longer pause gets the message dead-lettered

    def backoff(self, attempt: int) -> float:
        """Delay before attempt `attempt + 1` (attempt counts from 1): exponential, with jitter, bounded."""
        delay: float = min(self.max_delay, self.base_delay * 2 ** (attempt - 1))
        return delay * random.uniform(0.75, 1.0)


@dataclass(frozen=True)
class Limits:
    overall: Rate
    per_conversation: Rate


class Delivery:
    """A `Sender` for one channel."""

    def __init__(self, transport: Transport, client: redis.asyncio.Redis, limiter: RateLimiter | None,
                 limits: Limits | None, transcript: Transcript, dead_letters: DeadLetters,
                 policy: RetryPolicy = RetryPolicy(), sleep: Sleep = asyncio.sleep, log_key: str = ""):
        self.transport = transport
        self.channel = transport.channel
        self._redis = client
        self._limiter = limiter
        self._limits = limits
        self._transcript = transcript
        self._dead = dead_letters
        self._policy = policy
        self._sleep = sleep
        self._log_key = log_key

    async def send(self, conversation_id: str, message: Outbound, author: Author = "bot",
                   record: bool = True) -> bool:
        """Delivers every part of `message`; True when all went out. Never raises for a delivery failure."""
        return await self.send_all(conversation_id, [message], author, record)

    def take_slot(self, conversation_id: str) -> Slot | None:
        """Starts taking the conversation's next slot of the limits now, to pass to `send_all` as `ahead`; None
        when the channel has no limits. A slot never used costs one place in the limits, nothing else."""
        if self._limiter is None or self._limits is None:
            return None
        slot = asyncio.ensure_future(self._limiter.take(self._slot_limits(conversation_id)))
        slot.add_done_callback(_retrieve)
        return slot

    async def send_all(self, conversation_id: str, messages: Sequence[Outbound], author: Author = "bot",
                       record: bool = True, ahead: Slot | None = None) -> bool:
        """Delivers the messages in order (each one is tried, whatever happened to the one before), then writes
        them to the transcript in one go: a turn's second message does not wait for the first one's bookkeeping.
        `ahead`: the first part's slot, from `take_slot`. True when all went out. Never raises for a delivery
        failure."""
        return not any(await self._send_all(conversation_id, messages, author, record, ahead))

    async def attempt(self, conversation_id: str, message: Outbound, author: Author = "bot") -> str | None:
        """As `send`, saying why the message did not go out ("unfollowed", the platform's reason); None when it did."""
        return (await self._send_all(conversation_id, [message], author, True, None))[0]

    async def _send_all(self, conversation_id: str, messages: Sequence[Outbound], author: Author, record: bool,
                        ahead: Slot | None) -> list[str | None]:
        stopped = bool(messages) and self.transport.unfollows \
            and bool(await self._redis.exists(keys.stopped(conversation_id)))
        failures: list[str | None] = ["unfollowed"] * len(messages) if stopped \
            else await self._deliver_all(conversation_id, messages, ahead)
        if record and messages:
            await self._transcript.append_many(conversation_id, [
                Entry(author, _transcript_text(message), undeliverable=failure)
                for message, failure in zip(messages, failures, strict=True)])
        return failures

    async def _deliver_all(self, conversation_id: str, messages: Sequence[Outbound],
                           ahead: Slot | None) -> list[str | None]:
        """Each message's parts in order, a message stopping at its first part that does not go out; per message
        the reason, or None."""
        pieces = [self.transport.parts(message) for message in messages]
        failures: list[str | None] = []
        for index, parts in enumerate(pieces):
            failure = None
            for number, part in enumerate(parts):
                following = number + 1 < len(parts) or index + 1 < len(pieces)
                failure, ahead = await self._deliver(conversation_id, part, ahead, following)
                if failure:
                    break
            failures.append(failure)
        return failures

    async def _deliver(self, conversation_id: str, part: Outbound, ahead: Slot | None,
                       following: bool) -> tuple[str | None, Slot | None]:
        """Posts one part with limits and retries: (None when delivered, else the reason it was not; when
        `following`, the next part's slot, taken while this one was on its way)."""
        who = log_id(conversation_id, self._log_key)
        upcoming: Slot | None = None
        attempt = 0
        while True:
            attempt += 1
            await self._wait_for_slot(conversation_id, ahead if attempt == 1 else None)
            if following and upcoming is None:  # taken after this part's slot: the order of the two holds
                upcoming = self.take_slot(conversation_id)
            try:
                await self.transport.post(conversation_id, part)
                return None, upcoming
            except RetryLater as error:
                delay = error.seconds if error.seconds is not None else max(1.0, self._policy.backoff(attempt))
                if delay > self._policy.max_retry_after:
                    return await self._give_up(conversation_id, part,
                                               f"{error.reason}: asked to wait {delay:.0f} s"), upcoming
                retry_error: DeliveryError = error
            except TemporaryFailure as error:
                delay = self._policy.backoff(attempt)
                retry_error = error
            except Undeliverable as error:
                log.warning("undeliverable channel=%s conversation=%s reason=%s", self.channel, who, error.reason)
                await self._dead.add(conversation_id, self.channel, f"undeliverable: {error.reason}", part.text)
                return error.reason, upcoming
            except PermanentFailure as error:
                return await self._give_up(conversation_id, part, error.reason), upcoming
            if attempt >= self._policy.attempts:
                return await self._give_up(conversation_id, part,
                                           f"{retry_error.reason} (after {attempt} attempts)"), upcoming
            log.info("retry channel=%s conversation=%s attempt=%d reason=%s wait=%.2f", self.channel, who, attempt,
                     retry_error.reason, delay)
            await self._sleep(delay)

    def _slot_limits(self, conversation_id: str) -> list[tuple[str, Rate]]:
        assert self._limits is not None
        return [(self.channel, self._limits.overall),
                (f"{self.channel}:{conversation_id}", self._limits.per_conversation)]

    async def _wait_for_slot(self, conversation_id: str, ahead: Slot | None) -> None:
        """Waits for a slot: the one taken ahead if it still counts, else a new one (retries always take one)."""
        if self._limiter is None or self._limits is None:
            return
        if ahead is not None:
            try:
                reservation = await ahead
            except Exception:  # as if not taken: the new one below fails the same way if Redis is away
                reservation = None
            if reservation is not None and self._limiter.fresh(reservation):
                await self._limiter.use(reservation)
                return
        await self._limiter.wait(self._slot_limits(conversation_id))

    async def _give_up(self, conversation_id: str, part: Outbound, reason: str) -> str:
        log.error("dead letter channel=%s conversation=%s reason=%s", self.channel,
                  log_id(conversation_id, self._log_key), reason)
        await self._dead.add(conversation_id, self.channel, reason, part.text)
        return reason


def _retrieve(slot: Slot) -> None:
    """A slot's failure is seen where it is used; one never used must not leave an unread error behind."""
    if not slot.cancelled():
        slot.exception()


def _transcript_text(message: Outbound) -> str:
    """The message as the operator reads it: the text, then the buttons it offered."""
    lines = [message.text] if message.text else []
    lines += [f"[{button.title}]" for button in message.buttons]
    return "\n".join(lines)
