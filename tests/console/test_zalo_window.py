"""Zalo's 48-hour reply window in the console (bot/console/window.py): shown on every Zalo conversation, counted from
the person's last message, a late reply refused with the reason before anything is posted, and the person told once
as a handoff starts."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import pytest
import redis.asyncio

from bot.channels.zalo import REPLY_WINDOW_SECONDS
from bot.console import ConsoleOptions
from bot.console.window import READ_AT_MOST, reply_window, window_of
from bot.gateway.parts import GatewayOptions
from bot.state import keys
from bot.state.queue import Case
from bot.state.transcript import Entry, Transcript
from harness.botapi import FakeBotAPI
from tests.channels.fakes import FakeZalo
from tests.console.conftest import console_settings
from tests.console.harness import CHEAP_HASHER, Console, FakeRasa, console_app, gateway_options, over_asgi

PERSON = "zalo:7770000000000000042"
HOUR = 3600.0
NOW = round(time.time())
START = NOW - HOUR  # the person wrote an hour ago


@pytest.fixture
def zalo_api() -> FakeZalo:
    return FakeZalo()


@pytest.fixture
async def zalo_console(redis_url: str, bot_api: FakeBotAPI, rasa: FakeRasa,
                       zalo_api: FakeZalo) -> AsyncIterator[Console]:
    """A console whose gateway posts Zalo messages to the double, its clock stopped at NOW (sessions read it too:
    the person's messages are dated back rather than the clock moved on)."""
    settings = console_settings(redis_url, bot_api, CAUNOI_ZALO_APP_ID="1111222233334444",
                                CAUNOI_ZALO_OA_SECRET="fake-oa-secret-key", CAUNOI_ZALO_APP_SECRET="fake-app-secret",
                                CAUNOI_ZALO_ACCESS_TOKEN="fake-access-1", CAUNOI_ZALO_REFRESH_TOKEN="fake-refresh-1",
                                CAUNOI_ZALO_API_URL="http://zalo.test", CAUNOI_ZALO_OAUTH_URL="http://oauth.zalo.test")
    options = ConsoleOptions(hasher=CHEAP_HASHER, run_background=False, clock=lambda: float(NOW))
    gateway = GatewayOptions(**{**gateway_options().__dict__, "zalo_transport": zalo_api.transport()})
    async with over_asgi(console_app(settings, rasa, options, gateway)) as console:
        yield console


async def wrote(console: Console, at: float, conversation: str = PERSON, risk: str = "high") -> None:
    """The person wrote at `at` and the conversation waits in the queue."""
    await console.gateway.transcript.append_many(conversation, [
        Entry("person", "cứu tôi với", at=at), Entry("bot", "Mình đã chuyển bạn tới người hỗ trợ.", at=at + 1)])
    if await console.gateway.queue.case(conversation) is None:
        await console.gateway.queue.enqueue(Case(conversation, conversation.split(":")[0], risk, enqueued_at=at + 1))


def test_the_window_counts_from_the_persons_newest_entry_of_any_kind() -> None:
    entries = [{"from": "person", "kind": "text", "at": 10.0}, {"from": "bot", "at": 11.0},
               {"from": "person", "kind": "button", "at": 20.0}, {"from": "bot", "at": 21.0},
               {"from": "operator", "at": 22.0}, {"from": "operator", "at": 23.0, "undeliverable": True},
               {"from": "system", "at": 24.0}]
    window = window_of(entries)
    assert window is not None and window.last_message_at == 20.0 and window.replies == 2
    assert window.closes_at == 20.0 + REPLY_WINDOW_SECONDS == 20.0 + 48 * HOUR
    assert window.open(20.0 + 48 * HOUR - 1) and not window.open(20.0 + 48 * HOUR)
    assert window_of([{"from": "bot", "at": 1.0}]) is None


async def test_the_last_message_is_found_far_back(redis_client: redis.asyncio.Redis) -> None:
    transcript = Transcript(redis_client)
    for back in (0, 1, 4, 5, 6, 24, 25, 26, 150, READ_AT_MOST - 1):  # around the steps it reads by
        conversation = f"zalo:far-{back}"
        await transcript.append_many(conversation, [Entry("bot", "chào", at=START - 1), Entry("person", "xin chào",
                                                    at=START)] + [Entry("bot", f"tin {n}", at=START + n)
                                                                  for n in range(back)])
        window = await reply_window(transcript, conversation)
        assert window is not None and (window.last_message_at, window.replies) == (START, back), back
    await transcript.append_many("zalo:too-far", [Entry("person", "xin chào", at=START)] +
                                 [Entry("bot", "tin", at=START) for _ in range(READ_AT_MOST)])
    assert await reply_window(transcript, "zalo:too-far") is None  # unknown: not refused, Zalo will say
    assert await reply_window(transcript, "zalo:nobody") is None


async def test_every_zalo_conversation_shows_its_window(zalo_console: Console) -> None:
    console = zalo_console
    await wrote(console, START)
    await wrote(console, START, "tg:77", risk="medium")
    lan = await console.login("lan")
    detail = (await lan.get(f"/api/conversations/{PERSON}")).json()
    window = detail["reply_window"]
    assert window["open"] is True and window["replies"] == 1 and window["free_replies"] == 8
    assert window["closes_at"].endswith("+07:00")
    assert 47 * HOUR - 60 <= window["seconds_left"] <= 47 * HOUR + 60
    assert (await lan.get("/api/conversations/tg:77")).json()["reply_window"] is None  # Telegram has none
    queue = (await lan.get("/api/queue")).json()
    by_id = {case["id"]: case for case in queue["waiting"]}
    assert by_id[PERSON]["reply_window"]["closes_at"] == window["closes_at"]
    assert by_id["tg:77"]["reply_window"] is None

    await wrote(console, NOW - 49 * HOUR, "zalo:7770000000000000043")
    late = (await lan.get("/api/conversations/zalo:7770000000000000043")).json()["reply_window"]
    assert late["open"] is False and late["seconds_left"] == 0


async def test_a_reply_inside_the_window_goes_out(zalo_console: Console,
                                                  zalo_api: FakeZalo) -> None:
    console = zalo_console
    await wrote(console, NOW - 47 * HOUR)
    hoa = await console.login("hoa", alias="Hoa")
    assert (await hoa.post(f"/api/conversations/{PERSON}/claim")).status_code == 200
    response = await hoa.post(f"/api/conversations/{PERSON}/messages", {"text": "Bạn có an toàn không?"})
    assert response.status_code == 200 and response.json() == {"delivered": True}
    assert zalo_api.texts()[-1] == "Bạn có an toàn không?"


async def test_a_reply_after_the_window_is_refused_with_the_reason(zalo_console: Console,
                                                                   zalo_api: FakeZalo) -> None:
    console = zalo_console
    await wrote(console, NOW - 48 * HOUR - 5)
    hoa = await console.login("hoa", alias="Hoa")
    assert (await hoa.post(f"/api/conversations/{PERSON}/claim")).status_code == 200
    sent_before = len(zalo_api.sends)  # the welcome (the double does not play -305)
    entries_before = await console.gateway.transcript.length(PERSON)
    response = await hoa.post(f"/api/conversations/{PERSON}/messages", {"text": "Bạn còn đó không?"})
    assert response.status_code == 409
    reason = response.json()["error"]
    assert reason.startswith("the Zalo reply window closed at ") and "48 hours" in reason and "-305" in reason
    assert "Bạn còn đó" not in reason and "7770000000000000042" not in reason
    assert len(zalo_api.sends) == sent_before  # nothing posted
    assert await console.gateway.transcript.length(PERSON) == entries_before  # nor recorded as undeliverable

    # The person writes again: the window opens again and the reply goes out.
    await console.gateway.transcript.append(PERSON, "person", "mình vẫn đây", at=NOW)
    again = await hoa.post(f"/api/conversations/{PERSON}/messages", {"text": "Bạn còn đó không?"})
    assert again.status_code == 200 and again.json() == {"delivered": True}


async def test_someone_who_does_not_hold_it_is_told_that_first(zalo_console: Console) -> None:
    console = zalo_console
    await wrote(console, NOW - 50 * HOUR)
    hoa, minh = await console.login("hoa"), await console.login("minh")
    await hoa.post(f"/api/conversations/{PERSON}/claim")
    response = await minh.post(f"/api/conversations/{PERSON}/messages", {"text": "Chào bạn"})
    assert response.status_code == 409 and response.json() == {"error": "you do not hold this conversation"}


async def test_the_person_is_told_once_as_the_handoff_starts(zalo_console: Console,
                                                              zalo_api: FakeZalo, bot_api: FakeBotAPI) -> None:
    console = zalo_console
    await wrote(console, NOW - 60)
    await wrote(console, NOW - 60, "tg:78")
    await console.services.presence.seen("hoa")  # someone is on duty: no other notice gets in the way
    await console.services.availability.set("hoa", "on_duty")
    await console.services.sweeper.tick()
    await console.services.sweeper.tick()
    told = [text for text in zalo_api.texts() if "48 giờ" in text]
    assert len(told) == 1 and "nhắn thêm một tin bất kỳ" in told[0]
    assert not any("48 giờ" in call["text"] for call in bot_api.called("sendMessage"))  # Zalo only

    hoa = await console.login("hoa", alias="Hoa")
    await hoa.post(f"/api/conversations/{PERSON}/claim")
    assert len([text for text in zalo_api.texts() if "48 giờ" in text]) == 1  # not again when claimed
    last = (await console.gateway.transcript.read(PERSON))[-1]
    assert last["from"] == "bot" and "Hoa" in last["text"]


async def test_claimed_at_once_it_comes_with_the_welcome(zalo_console: Console, zalo_api: FakeZalo,
                                                          redis_client: redis.asyncio.Redis) -> None:
    console = zalo_console
    await wrote(console, NOW - 5)
    hoa = await console.login("hoa", alias="Hoa")
    await hoa.post(f"/api/conversations/{PERSON}/claim")  # before the sweep's grace: the claim tells them
    texts = zalo_api.texts()
    assert texts[0].startswith("Chào bạn, mình là Hoa") and "48 giờ" in texts[1] and len(texts) == 2
    await console.services.sweeper.tick()
    assert len(zalo_api.texts()) == 2
    assert await redis_client.hget(keys.notices(PERSON), "zalo_window")
