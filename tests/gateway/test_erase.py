"""Deleting a person's data removes every key about their conversation and nothing about anyone else's."""

from __future__ import annotations

import redis.asyncio

from bot.state import keys
from bot.state.erase import UNANSWERED_AFTER_SECONDS, conversation_keys, erase, request_erase, unanswered_requests
from bot.state.queue import Case, HandoffQueue


async def fill(client: redis.asyncio.Redis, conversation_id: str) -> None:
    await HandoffQueue(client).enqueue(Case(conversation_id, "telegram", "high", ("x",), "tóm tắt"))
    for key in conversation_keys(conversation_id):
        if not await client.exists(key):
            await client.set(key, "something")
    await client.zadd(keys.HELD, {conversation_id: 1})


async def test_erase_leaves_nothing_about_the_conversation(redis_client: redis.asyncio.Redis) -> None:
    await fill(redis_client, "tg:1")
    await fill(redis_client, "tg:2")
    await redis_client.set(keys.conversation_prefix("tg:1") + "added-by-a-future-module", "x")
    await redis_client.rpush(keys.inbox("tg:1"), "the message being processed")
    assert await erase(redis_client, "tg:1") >= len(conversation_keys("tg:1"))
    remaining = await redis_client.keys("*")
    # Only the turn under way stays, for its worker to finish (bot/state/erase.py IN_FLIGHT).
    assert [key for key in remaining if "tg:1" in key] == [keys.inbox("tg:1")]
    assert await redis_client.zscore(keys.QUEUE, "tg:1") is None
    assert await redis_client.zscore(keys.HELD, "tg:1") is None
    assert await redis_client.zscore(keys.QUEUE, "tg:2") is not None
    assert [key for key in remaining if "tg:2" in key]


async def test_a_request_is_unanswered_only_long_after_it_was_made_and_an_erase_answers_it(
        redis_client: redis.asyncio.Redis) -> None:
    await fill(redis_client, "zalo:3")
    await request_erase(redis_client, "zalo:3")
    asked = await redis_client.zscore(keys.ERASE_REQUESTS, "zalo:3")
    assert asked is not None
    assert await unanswered_requests(redis_client, asked + UNANSWERED_AFTER_SECONDS - 1) == []  # the turn may be on
    assert await unanswered_requests(redis_client, asked + UNANSWERED_AFTER_SECONDS + 1) == ["zalo:3"]
    await erase(redis_client, "zalo:3")
    assert await unanswered_requests(redis_client, asked + UNANSWERED_AFTER_SECONDS + 1) == []
    assert not [key for key in await redis_client.keys("*") if "zalo:3" in key]
