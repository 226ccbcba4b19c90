"""Fixtures for the channel tests: the Bot API double, fake Rasa and Zalo, and a running gateway app."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import redis.asyncio

from bot.gateway.delivery import RetryPolicy
from bot.gateway.inbox import InboxOptions
from bot.gateway.parts import GatewayOptions
from bot.settings import Settings
from harness.botapi import TOKEN, FakeBotAPI
from harness.rasa import FakeRasa
from tests.channels.fakes import FakeZalo
from tests.channels.harness import FAST, WEBHOOK_SECRET, ZALO_APP_ID, ZALO_OA_SECRET, Running, Sleeps, run_gateway
from tests.conftest import make_settings


@pytest.fixture
def rasa() -> FakeRasa:
    return FakeRasa()


@pytest.fixture
def zalo_api() -> FakeZalo:
    return FakeZalo()


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def channel_settings(redis_url: str, bot_api: FakeBotAPI) -> Settings:
    return make_settings(
        REDIS_URL=redis_url,
        CAUNOI_TELEGRAM_TOKEN=TOKEN,
        CAUNOI_TELEGRAM_WEBHOOK_SECRET=WEBHOOK_SECRET,
        CAUNOI_TELEGRAM_API_URL=bot_api.url,
        CAUNOI_ZALO_APP_ID=ZALO_APP_ID,
        CAUNOI_ZALO_OA_SECRET=ZALO_OA_SECRET,
        CAUNOI_ZALO_APP_SECRET="fake-app-secret",
        CAUNOI_ZALO_ACCESS_TOKEN="fake-access-1",
        CAUNOI_ZALO_REFRESH_TOKEN="fake-refresh-1",
        CAUNOI_ZALO_API_URL="http://zalo.test",
        CAUNOI_ZALO_OAUTH_URL="http://oauth.zalo.test",
        CAUNOI_RASA_TIMEOUT="2",
        CAUNOI_WEB_CHANNEL="true",
    )


@pytest.fixture
def options(zalo_api: FakeZalo, sleeps: Sleeps) -> GatewayOptions:
    return GatewayOptions(
        zalo_transport=zalo_api.transport(),
        retry=RetryPolicy(attempts=3, base_delay=0.01, max_delay=0.05),
        telegram_limits=FAST, zalo_limits=FAST,
        inbox=InboxOptions(lock_ttl=5.0, sweep_interval=0.05, shutdown_grace=2.0),
        sleep=sleeps, typing_every=0.05, typing_after=0.05, telegram_timeout=1.0,
    )


@pytest.fixture
async def running(channel_settings: Settings, rasa: FakeRasa, options: GatewayOptions,
                  redis_client: redis.asyncio.Redis) -> AsyncIterator[Running]:
    async with run_gateway(channel_settings, rasa, options, redis_client) as gateway:
        yield gateway

