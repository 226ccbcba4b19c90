"""Pending follow-ups in Redis (bot/state/followups.py): due once, claimed by one worker, gone with the conversation."""

from __future__ import annotations

import asyncio

import pytest
import redis.asyncio

from bot.state import keys
from bot.state.deadletters import DeadLetters
from bot.state.erase import erase
from bot.state.followups import KEEP_AFTER_DUE_SECONDS, LEASE_SECONDS, FollowUp, FollowUpStore
from bot.state.retention import Periods, Purger, Retention

NOW = 1_800_000_000.0


def store(client: redis.asyncio.Redis, now: list[float]) -> FollowUpStore:
    return FollowUpStore(client, clock=lambda: now[0])


async def test_a_follow_up_is_due_at_its_time_and_claimed_once(redis_client: redis.asyncio.Redis) -> None:
    now = [NOW]
    followups = store(redis_client, now)
    await followups.schedule("r1", "tg:1", NOW + 60)
    await followups.schedule("r2", "zalo:2", NOW + 120)
    assert await followups.due(NOW + 59) == []
    claimed = await followups.due(NOW + 60)
    assert claimed == [FollowUp("r1", "tg:1", NOW + 60)]
    assert await followups.due(NOW + 61) == []  # leased to the first claimer
    assert [item.referral_id for item in await followups.due(NOW + 121)] == ["r2"]
    # A claimer that died: the lease runs out and the follow-up comes due again (never lost).
    assert [item.referral_id for item in await followups.due(NOW + 60 + LEASE_SECONDS + 1)] == ["r1"]


async def test_two_workers_claiming_at_once_get_each_follow_up_once(redis_url: str) -> None:
    clients = [redis.asyncio.Redis.from_url(redis_url, decode_responses=True) for _ in range(2)]
    try:
        now = [NOW]
        first, second = (store(client, now) for client in clients)
        for number in range(50):
            await first.schedule(f"r{number}", f"tg:{number}", NOW - number)
        results = await asyncio.gather(*(worker.due(NOW, limit=10) for worker in (first, second) for _ in range(5)))
        claimed = [item.referral_id for batch in results for item in batch]
        assert sorted(claimed) == sorted(f"r{number}" for number in range(50))
    finally:
        for client in clients:
            await client.close()


async def test_asked_is_taken_by_the_next_message_only(redis_client: redis.asyncio.Redis) -> None:
    now = [NOW]
    followups = store(redis_client, now)
    await followups.schedule("r1", "tg:1", NOW)
    (due,) = await followups.due(NOW)
    asked = await followups.asked(due, "Trung tâm trợ giúp pháp lý")
    assert await followups.get("tg:1", "r1") is None
    assert await redis_client.zcard(keys.FOLLOW_UPS_DUE) == 0
    assert await followups.take_asked("tg:1") == asked
    assert await followups.take_asked("tg:1") is None  # answered or dropped: never asked twice
    raw = await redis_client.keys("*followup*")
    assert raw == []


async def test_postponed_comes_due_again_later(redis_client: redis.asyncio.Redis) -> None:
    now = [NOW]
    followups = store(redis_client, now)
    await followups.schedule("r1", "tg:1", NOW)
    (due,) = await followups.due(NOW)
    later = await followups.postpone(due, NOW + 3600)
    assert later.postponed == 1 and later.due_at == NOW
    assert await followups.due(NOW + 3599) == []
    assert await followups.due(NOW + 3600) == [later]


async def test_erasing_the_conversation_removes_its_follow_ups_and_nobody_elses(
        redis_client: redis.asyncio.Redis) -> None:
    now = [NOW]
    followups = store(redis_client, now)
    await followups.schedule("r1", "tg:1", NOW + 7 * 86400)
    await followups.schedule("r2", "tg:1", NOW + 8 * 86400)
    await followups.schedule("r3", "tg:2", NOW + 7 * 86400)
    await erase(redis_client, "tg:1")
    assert await redis_client.zrange(keys.FOLLOW_UPS_DUE, 0, -1) == ["tg:2 r3"]
    assert not await redis_client.exists(keys.follow_ups("tg:1"))
    assert await followups.get("tg:2", "r3") == FollowUp("r3", "tg:2", NOW + 7 * 86400)
    assert await followups.due(NOW + 30 * 86400) == [FollowUp("r3", "tg:2", NOW + 7 * 86400)]


async def test_every_record_expires_after_its_due_time(redis_client: redis.asyncio.Redis) -> None:
    now = [NOW]
    followups = FollowUpStore(redis_client)  # the real clock: TTLs are counted from it
    await followups.schedule("r1", "tg:1", now[0])
    ttl = await redis_client.ttl(keys.follow_ups("tg:1"))
    assert 0 < ttl  # a due time long past still leaves a short life, never none
    await followups.schedule("r2", "tg:1", 4_000_000_000.0)
    assert await redis_client.ttl(keys.follow_ups("tg:1")) > KEEP_AFTER_DUE_SECONDS  # the later one keeps the hash


async def test_a_member_without_its_record_is_dropped(redis_client: redis.asyncio.Redis) -> None:
    followups = store(redis_client, [NOW])
    await followups.schedule("r1", "tg:1", NOW)
    await redis_client.delete(keys.follow_ups("tg:1"))  # expired
    assert await followups.due(NOW) == []
    assert await redis_client.zcard(keys.FOLLOW_UPS_DUE) == 0


@pytest.mark.parametrize("referral, conversation", [("", "tg:1"), ("r 1", "tg:1"), ("r1", ""), ("r1", "sms:1")])
async def test_bad_ids_are_refused(redis_client: redis.asyncio.Redis, referral: str, conversation: str) -> None:
    with pytest.raises(ValueError):
        await store(redis_client, [NOW]).schedule(referral, conversation, NOW)


async def test_the_retention_purge_takes_the_follow_ups_of_the_conversations_it_erases(
        redis_client: redis.asyncio.Redis) -> None:
    now = [NOW]
    retention = Retention(redis_client, Periods(default=100), clock=lambda: now[0])
    followups = store(redis_client, now)
    for conversation in ("tg:quiet", "tg:talking"):
        await retention.keep(conversation)
        await followups.schedule("r-" + conversation[3:], conversation, NOW + 7 * 86400)
    now[0] = NOW + 50
    await retention.keep("tg:talking")
    now[0] = NOW + 101  # tg:quiet is past its deadline, tg:talking is not
    report = await Purger(redis_client, retention, DeadLetters(redis_client), clock=lambda: now[0]).purge()
    assert report.erased == 1
    assert await redis_client.zrange(keys.FOLLOW_UPS_DUE, 0, -1) == ["tg:talking r-talking"]
    assert not await redis_client.exists(keys.follow_ups("tg:quiet"))
    assert await followups.get("tg:talking", "r-talking") is not None
