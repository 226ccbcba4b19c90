"""Shared fixtures. Redis tests use a real server: CAUNOI_TEST_REDIS_URL, default redis://127.0.0.1:6379/15."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator

import pytest
import redis
import redis.asyncio

from bot.settings import Settings, from_environment
from bot.state.sealed import new_key
from harness.botapi import FakeBotAPI

TEST_REDIS_URL = os.environ.get("CAUNOI_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
# Message texts are sealed at rest with CAUNOI_DATA_KEYS (bot/state/sealed.py): one random key for the whole test run,
# in the environment too, for the stores and processes that read the process settings.
os.environ.setdefault("CAUNOI_DATA_KEYS", new_key())


@pytest.fixture
def redis_url() -> Iterator[str]:
    client = redis.Redis.from_url(TEST_REDIS_URL, socket_connect_timeout=2)
    try:
        client.flushdb()
    except redis.ConnectionError as error:
        pytest.fail(f"tests need a Redis at {TEST_REDIS_URL} ({error}); .ci/run starts one")
    yield TEST_REDIS_URL
    client.flushdb()
    client.close()


@pytest.fixture
async def redis_client(redis_url: str) -> AsyncIterator[redis.asyncio.Redis]:
    client = redis.asyncio.Redis.from_url(redis_url, decode_responses=True)
    yield client
    await client.close()


def make_settings(**overrides: str) -> Settings:
    env = {"REDIS_URL": TEST_REDIS_URL, "CAUNOI_SECRET_KEY": "test-secret-key",
           "CAUNOI_DATA_KEYS": os.environ["CAUNOI_DATA_KEYS"]}
    env.update(overrides)
    return from_environment(env)


@pytest.fixture
def settings(redis_url: str) -> Settings:
    return make_settings(REDIS_URL=redis_url)


# A real HTTP test double of the Telegram Bot API, shared by the channel and console tests.
@pytest.fixture(scope="session")
def bot_api_server() -> Iterator[FakeBotAPI]:
    server = FakeBotAPI()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def bot_api(bot_api_server: FakeBotAPI) -> Iterator[FakeBotAPI]:
    bot_api_server.reset()
    yield bot_api_server
    bot_api_server.reset()
