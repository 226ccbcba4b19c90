"""Per-conversation order across several workers, on a real Redis: crashes, poison messages, shutdown."""

from __future__ import annotations

import asyncio
import itertools
import logging
from contextlib import AsyncExitStack

import pytest
import redis.asyncio

from bot.gateway.inbox import Inbox, InboxOptions, InboxWorker
from bot.gateway.parts import GatewayOptions
from bot.messages import Inbound
from bot.settings import Settings
from bot.state import keys
from bot.state.deadletters import DeadLetters
from harness.botapi import FakeBotAPI, text_update
from harness.rasa import FakeRasa
from tests.channels.harness import run_gateway

FAST = InboxOptions(lock_ttl=0.3, sweep_interval=0.02, shutdown_grace=1.0)


def message(conversation: str, number: int) -> Inbound:
    return Inbound(channel="telegram", conversation_id=conversation, message_id=str(number), text=f"m{number}")


async def test_two_gateway_workers_keep_each_conversation_in_order(channel_settings: Settings, rasa: FakeRasa,
                                                                   options: GatewayOptions, bot_api: FakeBotAPI,
                                                                   redis_client: redis.asyncio.Redis) -> None:
    rasa.delay = 0.02
    async with AsyncExitStack() as stack:
        workers = [await stack.enter_async_context(run_gateway(channel_settings, rasa, options, redis_client))
                   for _ in range(2)]
        for number in range(8):  # each message reaches a different worker's webhook
            for chat in (2001, 2002, 2003):
                await workers[(number + chat) % 2].telegram(text_update(chat, f"{chat}-{number}"))
        for worker in workers:
            await worker.settle()
    for chat in (2001, 2002, 2003):
        assert rasa.messages(f"tg:{chat}") == [f"{chat}-{n}" for n in range(8)]
        spans = sorted((start, end) for who, _, start, end in rasa.spans if who == f"tg:{chat}")
        assert all(end <= next_start for (_, end), (next_start, _) in itertools.pairwise(spans))
    assert len(bot_api.called("sendMessage")) == 24


async def test_a_dead_workers_conversation_is_taken_over_when_its_lock_expires(
        redis_client: redis.asyncio.Redis) -> None:
    inbox = Inbox(redis_client)
    await inbox.submit(message("tg:1", 1), "u1")
    assert await inbox.lock_and_head("tg:1", ttl=0.2) is not None  # a worker took it, then died mid-turn
    handled: list[str] = []

    async def handler(inbound: Inbound) -> None:
        handled.append(inbound.text)

    worker = InboxWorker(inbox, handler, DeadLetters(redis_client), FAST)
    worker.start()
    try:
        for _ in range(100):
            if handled and not await inbox.pending():
                break
            await asyncio.sleep(0.02)
    finally:
        await worker.stop()
    assert handled == ["m1"]
    assert await inbox.pending() == [] and await redis_client.exists(keys.inbox("tg:1")) == 0


async def test_a_message_that_breaks_the_handler_is_dead_lettered_and_the_next_one_runs(
        redis_client: redis.asyncio.Redis) -> None:
    inbox = Inbox(redis_client)
    handled: list[str] = []

    async def handler(inbound: Inbound) -> None:
        if inbound.text == "m1":
            raise ValueError("broken")
        handled.append(inbound.text)

    dead = DeadLetters(redis_client)
    worker = InboxWorker(inbox, handler, dead, FAST)
    for number in (1, 2):
        await inbox.submit(message("tg:1", number), f"u{number}")
    worker.kick("tg:1")
    await worker.idle()
    assert handled == ["m2"]
    [letter] = await dead.read()
    assert (letter["direction"], letter["reason"], letter["channel"]) == ("inbound", "processing failed: ValueError",
                                                                         "telegram")


async def test_a_message_pushed_while_the_holder_finishes_is_not_stranded(redis_client: redis.asyncio.Redis) -> None:
    inbox = Inbox(redis_client)
    handled: list[str] = []

    async def handler(inbound: Inbound) -> None:
        handled.append(inbound.text)
        if inbound.text == "m1":  # the next message arrives (at another worker) while this one is handled
            await inbox.submit(message("tg:1", 2), "u2")

    worker = InboxWorker(inbox, handler, DeadLetters(redis_client), InboxOptions(sweep_interval=60))
    await inbox.submit(message("tg:1", 1), "u1")
    worker.kick("tg:1")  # no sweep will come to the rescue within this test
    await worker.idle()
    assert handled == ["m1", "m2"]


