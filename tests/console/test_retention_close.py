"""Closing a handoff keeps the conversation for its outcome's period, counted from the close
(bot/state/retention.py)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import pytest

from bot.state import keys
from bot.state.queue import Case
from harness.botapi import FakeBotAPI
from harness.rasa import FakeRasa
from tests.console.conftest import console_settings
from tests.console.harness import Console, console_app, over_asgi

PERSON = "tg:737373"
DAY = 24 * 3600


@pytest.fixture
async def console(redis_url: str, bot_api: FakeBotAPI, rasa: FakeRasa) -> AsyncIterator[Console]:
    settings = console_settings(redis_url, bot_api, CAUNOI_RETENTION_DAYS="30",
                                CAUNOI_RETENTION_BY_OUTCOME="referred=90,false_alarm=7")
    async with over_asgi(console_app(settings, rasa)) as running:
        yield running


async def handed_over(console: Console) -> None:
    await console.gateway.transcript.append(PERSON, "person", "tôi bị giữ hộ chiếu")
    await console.gateway.queue.enqueue(Case(PERSON, "telegram", "high", ("Bị giữ giấy tờ",), "", "", time.time()))


@pytest.mark.parametrize(("outcome", "referral", "days"), [
    ("referred", {"entry_id": "tong-dai-111"}, 90),
    ("false_alarm", None, 7),
    ("informed", None, 30),
])
async def test_close_keeps_the_conversation_for_its_outcomes_period(console: Console, outcome: str,
                                                                    referral: dict[str, str] | None,
                                                                    days: int) -> None:
    await handed_over(console)
    hoa = await console.login("hoa")
    await hoa.post(f"/api/conversations/{PERSON}/claim")
    await hoa.post(f"/api/conversations/{PERSON}/notes", {"text": "Đã gọi 111."})
    body = {"outcome": outcome, **({"referral": referral} if referral else {})}
    response = await hoa.post(f"/api/conversations/{PERSON}/close", body)
    assert response.status_code == 200
    await console.services.handoffs.idle()

    period = days * DAY
    redis = console.gateway.redis
    deadline = await redis.zscore(keys.RETENTION, PERSON)
    assert deadline is not None and period - 60 < deadline - time.time() <= period + 0.01
    # The transcript (the closing message included), notes and handoff record live exactly that long.
    for key in (keys.transcript(PERSON), keys.case_notes(PERSON), keys.handoffs(PERSON)):
        assert period - 60 < await redis.ttl(key) <= period, key


async def test_a_note_after_a_referral_keeps_the_referral_period(console: Console) -> None:
    await handed_over(console)
    hoa = await console.login("hoa")
    await hoa.post(f"/api/conversations/{PERSON}/claim")
    await hoa.post(f"/api/conversations/{PERSON}/close", {"outcome": "referred",
                                                          "referral": {"entry_id": "tong-dai-111"}})
    await console.services.handoffs.idle()
    # Weeks later an operator writes what the referral partner said: notes and transcript keep 90 days from then.
    await hoa.post(f"/api/conversations/{PERSON}/notes", {"text": "Đối tác đã liên hệ được."})
    for key in (keys.case_notes(PERSON), keys.transcript(PERSON)):
        assert 90 * DAY - 60 < await console.gateway.redis.ttl(key) <= 90 * DAY, key


async def test_what_the_console_sends_is_noted_for_deletion_on_an_erase(console: Console,
                                                                        bot_api: FakeBotAPI) -> None:
    await handed_over(console)
    hoa = await console.login("hoa")
    await hoa.post(f"/api/conversations/{PERSON}/claim")
    response = await hoa.post(f"/api/conversations/{PERSON}/messages", {"text": "Bạn đang ở đâu?"})
    assert response.status_code == 200
    sent = await bot_api.wait_for("sendMessage", 2)  # "joined", then the reply
    noted = await console.gateway.redis.zrange(keys.chat_messages(PERSON), 0, -1)
    assert len([member for member in noted if member.startswith("b")]) == len(sent) == 2
