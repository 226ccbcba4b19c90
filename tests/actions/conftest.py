from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import redis.asyncio

import actions.common


@pytest.fixture(autouse=True)
async def action_redis(redis_url: str) -> AsyncIterator[redis.asyncio.Redis]:
    """The actions' Redis client, pointed at the test database, for every action test: searches read the live
    directory there (seeded from content/vi/directory on first read), as in the action server."""
    client = redis.asyncio.Redis.from_url(redis_url, decode_responses=True)
    actions.common._redis = client
    actions.common._last_directory = None  # what an earlier test read is not this test's directory
    yield client
    actions.common._redis = None
    actions.common._last_directory = None
    await client.close()
