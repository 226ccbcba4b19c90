from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import redis.asyncio

import actions.common


@pytest.fixture
async def action_redis(redis_url: str) -> AsyncIterator[redis.asyncio.Redis]:
    """The actions' Redis client, pointed at the test database."""
    client = redis.asyncio.Redis.from_url(redis_url, decode_responses=True)
    actions.common._redis = client
    yield client
    actions.common._redis = None
    await client.close()
