"""`caunoi telegram set-webhook` and `caunoi telegram poll` against the Bot API double."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
import redis.asyncio

from bot.cli import main
from bot.cli.telegram import poll_updates, set_webhook
from bot.gateway.parts import Gateway, GatewayOptions
from bot.settings import Settings
from harness.botapi import FakeBotAPI, text_update
from harness.rasa import FakeRasa, backed_by
from tests.channels.harness import WEBHOOK_SECRET
from tests.conftest import make_settings

REAL = Path(__file__).parent / "fixtures" / "real" / "telegram"


async def test_set_webhook_keeps_pending_updates_and_sends_the_secret(channel_settings: Settings,
                                                                      bot_api: FakeBotAPI) -> None:
    assert await set_webhook(channel_settings, "https://caunoi.example.org/webhooks/telegram") == 0
    [call] = bot_api.called("setWebhook")
    assert call["url"] == "https://caunoi.example.org/webhooks/telegram"
    assert call["secret_token"] == WEBHOOK_SECRET
    assert call["allowed_updates"] == ["message", "edited_message", "callback_query"]
    assert call["drop_pending_updates"] in (False, "false")


async def test_set_webhook_refuses_plain_http_and_a_missing_secret(channel_settings: Settings, bot_api: FakeBotAPI,
                                                                   redis_url: str) -> None:
    assert await set_webhook(channel_settings, "http://caunoi.example.org/webhooks/telegram") == 2
    no_secret = make_settings(REDIS_URL=redis_url, CAUNOI_TELEGRAM_TOKEN="1:x", CAUNOI_TELEGRAM_API_URL=bot_api.url)
    assert await set_webhook(no_secret, "https://caunoi.example.org/webhooks/telegram") == 2
    assert bot_api.called("setWebhook") == []


def test_the_command_needs_a_token(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                                   redis_url: str) -> None:
    from bot.settings import get_settings

    # Through the environment, as a person would: patching get_settings would leak into CLI modules imported now.
    monkeypatch.setenv("REDIS_URL", redis_url)
    monkeypatch.delenv("CAUNOI_TELEGRAM_TOKEN", raising=False)
    get_settings.cache_clear()
    try:
        assert main(["telegram", "poll"]) == 2
    finally:
        get_settings.cache_clear()
    assert "CAUNOI_TELEGRAM_TOKEN" in capsys.readouterr().err


async def poll_until_answered(settings: Settings, bot_api: FakeBotAPI, rasa: FakeRasa, options: GatewayOptions,
                              answers: int) -> None:
    """`caunoi telegram poll`'s loop, until `answers` messages went out and the next fetch asked past them."""
    stop = asyncio.Event()
    async with rasa.serving() as url, Gateway.running(backed_by(settings, url), options) as gateway:
        assert gateway.telegram is not None
        task = asyncio.create_task(poll_updates(gateway, gateway.telegram.bot, stop, poll_seconds=0))
        await bot_api.wait_for("sendMessage", answers)
        await bot_api.wait_for("getUpdates", len(bot_api.called("getUpdates")) + 1)
        stop.set()
        await asyncio.wait_for(task, 5)


async def test_poll_feeds_updates_through_the_same_path(channel_settings: Settings, bot_api: FakeBotAPI,
                                                        rasa: FakeRasa, options: GatewayOptions,
                                                        redis_client: redis.asyncio.Redis) -> None:
    first, second = text_update(31, "/start poll_test"), text_update(31, "xin chào")
    bot_api.updates.extend([first, second])
    await poll_until_answered(channel_settings, bot_api, rasa, options, answers=2)
    assert rasa.messages() == ["/greet", "xin chào"]
    assert rasa.received[0]["metadata"]["campaign"] == "poll_test"
    offsets = [int(call.get("offset") or 0) for call in bot_api.called("getUpdates")]
    assert offsets[0] == 0 and offsets[-1] == second["update_id"] + 1


async def test_poll_reads_real_updates_python_telegram_bot_refuses(channel_settings: Settings, bot_api: FakeBotAPI,
                                                                 rasa: FakeRasa, options: GatewayOptions,
                                                                 redis_client: redis.asyncio.Redis) -> None:
    # Telegram's own guide's text update has no `from.is_bot`: Bot.get_updates raised on it and polling stopped.
    # A game in a private chat is nothing the gateway reads: the person is still answered, with the numbers.
    guide, game = (json.loads((REAL / name).read_text(encoding="utf-8")) for name in ("guide_text.json",
                                                                                       "aiogram_game.json"))
    guide["message"]["text"] = "xin chào"
    bot_api.updates.extend([guide, game])
    await poll_until_answered(channel_settings, bot_api, rasa, options, answers=2)
    assert rasa.messages() == ["xin chào"]
    chat = str(game["message"]["chat"]["id"])
    notices = [call for call in bot_api.called("sendMessage") if str(call["chat_id"]) == chat]
    assert len(notices) == 1 and "113" in notices[0]["text"]
    offsets = [int(call.get("offset") or 0) for call in bot_api.called("getUpdates")]
    assert offsets[-1] == game["update_id"] + 1
