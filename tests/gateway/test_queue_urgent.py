"""Urgent cases (self-harm, a medical emergency) go ahead of every other, high risk included, and keep their place."""

from __future__ import annotations

import redis.asyncio

from bot.state.queue import Case, HandoffQueue


async def test_an_urgent_case_goes_first_even_after_older_high_risk_cases(redis_client: redis.asyncio.Redis) -> None:
    queue = HandoffQueue(redis_client)
    await queue.enqueue(Case("tg:high-old", "telegram", "high", enqueued_at=100.0))
    await queue.enqueue(Case("tg:low", "telegram", "low", enqueued_at=50.0))
    assert await queue.enqueue(Case("tg:urgent", "telegram", "high", urgent=True, enqueued_at=900.0)) == 1
    assert await queue.enqueue(Case("tg:urgent-2", "telegram", "high", urgent=True, enqueued_at=950.0)) == 2
    assert [c.conversation_id for c in await queue.waiting()] == ["tg:urgent", "tg:urgent-2", "tg:high-old", "tg:low"]


async def test_a_waiting_case_that_becomes_urgent_moves_up_with_its_waiting_time(
        redis_client: redis.asyncio.Redis) -> None:
    queue = HandoffQueue(redis_client)
    await queue.enqueue(Case("tg:a", "telegram", "high", enqueued_at=100.0))
    await queue.enqueue(Case("tg:b", "telegram", "medium", enqueued_at=200.0))
    assert await queue.enqueue(Case("tg:b", "telegram", "high", urgent=True, enqueued_at=999.0)) == 1
    first = (await queue.waiting())[0]
    assert (first.conversation_id, first.enqueued_at) == ("tg:b", 200.0)
    # Escalating again, not urgent, never moves it back down.
    assert await queue.enqueue(Case("tg:b", "telegram", "high", enqueued_at=1200.0)) == 1


async def test_released_urgent_case_goes_back_to_the_top(redis_client: redis.asyncio.Redis) -> None:
    queue = HandoffQueue(redis_client)
    await queue.enqueue(Case("tg:high", "telegram", "high", enqueued_at=100.0))
    await queue.enqueue(Case("tg:urgent", "telegram", "high", urgent=True, enqueued_at=500.0))
    assert (await queue.claim("tg:urgent", "lan")).ok
    assert (await queue.release("tg:urgent", "lan")).ok
    assert await queue.place("tg:urgent") == 1
