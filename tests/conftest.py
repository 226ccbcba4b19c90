"""Shared fixtures. Redis tests use a real server: CAUNOI_TEST_REDIS_URL, default redis://127.0.0.1:6379/15."""

from __future__ import annotations

import io
import os
from collections.abc import AsyncIterator, Iterator

import pytest
import redis
import redis.asyncio

from bot.cli import main as caunoi
from bot.settings import Settings, from_environment, get_settings
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


@pytest.fixture
def cli_store(redis_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """`caunoi` commands on the test Redis, accounts signed with a test key (settings read afresh)."""
    monkeypatch.setenv("REDIS_URL", redis_url)
    monkeypatch.setenv("CAUNOI_SECRET_KEY", "cli-test-secret-key")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def run_cli(monkeypatch: pytest.MonkeyPatch, *argv: str, stdin: str = "") -> int:
    """`caunoi ARGV…` in this process, `stdin` as its standard input; its exit code."""
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    return caunoi(list(argv))
