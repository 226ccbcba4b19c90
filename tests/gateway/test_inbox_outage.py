"""The inbox worker through a Redis outage in the middle of a turn (real Redis; the outage is simulated by raising
redis' ConnectionError where a dead server would)."""

from __future__ import annotations

import asyncio
import time

import redis
import redis.asyncio

from bot.gateway.inbox import Inbox, InboxOptions, InboxWorker
from bot.messages import Inbound
from bot.state.deadletters import DeadLetters

# A lock that would take 30 s to expire: the tests finish long before, or they fail.
OPTIONS = InboxOptions(lock_ttl=30.0, sweep_interval=0.05, shutdown_grace=1.0)


def message(number: int) -> Inbound:
    return Inbound(channel="telegram", conversation_id="tg:1", message_id=str(number), text=f"m{number}")


class UnlockFailsOnce(Inbox):
    """Redis is still away when the failed turn tries to free its lock."""

    failed = False

    async def unlock(self, conversation_id: str, token: str) -> None:
        if not self.failed:
            self.failed = True
            raise redis.ConnectionError("Connection closed by server.")
        await super().unlock(conversation_id, token)


async def run_until(worker: InboxWorker, done: asyncio.Event, seconds: float) -> float:
    started = time.monotonic()
    worker.start()
    try:
        await asyncio.wait_for(done.wait(), seconds)
    finally:
        await worker.stop()
    return time.monotonic() - started


async def test_a_turn_cut_by_a_redis_outage_is_tried_again_not_dead_lettered(
        redis_client: redis.asyncio.Redis) -> None:
    inbox = Inbox(redis_client)
    dead = DeadLetters(redis_client)
    for number in (1, 2):
        await inbox.submit(message(number), f"u{number}")
    handled: list[str] = []
    done = asyncio.Event()

    async def handler(inbound: Inbound) -> None:
        handled.append(inbound.text)
        if len(handled) == 1:
            raise redis.ConnectionError("Connection closed by server.")
        if inbound.text == "m2":
            done.set()

    await run_until(InboxWorker(inbox, handler, dead, OPTIONS), done, 5.0)
    assert handled == ["m1", "m1", "m2"]
    assert await dead.read() == []


async def test_a_lock_that_could_not_be_freed_during_the_outage_is_freed_when_redis_is_back(
        redis_client: redis.asyncio.Redis) -> None:
    inbox = UnlockFailsOnce(redis_client)
    await inbox.submit(message(1), "u1")
    handled: list[str] = []
    done = asyncio.Event()

    async def handler(inbound: Inbound) -> None:
        handled.append(inbound.text)
        if len(handled) == 1:
            raise redis.ConnectionError("Connection closed by server.")
        done.set()

    took = await run_until(InboxWorker(inbox, handler, DeadLetters(redis_client), OPTIONS), done, 10.0)
    assert inbox.failed and handled == ["m1", "m1"]
    assert took < 5.0, "the conversation waited for its lock to expire"
