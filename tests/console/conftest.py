"""Fixtures for the console tests: the Telegram Bot API double, a fake Rasa, settings, a running console app."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import pytest

from bot.settings import Settings
from harness.botapi import TOKEN, FakeBotAPI
from harness.rasa import FakeRasa
from tests.conftest import make_settings
from tests.console.harness import Console, console_app, over_asgi

WEBHOOK_SECRET = "console-test-secret"


@pytest.fixture
def rasa() -> FakeRasa:
    return FakeRasa()


def console_settings(redis_url: str, bot_api: FakeBotAPI, **overrides: str) -> Settings:
    return make_settings(REDIS_URL=redis_url, CAUNOI_TELEGRAM_TOKEN=TOKEN, CAUNOI_TELEGRAM_API_URL=bot_api.url,
                         CAUNOI_TELEGRAM_WEBHOOK_SECRET=WEBHOOK_SECRET, CAUNOI_RASA_TOKEN="rasa-test-token",
                         **overrides)


@pytest.fixture
def settings(redis_url: str, bot_api: FakeBotAPI) -> Settings:
    return console_settings(redis_url, bot_api)


@pytest.fixture
async def console(settings: Settings, rasa: FakeRasa) -> AsyncIterator[Console]:
    async with over_asgi(console_app(settings, rasa)) as running:
        yield running


class Clock:
    """The real time plus a shift a test moves forward."""

    def __init__(self) -> None:
        self.shift = 0.0

    def __call__(self) -> float:
        return time.time() + self.shift


@pytest.fixture
def clock() -> Clock:
    return Clock()
