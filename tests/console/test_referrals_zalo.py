"""A referral's consent question on Zalo with numbered options (CAUNOI_ZALO_CHOICES=numbers): the options arrive as a
numbered list, a bare "1" agrees, a typed "khong" refuses the next question; a Zalo conversation past its 48-hour
window gets no question at all (Zalo would refuse it)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import pytest

from bot.console import ConsoleOptions
from bot.gateway.parts import GatewayOptions
from bot.messages import Inbound
from bot.state.organisations import Organisation, OrganisationStore
from bot.state.queue import Case
from harness.botapi import FakeBotAPI
from tests.channels.fakes import FakeZalo
from tests.console.conftest import console_settings
from tests.console.harness import CHEAP_HASHER, Console, FakeRasa, console_app, gateway_options, over_asgi

PERSON = "zalo:7770000000000000077"
ENTRY = "tro-giup-phap-ly-1800-1233"
SUMMARY = "Em 19 tuổi, bị hứa việc làm ở Campuchia, cần tư vấn."


@pytest.fixture
def zalo_api() -> FakeZalo:
    return FakeZalo()


@pytest.fixture
async def zalo_console(redis_url: str, bot_api: FakeBotAPI, rasa: FakeRasa,
                       zalo_api: FakeZalo) -> AsyncIterator[Console]:
    settings = console_settings(redis_url, bot_api, CAUNOI_ZALO_APP_ID="1111222233334444",
                                CAUNOI_ZALO_OA_SECRET="fake-oa-secret-key", CAUNOI_ZALO_APP_SECRET="fake-app-secret",
                                CAUNOI_ZALO_ACCESS_TOKEN="fake-access-1", CAUNOI_ZALO_REFRESH_TOKEN="fake-refresh-1",
                                CAUNOI_ZALO_API_URL="http://zalo.test", CAUNOI_ZALO_OAUTH_URL="http://oauth.zalo.test",
                                CAUNOI_ZALO_CHOICES="numbers")
    options = ConsoleOptions(hasher=CHEAP_HASHER, run_background=False)
    gateway = GatewayOptions(**{**gateway_options().__dict__, "zalo_transport": zalo_api.transport()})
    async with over_asgi(console_app(settings, rasa, options, gateway)) as console:
        yield console


async def person_writes(console: Console, text: str, number: int) -> None:
    inbound = Inbound("zalo", PERSON, f"m{number}", text=text)
    await console.gateway.accept(inbound, dedupe=f"zalo-test-{number}")
    await console.settle()


async def test_numbered_options_on_zalo(zalo_console: Console, zalo_api: FakeZalo, rasa: FakeRasa) -> None:
    console = zalo_console
    await OrganisationStore(console.gateway.redis).put(Organisation("tgpl", "Trợ giúp pháp lý", (ENTRY,)))
    await console.gateway.queue.enqueue(Case(PERSON, "zalo", "medium", enqueued_at=time.time()))
    await person_writes(console, "cứu em với", 1)
    hoa = await console.login("hoa")
    claimed = await hoa.post(f"/api/conversations/{PERSON}/claim")
    assert claimed.status_code == 200, claimed.text
    response = await hoa.post(f"/api/conversations/{PERSON}/referrals", {"entry_id": ENTRY, "summary": SUMMARY})
    assert response.status_code == 201, response.text
    question = zalo_api.texts()[-1]
    assert SUMMARY in question and "1" in question and "Đồng ý" in question and "Không" in question
    await person_writes(console, "1", 2)  # the first option: Đồng ý
    referral = await console.gateway.consent.referrals.get(response.json()["referral"]["id"])  # type: ignore[union-attr]
    assert referral is not None and referral.status == "sent"
    assert "liên lạc lại" in zalo_api.texts()[-1]
    await person_writes(console, "khong", 3)  # typed, no diacritics: the contact question is answered no
    referral = await console.gateway.consent.referrals.get(referral.id)  # type: ignore[union-attr]
    assert referral is not None and referral.consent.share_contact is False
    assert rasa.messages(PERSON) == []


async def test_no_question_outside_zalos_window(zalo_console: Console, zalo_api: FakeZalo) -> None:
    console = zalo_console
    await OrganisationStore(console.gateway.redis).put(Organisation("tgpl", "Trợ giúp pháp lý", (ENTRY,)))
    await console.gateway.queue.enqueue(Case(PERSON, "zalo", "medium", enqueued_at=time.time()))
    await console.gateway.transcript.append(PERSON, "person", "cứu em", at=time.time() - 49 * 3600)
    hoa = await console.login("hoa")
    await hoa.post(f"/api/conversations/{PERSON}/claim")
    sent = len(zalo_api.sends)
    response = await hoa.post(f"/api/conversations/{PERSON}/referrals", {"entry_id": ENTRY, "summary": SUMMARY})
    assert response.status_code == 409 and "48" in response.json()["error"]
    assert len(zalo_api.sends) == sent and await console.gateway.consent.referrals.all() == []  # type: ignore[union-attr]
