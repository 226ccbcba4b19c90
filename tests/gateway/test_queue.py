"""The handoff queue on a real Redis: order by risk then waiting time, idempotent escalation, removal."""

from __future__ import annotations

import asyncio

import redis.asyncio

from bot.state import keys
from bot.state.queue import Case, HandoffQueue


async def test_higher_risk_first_then_longest_wait(redis_client: redis.asyncio.Redis) -> None:
    queue = HandoffQueue(redis_client)
    await queue.enqueue(Case("tg:1", "telegram", "low", enqueued_at=100.0))
    await queue.enqueue(Case("tg:2", "telegram", "high", enqueued_at=300.0))
    await queue.enqueue(Case("zalo:3", "zalo", "high", enqueued_at=200.0))
    await queue.enqueue(Case("tg:4", "telegram", "medium", enqueued_at=50.0))
    assert [case.conversation_id for case in await queue.waiting()] == ["zalo:3", "tg:2", "tg:4", "tg:1"]
    assert await queue.place("tg:1") == 4
    assert await queue.mode("tg:1") == "waiting"
    assert await queue.mode("tg:99") == "bot"


async def test_escalating_again_keeps_the_wait_and_only_raises_priority(redis_client: redis.asyncio.Redis) -> None:
    queue = HandoffQueue(redis_client)
    await queue.enqueue(Case("tg:old", "telegram", "medium", ("Bị giữ lương",), enqueued_at=100.0))
    await queue.enqueue(Case("tg:new", "telegram", "high", enqueued_at=500.0))
    assert await queue.place("tg:old") == 2
    # Same risk again: no change, no new waiting time.
    assert await queue.enqueue(Case("tg:old", "telegram", "medium", enqueued_at=900.0)) == 2
    # Lower risk: ignored. Higher risk: moves up, keeping its original waiting time (older than tg:new).
    assert await queue.enqueue(Case("tg:old", "telegram", "low", enqueued_at=950.0)) == 2
    assert await queue.enqueue(Case("tg:old", "telegram", "high", ("Bị giam giữ",), enqueued_at=999.0)) == 1
    old = (await queue.waiting())[0]
    assert (old.conversation_id, old.risk, old.reasons, old.enqueued_at) == ("tg:old", "high", ("Bị giam giữ",), 100.0)


async def test_a_conversation_held_by_a_human_is_not_queued_again(redis_client: redis.asyncio.Redis) -> None:
    queue = HandoffQueue(redis_client)
    await redis_client.set(keys.conversation_mode("tg:5"), "human")
    assert await queue.enqueue(Case("tg:5", "telegram", "high")) is None
    assert await queue.waiting() == []


async def test_concurrent_escalations_queue_once(redis_client: redis.asyncio.Redis) -> None:
    queue = HandoffQueue(redis_client)
    places = await asyncio.gather(*(queue.enqueue(Case("tg:7", "telegram", "high")) for _ in range(20)))
    assert set(places) == {1}
    assert await redis_client.zcard(keys.QUEUE) == 1


async def test_forget_returns_the_conversation_to_the_bot(redis_client: redis.asyncio.Redis) -> None:
    queue = HandoffQueue(redis_client)
    await queue.enqueue(Case("tg:8", "telegram", "high", summary="tóm tắt"))
    assert await queue.forget("tg:8") is True
    assert await queue.mode("tg:8") == "bot"
    assert await redis_client.keys("*") == []
    assert await queue.forget("tg:8") is False
