"""bench/floor.py does the least the bench says it does, for real: the webhook's secret checked, the message deduped
and stored in Redis before the 200, Rasa asked, every reply posted to the Bot API in order, each turn's Rasa call
logged for the bench. Its numbers stand for "any gateway on this stack" in reports/bench.md."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis.asyncio
from asgi_lifespan import LifespanManager

from bench.floor import Floor
from bench.gateway import rasa_calls
from bot.privacy import log_id
from harness.botapi import TOKEN, FakeBotAPI, text_update
from harness.rasa import FakeRasa

SECRET = "floor-secret"


def three_replies(turn: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"recipient_id": turn["sender"], "text": "Chào bạn."},
            {"recipient_id": turn["sender"], "text": "Bạn cần gì?", "buttons": [{"title": "Hỏi", "payload": "/ask"}]},
            {"recipient_id": turn["sender"], "text": "Mình ở đây."}]


@pytest.fixture
def rasa() -> Iterator[FakeRasa]:
    """Served on a real port: the floor asks Rasa with aiohttp, not through an httpx transport."""
    server = FakeRasa(replies=three_replies)
    server.start()
    yield server
    server.stop()


@pytest.fixture
async def floor(redis_url: str, bot_api: FakeBotAPI, rasa: FakeRasa,
                monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[httpx.AsyncClient]:
    for name, value in {"CAUNOI_TELEGRAM_WEBHOOK_SECRET": SECRET, "CAUNOI_SECRET_KEY": "k", "REDIS_URL": redis_url,
                        "CAUNOI_RASA_URL": rasa.url, "CAUNOI_TELEGRAM_API_URL": bot_api.url,
                        "CAUNOI_TELEGRAM_TOKEN": TOKEN}.items():
        monkeypatch.setenv(name, value)
    app = Floor()
    async with LifespanManager(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://floor") as client:
            yield client  # the lifespan's end waits for turns still running


async def test_a_forged_webhook_is_refused_and_nothing_is_stored(floor: httpx.AsyncClient,
                                                                redis_client: redis.asyncio.Redis) -> None:
    answer = await floor.post("/webhooks/telegram", json=text_update(7, "xin chào"),
                              headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"})
    assert answer.status_code == 403
    assert await redis_client.keys("floor:*") == []


async def test_a_turn_is_stored_asked_and_answered_in_order_once(
        floor: httpx.AsyncClient, bot_api: FakeBotAPI, rasa: FakeRasa,
        redis_client: redis.asyncio.Redis, capfd: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    update = text_update(7, "xin chào")
    for _ in range(2):  # Telegram delivering the same update twice
        answer = await floor.post("/webhooks/telegram", json=update,
                                  headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
        assert answer.status_code == 200
    sent = await bot_api.wait_for("sendMessage", 2)
    # The bot's first two texts go as one message, as the gateway joins them (bot/channels/splitting.py).
    assert [message["text"] for message in sent] == ["Chào bạn.\n\nBạn cần gì?", "Mình ở đây."]
    assert all(str(message["chat_id"]) == "7" for message in sent)
    assert rasa.messages() == ["xin chào"]
    assert await redis_client.exists(f"floor:seen:{update['update_id']}")
    log = tmp_path / "gateway.log"  # what the bench reads to take each turn's Rasa call out of its time
    log.write_text(capfd.readouterr().err, encoding="utf-8")
    calls = rasa_calls(log)
    assert list(calls) == [log_id("tg:7", "k")] and len(calls[log_id("tg:7", "k")]) == 1
