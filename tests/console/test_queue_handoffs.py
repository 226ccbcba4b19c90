"""HandoffQueue's operator transitions on a real Redis: claim (one winner), release, transfer, close, withdraw."""

from __future__ import annotations

import asyncio
import json
import time

import redis.asyncio

from bot.console.audit import AuditLog
from bot.state import keys
from bot.state.queue import Case, HandoffQueue, Transition, events_channel


async def test_claim_is_atomic_under_concurrency(redis_client: redis.asyncio.Redis) -> None:
    queue = HandoffQueue(redis_client)
    await queue.enqueue(Case("tg:1", "telegram", "high"))
    results = await asyncio.gather(*(queue.claim("tg:1", f"op{n % 7}") for n in range(100)))
    winners = [result for result in results if result.ok]
    assert len(winners) == 1
    assert {result.operator for result in results} == {winners[0].operator}
    assert await queue.mode("tg:1") == "human" and await queue.holder("tg:1") == winners[0].operator
    assert [case.conversation_id for case in await queue.held()] == ["tg:1"]
    assert await queue.waiting() == []


async def test_only_waiting_conversations_can_be_claimed(redis_client: redis.asyncio.Redis) -> None:
    queue = HandoffQueue(redis_client)
    assert await queue.claim("tg:2", "hoa") == Transition(False, "bot", "")


async def test_release_restores_the_exact_place(redis_client: redis.asyncio.Redis) -> None:
    queue = HandoffQueue(redis_client)
    await queue.enqueue(Case("tg:a", "telegram", "medium", enqueued_at=100.0004))
    await queue.enqueue(Case("tg:b", "telegram", "medium", enqueued_at=100.0006))
    score = await redis_client.zscore(keys.QUEUE, "tg:a")
    await queue.claim("tg:a", "hoa")
    assert await queue.release("tg:a", "minh") == Transition(False, "human", "hoa")
    assert await queue.release("tg:a", "hoa") == Transition(True, "waiting", "")
    assert await redis_client.zscore(keys.QUEUE, "tg:a") == score
    assert [c.conversation_id for c in await queue.waiting()] == ["tg:a", "tg:b"]
    assert await queue.holder("tg:a") is None and await queue.held() == []
    # A supervisor may force it.
    await queue.claim("tg:a", "hoa")
    assert (await queue.release("tg:a", "boss", force=True)).ok


async def test_transfer_and_close(redis_client: redis.asyncio.Redis) -> None:
    queue = HandoffQueue(redis_client)
    await queue.enqueue(Case("zalo:9", "zalo", "high", ("Bị đánh",), "tóm tắt", "camp", enqueued_at=50.0))
    await queue.claim("zalo:9", "hoa")
    assert not (await queue.transfer("zalo:9", "minh", "lan")).ok
    assert await queue.transfer("zalo:9", "hoa", "minh") == Transition(True, "human", "minh")
    refused, _ = await queue.close("zalo:9", "hoa")
    assert not refused.ok
    closed, case = await queue.close("zalo:9", "minh")
    assert closed == Transition(True, "human", "minh")
    assert case is not None and (case.risk, case.reasons, case.operator, case.enqueued_at) == \
        ("high", ("Bị đánh",), "minh", 50.0)
    assert await queue.mode("zalo:9") == "bot" and await queue.held() == [] and await queue.case("zalo:9") is None


async def test_withdraw_only_while_waiting(redis_client: redis.asyncio.Redis) -> None:
    queue = HandoffQueue(redis_client)
    await queue.enqueue(Case("web:abcdefgh1", "web", "low"))
    assert await queue.withdraw("web:abcdefgh1") is True
    assert await queue.mode("web:abcdefgh1") == "bot" and await queue.waiting() == []
    await queue.enqueue(Case("web:abcdefgh2", "web", "low"))
    await queue.claim("web:abcdefgh2", "hoa")
    assert await queue.withdraw("web:abcdefgh2") is False
    assert await queue.mode("web:abcdefgh2") == "human"
    # Audited in the same step, as the console writes its entries: the one that happened, by the person.
    [entry] = [entry async for entry in AuditLog(redis_client, time.time).export()]
    assert (entry["actor"], entry["action"], entry["conversation"]) == ("person", "withdraw", "web:abcdefgh1")


async def test_every_change_is_published(redis_client: redis.asyncio.Redis) -> None:
    queue = HandoffQueue(redis_client)
    pubsub = redis_client.pubsub(ignore_subscribe_messages=True)
    await pubsub.subscribe(events_channel(redis_client))
    await queue.enqueue(Case("tg:5", "telegram", "medium"))
    await queue.enqueue(Case("tg:5", "telegram", "high"))
    await queue.claim("tg:5", "hoa")
    await queue.transfer("tg:5", "hoa", "minh")
    await queue.release("tg:5", "minh")
    await queue.close("tg:5", "boss", force=True)
    await queue.enqueue(Case("tg:5", "telegram", "low"))
    await queue.withdraw("tg:5")
    await queue.enqueue(Case("tg:5", "telegram", "low"))
    await queue.forget("tg:5")
    changes = []
    for _ in range(40):
        message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.1)
        if message is not None:
            changes.append(json.loads(message["data"])["change"])
    await pubsub.reset()
    assert changes == ["enqueued", "raised", "claimed", "transferred", "released", "closed", "enqueued", "withdrawn",
                       "enqueued", "removed"]