async def test_shutdown_leaves_the_rest_in_redis_unlocked(redis_client: redis.asyncio.Redis) -> None:
    inbox = Inbox(redis_client)
    started = asyncio.Event()
    worker: InboxWorker

    async def handler(inbound: Inbound) -> None:
        started.set()
        await asyncio.sleep(0.05)

    worker = InboxWorker(inbox, handler, DeadLetters(redis_client), FAST)
    for number in (1, 2, 3):
        await inbox.submit(message("tg:1", number), f"u{number}")
    worker.kick("tg:1")
    await started.wait()
    await worker.stop()
    assert await redis_client.lrange(keys.inbox("tg:1"), 0, -1) != []
    assert len(await redis_client.lrange(keys.inbox("tg:1"), 0, -1)) == 2  # the one in hand was finished
    assert await redis_client.exists(keys.inbox_lock("tg:1")) == 0
    assert await inbox.pending() == ["tg:1"]


async def test_the_webhook_takes_a_free_lock_with_the_message_and_hands_it_over(
        redis_client: redis.asyncio.Redis) -> None:
    inbox = Inbox(redis_client)
    queued, locked = await inbox.submit_and_lock(message("tg:1", 1), "u1", ttl=5.0)
    assert queued and locked is not None and inbox.open(locked.head).text == "m1"
    assert await redis_client.get(keys.inbox_lock("tg:1")) == locked.token
    # Held now: the next message is queued behind it without a lock; a redelivery is dropped.
    assert await inbox.submit_and_lock(message("tg:1", 2), "u2", ttl=5.0) == (True, None)
    assert await inbox.submit_and_lock(message("tg:1", 2), "u2", ttl=5.0) == (False, None)
    handled: list[str] = []

    async def handler(inbound: Inbound) -> None:
        handled.append(inbound.text)

    worker = InboxWorker(inbox, handler, DeadLetters(redis_client), InboxOptions(sweep_interval=60))
    worker.kick("tg:1", locked)  # no sweep and no other way in: only the handed lock lets it drain
    await worker.idle()
    assert handled == ["m1", "m2"]
    assert await redis_client.exists(keys.inbox_lock("tg:1"), keys.inbox("tg:1")) == 0


async def test_a_handed_lock_that_expired_meanwhile_is_not_used(redis_client: redis.asyncio.Redis) -> None:
    inbox = Inbox(redis_client)
    busy = asyncio.Event()
    handled: list[str] = []

    async def handler(inbound: Inbound) -> None:
        if inbound.conversation_id == "tg:9":
            await busy.wait()
        handled.append(inbound.text)

    worker = InboxWorker(inbox, handler, DeadLetters(redis_client),
                         InboxOptions(lock_ttl=0.2, sweep_interval=60, concurrency=1))
    await inbox.submit(message("tg:9", 9), "u9")
    worker.kick("tg:9")  # takes the worker's only slot
    _, locked = await inbox.submit_and_lock(message("tg:1", 1), "u1", ttl=0.2)
    worker.kick("tg:1", locked)  # waits for the slot…
    await asyncio.sleep(0.3)  # …while the lock expires…
    assert await inbox.lock_and_head("tg:1", ttl=5.0) is not None  # …and another worker takes the conversation
    busy.set()
    await worker.idle()
    assert handled == ["m9"]  # tg:1's message is the other worker's to handle, in its order
    assert await redis_client.llen(keys.inbox("tg:1")) == 1


async def test_a_lock_handed_to_a_stopping_worker_is_freed(redis_client: redis.asyncio.Redis) -> None:
    inbox = Inbox(redis_client)
    finish = asyncio.Event()

    async def handle(inbound: Inbound) -> None:
        if inbound.conversation_id == "tg:2":
            await finish.wait()

    worker = InboxWorker(inbox, handle, DeadLetters(redis_client), FAST)
    worker.start()
    await inbox.submit(message("tg:2", 1), "u2")
    worker.kick("tg:2")  # a turn in progress: the stop waits for it
    while not await redis_client.exists(keys.inbox_lock("tg:2")):
        await asyncio.sleep(0.01)
    stopping = asyncio.create_task(worker.stop())
    await asyncio.sleep(0)
    assert not worker.accepting
    # The webhook had checked `accepting` just before the worker began to stop.
    _, locked = await inbox.submit_and_lock(message("tg:1", 1), "u1", ttl=30.0)
    worker.kick("tg:1", locked)
    finish.set()
    await stopping
    assert await redis_client.exists(keys.inbox_lock("tg:1")) == 0
    assert await redis_client.llen(keys.inbox("tg:1")) == 1  # still queued for another worker


