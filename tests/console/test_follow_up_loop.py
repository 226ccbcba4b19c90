"""The referral loop closed, over the real gateway and console: the operator proposes, the person agrees to be asked
later (tapping the consent buttons), the operator closes the conversation; days later (the check-in's due time moved
to now) the bot asks "Bạn đã liên hệ được với … chưa?", the person answers "chưa liên hệ được", and the conversation
is back in the operators' queue with the organisation named, the answer on the referral and in the numbers."""

from __future__ import annotations

import time

import pytest

from bot.settings import Settings
from bot.state import keys
from harness.botapi import FakeBotAPI
from harness.rasa import FakeRasa
from tests.console.conftest import console_settings
from tests.console.harness import Console
from tests.console.test_referrals import PERSON, SUMMARY, buttons, last_message, person_presses, propose, setup


@pytest.fixture
def settings(redis_url: str, bot_api: FakeBotAPI) -> Settings:
    return console_settings(redis_url, bot_api, CAUNOI_FOLLOW_UP_TICK_SECONDS="0.05")


async def test_not_reached_comes_back_to_the_queue_with_the_organisation(console: Console, bot_api: FakeBotAPI,
                                                                         rasa: FakeRasa) -> None:
    hoa = await setup(console)
    bot_api.reset()
    referral = await propose(hoa)
    await person_presses(console, buttons(await last_message(bot_api, 1))[0][1])  # "Đồng ý": shared
    await person_presses(console, buttons(await last_message(bot_api, 2))[1][1])  # no contact route
    await person_presses(console, buttons(await last_message(bot_api, 3))[1][1])  # no transcript
    await person_presses(console, buttons(await last_message(bot_api, 4))[0][1])  # the bot may check in later
    store = console.gateway.follow_ups
    assert store is not None
    pending = await store.get(PERSON, referral["id"])
    stored = await console.gateway.consent.referrals.get(referral["id"])  # type: ignore[union-attr]
    assert stored is not None and pending is not None
    assert await console.gateway.redis.zrange(keys.FOLLOW_UPS_DUE, 0, -1) == [f"{PERSON} {referral['id']}"]
    assert pending.due_at == stored.follow_up_due_at and pending.due_at > time.time() + 3 * 86400 - 60

    # While Hoa holds the conversation nothing is asked; she closes it, and three days pass.
    closed = await hoa.post(f"/api/conversations/{PERSON}/close", {"outcome": "informed"})
    assert closed.status_code == 200, closed.text
    sent = len(bot_api.called("sendMessage"))
    await console.gateway.redis.zadd(keys.FOLLOW_UPS_DUE, {f"{PERSON} {referral['id']}": time.time()})
    question = await last_message(bot_api, sent + 1)
    assert question["text"].endswith("bạn đã liên hệ được với Trợ giúp pháp lý chưa?")
    not_reached = dict(buttons(question))["Chưa liên hệ được"]
    await person_presses(console, not_reached)
    assert "người hỗ trợ" in (await last_message(bot_api, sent + 2))["text"]
    assert rasa.messages(PERSON) == []

    lan = await console.login("lan")
    [waiting] = (await lan.get("/api/queue")).json()["waiting"]
    assert waiting["id"] == PERSON and waiting["summary"] == SUMMARY
    assert waiting["reasons"] == ["Hỏi thăm sau giới thiệu: chưa liên hệ được với Trợ giúp pháp lý"]
    supervisor = await console.login("sup", role="supervisor")
    detail = (await supervisor.get(f"/api/referrals/{referral['id']}")).json()["referral"]
    assert detail["follow_up_answer"] == "not_reached"
    assert [h["status"] for h in detail["history"]][-2:] == ["follow_up_asked", "follow_up_answered"]
    # The organisation sees its referral, not the hotline's check-in with the person (asked, answered, or why not).
    partner = await console.login("minh", role="partner", org="tgpl")
    shown = (await partner.get(f"/api/referrals/{referral['id']}")).json()["referral"]
    assert shown["history"] and not any(h["status"].startswith("follow_up") for h in shown["history"])
    assert "follow_up_answer" not in shown
