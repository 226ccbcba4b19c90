"""Delivery to one channel with the same guarantees everywhere: rate limits, bounded retries, dead letters, transcript.

Every part of a message waits for the channel's rate limits (shared by all workers through Redis), then is posted.
A platform's "slow down" (Telegram 429 with retry_after, Zalo -32) waits as asked; timeouts, 5xx and connection
errors are retried with exponential backoff; after the last attempt the message goes to the dead-letter list with
the conversation, channel, time and reason. A person the platform will not reach (blocked bot, closed reply window,
unfollowed) gets no retries: the message is kept as undeliverable. Either way the transcript records it.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

import redis.asyncio

from bot import keys
from bot.channels.base import (
    DeliveryError,
    PermanentFailure,
    RetryLater,
    TemporaryFailure,
    Transport,
    Undeliverable,
)
from bot.deadletters import DeadLetters
from bot.messages import Outbound
from bot.privacy import log_id
from bot.ratelimit import Rate, RateLimiter
from bot.transcript import Author, Entry, Transcript

log = logging.getLogger(__name__)
Sleep = Callable[[float], Awaitable[None]]


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

    async def send_all(self, conversation_id: str, messages: Sequence[Outbound], author: Author = "bot",
                       record: bool = True) -> bool:
        """Delivers the messages in order (each one is tried, whatever happened to the one before), then writes
        them to the transcript in one go: a turn's second message does not wait for the first one's bookkeeping.
        True when all went out. Never raises for a delivery failure."""
        stopped = bool(messages) and self.transport.unfollows \
            and bool(await self._redis.exists(keys.stopped(conversation_id)))
        failures = [("unfollowed" if stopped else await self._deliver_all(conversation_id, message))
                    for message in messages]
        if record and messages:
            await self._transcript.append_many(conversation_id, [
                Entry(author, _transcript_text(message), undeliverable=failure)
                for message, failure in zip(messages, failures, strict=True)])
        return not any(failures)

    async def _deliver_all(self, conversation_id: str, message: Outbound) -> str | None:
        """Every part of one message, stopping at the first that does not go out; the reason, or None."""
        for part in self.transport.parts(message):
            failure = await self._deliver(conversation_id, part)
            if failure:
                return failure
        return None

    async def _deliver(self, conversation_id: str, part: Outbound) -> str | None:
        """Posts one part with limits and retries; None when delivered, else the reason it was not."""
        who = log_id(conversation_id, self._log_key)
        attempt = 0
        while True:
            attempt += 1
            await self._wait_for_slot(conversation_id)
            try:
                await self.transport.post(conversation_id, part)
                return None
            except RetryLater as error:
                delay = error.seconds if error.seconds is not None else max(1.0, self._policy.backoff(attempt))
                if delay > self._policy.max_retry_after:
                    return await self._give_up(conversation_id, part, f"{error.reason}: asked to wait {delay:.0f} s")
                retry_error: DeliveryError = error
            except TemporaryFailure as error:
                delay = self._policy.backoff(attempt)
                retry_error = error
            except Undeliverable as error:
                log.warning("undeliverable channel=%s conversation=%s reason=%s", self.channel, who, error.reason)
                await self._dead.add(conversation_id, self.channel, f"undeliverable: {error.reason}", part.text)
                return error.reason
            except PermanentFailure as error:
                return await self._give_up(conversation_id, part, error.reason)
            if attempt >= self._policy.attempts:
                return await self._give_up(conversation_id, part,
                                           f"{retry_error.reason} (after {attempt} attempts)")
            log.info("retry channel=%s conversation=%s attempt=%d reason=%s wait=%.2f", self.channel, who, attempt,
                     retry_error.reason, delay)
            await self._sleep(delay)

    async def _wait_for_slot(self, conversation_id: str) -> None:
        if self._limiter is None or self._limits is None:
            return
        await self._limiter.wait([(self.channel, self._limits.overall),
                                  (f"{self.channel}:{conversation_id}", self._limits.per_conversation)])

    async def _give_up(self, conversation_id: str, part: Outbound, reason: str) -> str:
        log.error("dead letter channel=%s conversation=%s reason=%s", self.channel,
                  log_id(conversation_id, self._log_key), reason)
        await self._dead.add(conversation_id, self.channel, reason, part.text)
        return reason


def _transcript_text(message: Outbound) -> str:
    """The message as the operator reads it: the text, then the buttons it offered."""
    lines = [message.text] if message.text else []
    lines += [f"[{button.title}]" for button in message.buttons]
    return "\n".join(lines)