async def test_popping_the_last_message_frees_the_conversation_in_the_same_step(
        redis_client: redis.asyncio.Redis) -> None:
    inbox = Inbox(redis_client)
    for number in (1, 2):
        await inbox.submit(message("tg:5", number), f"p{number}")
    locked = await inbox.lock_and_head("tg:5", 5.0)
    assert locked is not None
    token, _ = locked
    ours, following = await inbox.pop("tg:5", token)
    assert ours and following is not None and inbox.open(following).message_id == "2"
    assert await redis_client.exists(keys.inbox_lock("tg:5"))  # still held: a message is waiting
    assert await inbox.pop("tg:5", token) == (True, None)
    assert not await redis_client.exists(keys.inbox_lock("tg:5"))
    assert "tg:5" not in await inbox.pending()
    assert await inbox.pop("tg:5", token) == (False, None)  # no longer this worker's


async def test_the_webhook_hands_its_lock_and_the_first_message_to_the_worker(
        redis_client: redis.asyncio.Redis) -> None:
    inbox = Inbox(redis_client)
    _, locked = await inbox.submit_and_lock(message("tg:1", 1), "u1", ttl=5.0)
    assert locked is not None and inbox.open(locked.head).text == "m1"
    _, behind = await inbox.submit_and_lock(message("tg:1", 2), "u2", ttl=5.0)
    assert behind is None  # the conversation is held: this one waits its turn
    seen: list[str] = []

    async def handler(inbound: Inbound) -> None:
        seen.append(inbound.text)

    worker = InboxWorker(inbox, handler, DeadLetters(redis_client), InboxOptions(sweep_interval=60))
    worker.kick("tg:1", locked)
    await worker.idle()
    assert seen == ["m1", "m2"]
    assert not await redis_client.exists(keys.inbox_lock("tg:1"))  # the last pop freed it


class RenewalRacesThePop(Inbox):
    """The last pop releases the lock in Redis while the renewal is already on its way (a busy event loop)."""

    def __init__(self, client: redis.asyncio.Redis) -> None:
        super().__init__(client)
        self.renewing = asyncio.Event()
        self.popped = asyncio.Event()
        self.renewals: list[bool] = []

    async def renew(self, conversation_id: str, token: str, ttl: float) -> bool:
        self.renewing.set()
        await self.popped.wait()
        renewed = await super().renew(conversation_id, token, ttl)
        self.renewals.append(renewed)
        return renewed

    async def pop(self, conversation_id: str, token: str) -> tuple[bool, str | None]:
        await self.renewing.wait()
        popped = await super().pop(conversation_id, token)
        self.popped.set()
        return popped


async def test_a_renewal_that_meets_the_lock_its_turn_just_released_is_not_an_expiry(
        redis_client: redis.asyncio.Redis, caplog: pytest.LogCaptureFixture) -> None:
    # 43 such warnings in the #18 load run, none of them a lost lock (no "inbox lock lost", every message answered).
    inbox = RenewalRacesThePop(redis_client)
    _, locked = await inbox.submit_and_lock(message("tg:1", 1), "u1", ttl=3.0)
    assert locked is not None
    seen: list[str] = []

    async def handler(inbound: Inbound) -> None:
        seen.append(inbound.text)

    worker = InboxWorker(inbox, handler, DeadLetters(redis_client), InboxOptions(lock_ttl=3.0, sweep_interval=60))
    with caplog.at_level(logging.WARNING, logger="bot.gateway.inbox"):
        worker.kick("tg:1", locked)
        await worker.idle()
    assert seen == ["m1"] and inbox.renewals == [False]  # the race happened: the renewal found the lock gone
    assert not [r for r in caplog.records if "inbox lock" in r.getMessage()]
    assert not await redis_client.exists(keys.inbox_lock("tg:1"))
