"""What the console tells a person by itself (nobody online, a long wait, the chat closed) gives a number that works
where they are: the consular line first when the conversation shows they are abroad, both routes otherwise."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import pytest

from bot.console import ConsoleOptions
from bot.content.console import console_texts
from bot.settings import PROJECT_ROOT
from bot.state.queue import Case
from harness.botapi import FakeBotAPI
from harness.rasa import FakeRasa
from tests.console.conftest import console_settings
from tests.console.harness import CHEAP_HASHER, Console, console_app, over_asgi

NOW = time.time()
TEXTS = console_texts((PROJECT_ROOT / "content" / "vi").resolve())
CONSULAR = "+84 981 84 84 84"


@pytest.fixture
async def swept(redis_url: str, bot_api: FakeBotAPI, rasa: FakeRasa) -> AsyncIterator[tuple[Console, list[float]]]:
    clock = [NOW]
    settings = console_settings(redis_url, bot_api, CAUNOI_WAIT_NOTICE_MINUTES="10")
    options = ConsoleOptions(hasher=CHEAP_HASHER, run_background=False, clock=lambda: clock[0])
    async with over_asgi(console_app(settings, rasa, options)) as console:
        yield console, clock


def sent_to(bot_api: FakeBotAPI, chat: str) -> list[str]:
    return [call["text"] for call in bot_api.called("sendMessage") if str(call["chat_id"]) == chat]


def consular_first(text: str) -> bool:
    return CONSULAR in text and all(text.index(CONSULAR) < text.index(code) for code in ("111", "113") if code in text)


async def test_every_notice_gives_the_consular_line_beside_the_domestic_numbers() -> None:
    for name in ("closed", "long_wait", "nobody_online"):
        general, abroad = TEXTS.for_place(name, False), TEXTS.for_place(name, True)
        assert CONSULAR in general and "111" in general, name
        assert general != abroad and consular_first(abroad), name


@pytest.mark.parametrize(("wrote", "kind"), [
    ("minh dang o ben cam, ho giu ho chieu", "text"),  # no diacritics, "Cam" after "bên"
    ("tôi ở Sihanoukville", "text"),  # a city names the country
    ("[vị trí] 10.62000, 103.52000", "location"),  # a GPS point in Sihanoukville
])
async def test_nobody_online_abroad_puts_the_consular_line_first(swept: tuple[Console, list[float]],
                                                                 bot_api: FakeBotAPI, wrote: str, kind: str) -> None:
    console, _ = swept
    await console.gateway.transcript.append("tg:41", "person", wrote, kind)
    await console.gateway.queue.enqueue(Case("tg:41", "telegram", "high", enqueued_at=NOW - 90))
    await console.services.sweeper.tick()
    assert sent_to(bot_api, "41") == [TEXTS.nobody_online_abroad]


async def test_in_vietnam_or_unknown_the_notice_carries_both_routes(swept: tuple[Console, list[float]],
                                                                    bot_api: FakeBotAPI) -> None:
    console, _ = swept
    await console.gateway.transcript.append("tg:42", "person", "[vị trí] 21.02800, 105.85400", "location")  # Hà Nội
    await console.gateway.transcript.append("tg:42", "person", "trước đây tôi muốn đi campuchia")
    await console.gateway.queue.enqueue(Case("tg:42", "telegram", "high", enqueued_at=NOW - 90))
    await console.gateway.queue.enqueue(Case("tg:43", "telegram", "low", enqueued_at=NOW - 90))
    await console.services.sweeper.tick()
    # The GPS point decides over a country named: the point is in Hà Nội.
    assert sent_to(bot_api, "42") == [TEXTS.nobody_online] == sent_to(bot_api, "43")


async def test_a_long_wait_abroad_puts_the_consular_line_first(swept: tuple[Console, list[float]],
                                                               bot_api: FakeBotAPI) -> None:
    console, clock = swept
    await console.services.presence.seen("hoa")
    await console.services.availability.set("hoa", "on_duty")
    await console.gateway.transcript.append("tg:44", "person", "cuu voi toi dang o myanmar")
    await console.gateway.queue.enqueue(Case("tg:44", "telegram", "medium", enqueued_at=NOW - 30))
    clock[0] = NOW + 10 * 60
    await console.services.presence.seen("hoa")
    await console.services.sweeper.tick()
    assert sent_to(bot_api, "44") == [TEXTS.long_wait_abroad]


async def test_closing_a_conversation_abroad_gives_the_consular_line_first(swept: tuple[Console, list[float]],
                                                                          bot_api: FakeBotAPI) -> None:
    console, _ = swept
    for chat, wrote in (("45", "em đang ở bên Lào, không về được"), ("46", "em ở Nghệ An")):
        await console.gateway.transcript.append(f"tg:{chat}", "person", wrote)
        await console.gateway.queue.enqueue(Case(f"tg:{chat}", "telegram", "high", enqueued_at=NOW))
    hoa = await console.login("hoa")
    for chat in ("45", "46"):
        assert (await hoa.post(f"/api/conversations/tg:{chat}/claim")).status_code == 200
        closed = await hoa.post(f"/api/conversations/tg:{chat}/close", {"outcome": "informed"})
        assert closed.status_code == 200, closed.text
    await console.services.handoffs.idle()
    assert sent_to(bot_api, "45")[-1] == TEXTS.closed_abroad
    assert sent_to(bot_api, "46")[-1] == TEXTS.closed and CONSULAR in TEXTS.closed
