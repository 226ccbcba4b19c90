"""The night shift over the API (bot/console/shift.py, board.py): unread counts on held conversations, availability,
held conversations handed back when their operator is gone, transfers with a handover note, close's wrap-up, and the
supervisor's board of problems. A real Redis, the real gateway app, over ASGI; the console's clock is moved by hand
where a grace period has to pass."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator

import pytest

from bot.console import ConsoleOptions
from bot.settings import Settings
from bot.state import keys
from bot.state.erase import erase
from bot.state.queue import Case
from harness.botapi import FakeBotAPI
from harness.rasa import FakeRasa
from tests.console.conftest import Clock, console_settings
from tests.console.harness import CHEAP_HASHER, PASSWORD, Console, console_app, over_asgi

PERSON = "tg:515151"


@pytest.fixture
def settings(redis_url: str, bot_api: FakeBotAPI) -> Settings:
    return console_settings(redis_url, bot_api, CAUNOI_HANDBACK_GRACE_MINUTES="2", CAUNOI_UNANSWERED_MINUTES="3",
                            CAUNOI_HIGH_RISK_REALERT_MINUTES="5", CAUNOI_SESSION_IDLE_MINUTES="30")


@pytest.fixture
async def console(settings: Settings, rasa: FakeRasa, clock: Clock) -> AsyncIterator[Console]:
    options = ConsoleOptions(hasher=CHEAP_HASHER, heartbeat_seconds=0.5, sweep_seconds=3600, clock=clock)
    async with over_asgi(console_app(settings, rasa, options)) as running:
        yield running


async def queued(console: Console, conversation_id: str = PERSON, risk: str = "high", at: float | None = None) -> None:
    await console.gateway.queue.enqueue(Case(conversation_id, "telegram", risk, ("Bị giữ giấy tờ",),
                                             "Người nhắn nói đang ở Campuchia.", "", at or time.time()))


async def person_writes(console: Console, text: str, at: float) -> None:
    await console.gateway.transcript.append(PERSON, "person", text, at=at)


async def held_item(session: object, conversation_id: str = PERSON) -> dict[str, object]:
    body = (await session.get("/api/queue")).json()  # type: ignore[attr-defined]
    return next(item for item in body["held"] if item["id"] == conversation_id)


async def test_unread_counts_the_persons_messages_until_the_holder_opens_or_answers(console: Console) -> None:
    # Real time throughout (the gateway stamps the operator's reply with it); the short sleeps only keep the order
    # of the timestamps, nothing is timed.
    await queued(console)
    hoa = await console.login("hoa", alias="Hoa")
    assert (await hoa.post(f"/api/conversations/{PERSON}/claim")).status_code == 200
    item = await held_item(hoa)
    assert item["unread"] == 0 and item["waiting_for_reply_since"] is None
    await asyncio.sleep(0.01)
    await person_writes(console, "Anh ơi", time.time())
    first = time.time()
    await person_writes(console, "Em sợ lắm", first)
    item = await held_item(hoa)
    assert item["unread"] == 2 and item["waiting_for_reply_since"] is not None
    # Someone else looking (a supervisor) does not read it for the holder.
    boss = await console.login("boss", role="supervisor")
    await boss.get(f"/api/conversations/{PERSON}")
    assert (await held_item(hoa))["unread"] == 2
    await asyncio.sleep(0.01)
    assert (await hoa.get(f"/api/conversations/{PERSON}")).status_code == 200
    item = await held_item(hoa)
    assert item["unread"] == 0 and item["waiting_for_reply_since"] is not None  # read, not yet answered
    await asyncio.sleep(0.01)
    await person_writes(console, "Anh còn đó không", time.time())
    assert (await held_item(hoa))["unread"] == 1
    await asyncio.sleep(0.01)
    assert (await hoa.post(f"/api/conversations/{PERSON}/messages", {"text": "Mình đây"})).status_code == 200
    item = await held_item(hoa)
    assert item["unread"] == 0 and item["waiting_for_reply_since"] is None
    # The queue's other readers see the holder's count too (a supervisor's board, another operator).
    assert (await held_item(boss))["unread"] == 0


async def test_status_is_on_duty_at_login_and_only_on_duty_operators_receive_transfers(console: Console) -> None:
    await queued(console)
    hoa, minh = await console.login("hoa"), await console.login("minh")
    assert (await hoa.get("/api/me")).json()["status"]["status"] == "on_duty"
    bad = await minh.post("/api/me/status", {"status": "asleep"})
    assert bad.status_code == 400 and "on_duty" in bad.json()["error"]
    moved = await minh.post("/api/me/status", {"status": "break"})
    assert moved.status_code == 200 and moved.json()["status"] == "break"
    operators = {o["username"]: o for o in (await hoa.get("/api/operators")).json()["operators"]}
    assert operators["minh"]["status"] == "break" and not operators["minh"]["available"]
    assert operators["hoa"]["available"]
    await hoa.post(f"/api/conversations/{PERSON}/claim")
    refused = await hoa.post(f"/api/conversations/{PERSON}/transfer", {"operator": "minh", "note": "Cần gọi lại"})
    assert refused.status_code == 409 and "not on duty" in refused.json()["error"]
    await console.operator("lan")  # never logged in: off
    assert (await hoa.post(f"/api/conversations/{PERSON}/transfer",
                           {"operator": "lan", "note": "x"})).status_code == 409
    await minh.post("/api/me/status", {"status": "on_duty"})
    done = await hoa.post(f"/api/conversations/{PERSON}/transfer", {"operator": "minh", "note": "Cần gọi lại"})
    assert done.status_code == 200 and await console.gateway.queue.holder(PERSON) == "minh"
    assert (await hoa.post("/api/me/status", {"status": "off"}, csrf=False)).status_code == 403


async def test_a_transfer_needs_a_handover_note_which_the_receiver_and_the_transcript_show(
        console: Console, bot_api: FakeBotAPI) -> None:
    await queued(console)
    hoa, minh = await console.login("hoa", alias="Hoa"), await console.login("minh", alias="Minh")
    await hoa.post(f"/api/conversations/{PERSON}/claim")
    for body in ({"operator": "minh"}, {"operator": "minh", "note": "   "}):
        missing = await hoa.post(f"/api/conversations/{PERSON}/transfer", body)
        assert missing.status_code == 400 and "handover note" in missing.json()["error"]
    assert await console.gateway.queue.holder(PERSON) == "hoa"
    note = "Bạn ấy ở Campuchia, đã hỏi số Bảo hộ công dân; sợ bị phát hiện, nhắn ngắn thôi."
    assert (await hoa.post(f"/api/conversations/{PERSON}/transfer",
                           {"operator": "minh", "note": note})).status_code == 200
    detail = (await minh.get(f"/api/conversations/{PERSON}")).json()
    handover = [n for n in detail["notes"] if n.get("kind") == "handover"]
    assert handover == [{"at": handover[0]["at"], "operator": "hoa", "text": note, "kind": "handover", "to": "minh"}]
    line = detail["transcript"][-1] if detail["transcript"][-1]["kind"] == "handover" else \
        next(e for e in detail["transcript"] if e["kind"] == "handover")
    assert line["from"] == "system" and "hoa" in line["text"] and "minh" in line["text"] and note in line["text"]
    # The person hears who joined, never the note.
    sent = [call["text"] for call in await bot_api.wait_for("sendMessage", 2)]
    assert all(note not in text for text in sent) and any("Minh" in text for text in sent)


async def test_held_conversations_go_back_after_the_grace_when_the_operator_goes_off(console: Console,
                                                                                    clock: Clock,
                                                                                    bot_api: FakeBotAPI) -> None:
    await queued(console, at=time.time() - 60)
    hoa = await console.login("hoa", alias="Hoa")
    await hoa.post(f"/api/conversations/{PERSON}/claim")
    handback = console.services.handback
    assert await handback.tick() == [] and await handback.stranded_since() == {}  # there: nothing starts
    assert (await hoa.post("/api/me/status", {"status": "off"})).status_code == 200
    assert await handback.tick() == []
    assert PERSON in await handback.stranded_since()
    clock.shift += 119
    assert await handback.tick() == [] and await console.gateway.queue.mode(PERSON) == "human"
    clock.shift += 2
    assert await handback.tick() == [PERSON]
    assert await console.gateway.queue.mode(PERSON) == "waiting" and await handback.stranded_since() == {}
    assert await handback.tick() == []  # once
    notes = await console.services.notes.read(PERSON)
    assert notes[-1]["operator"] == "system" and "hoa" in notes[-1]["text"] and "2 phút" in notes[-1]["text"]
    told = [call["text"] for call in await bot_api.wait_for("sendMessage", 2)]
    assert told[-1] == console.services.texts.handed_back and "người hỗ trợ khác" in told[-1]
    audit = [(e["actor"], e["action"]) async for e in console.services.audit.export()]
    assert ("system", "hand_back") in audit


async def test_the_last_session_ending_hands_back_and_coming_back_in_time_keeps_it(console: Console,
                                                                                  clock: Clock) -> None:
    await queued(console)
    await queued(console, "tg:2")
    hoa = await console.login("hoa")
    await hoa.post(f"/api/conversations/{PERSON}/claim")
    await hoa.post("/api/conversations/tg:2/claim")
    second = await console.login("hoa2")  # another operator, unaffected throughout
    handback = console.services.handback
    assert (await hoa.post("/api/logout")).status_code == 200
    await handback.tick()
    assert set(await handback.stranded_since()) == {PERSON, "tg:2"}
    # Back within the grace (a new login): nothing is handed back, the marks are forgotten.
    again = await console.client().post("/api/login", json={"username": "hoa", "password": PASSWORD})
    assert again.status_code == 200
    clock.shift += 60
    assert await handback.tick() == [] and await handback.stranded_since() == {}
    # Idle past the session's limit (30 minutes without a request): the session ends by itself, then the grace.
    clock.shift += 31 * 60
    await handback.tick()
    assert set(await handback.stranded_since()) == {PERSON, "tg:2"}
    clock.shift += 121
    assert sorted(await handback.tick()) == sorted([PERSON, "tg:2"])
    assert {c.conversation_id for c in await console.gateway.queue.waiting()} == {PERSON, "tg:2"}
    assert second.username == "hoa2"


async def test_close_records_tags_summary_and_follow_up_and_refuses_unknown_tags(console: Console) -> None:
    await queued(console)
    hoa = await console.login("hoa")
    tags = (await hoa.get("/api/close-tags")).json()["tags"]
    assert {"id": "lua-dao-viec-lam", "label": "Lừa đảo việc làm"} in tags
    await hoa.post(f"/api/conversations/{PERSON}/claim")
    for body, reason in [({"tags": ["khong-co"]}, "unknown tags"), ({"tags": "tre-em"}, "list"),
                         ({"follow_up": "yes"}, "follow_up"), ({}, "outcome")]:
        payload = {"outcome": "informed", **body} if body else {}
        response = await hoa.post(f"/api/conversations/{PERSON}/close", payload)
        assert response.status_code == 400 and reason in response.json()["error"], body
    assert await console.gateway.queue.mode(PERSON) == "human"
    closed = await hoa.post(f"/api/conversations/{PERSON}/close", {
        "outcome": "informed", "tags": ["lua-dao-viec-lam", "bi-giu-o-nuoc-ngoai"],
        "summary": "Đã cho số Bảo hộ công dân.", "follow_up": True})
    assert closed.status_code == 200
    history = (await hoa.get(f"/api/conversations/{PERSON}")).json()["history"][-1]
    assert history["tags"] == ["lua-dao-viec-lam", "bi-giu-o-nuoc-ngoai"]
    assert history["summary"] == "Đã cho số Bảo hộ công dân." and history["follow_up"] is True


async def test_the_board_lists_problems_first_for_supervisors_only(console: Console, clock: Clock) -> None:
    now = time.time()
    await queued(console, "tg:9002", "high", at=now - 6 * 60)
    await queued(console, "tg:9003", "high", at=now - 60)
    await queued(console, PERSON, "medium")
    await queued(console, "tg:9001", "low")
    hoa, minh = await console.login("hoa"), await console.login("minh")
    boss = await console.login("boss", role="supervisor")
    assert (await hoa.get("/api/board")).status_code == 403
    await hoa.post(f"/api/conversations/{PERSON}/claim")
    assert (await minh.post("/api/conversations/tg:9001/claim")).status_code == 200
    await person_writes(console, "Alo", clock() - 4 * 60)
    await minh.post("/api/me/status", {"status": "break"})
    body = (await boss.get("/api/board")).json()
    kinds = [(p["kind"], p["conversation_id"]) for p in body["problems"]]
    assert kinds == [("holder_away", "tg:9001"), ("high_risk_waiting", "tg:9002"), ("unanswered", PERSON)]
    assert body["problems"][0]["status"] == "break" and body["problems"][2]["operator"] == "hoa"
    operators = {o["username"]: o for o in body["operators"]}
    assert operators["minh"]["status"] == "break" and [h["id"] for h in operators["minh"]["held"]] == ["tg:9001"]
    # Written before the claim (the operator saw it as they claimed): not unread, but unanswered for 4 minutes.
    held = operators["hoa"]["held"][0]
    assert held["unread"] == 0 and held["waiting_for_reply_seconds"] >= 4 * 60
    assert held["first_response_seconds"] is None
    assert (await hoa.post(f"/api/conversations/{PERSON}/messages", {"text": "Mình đây"})).status_code == 200
    answered = next(o for o in (await boss.get("/api/board")).json()["operators"] if o["username"] == "hoa")
    assert answered["held"][0]["first_response_seconds"] >= 0
    assert answered["held"][0]["waiting_for_reply_seconds"] is None
    # The shift's range: closes in the last hours, by whom, and the median first response (queue to first answer).
    assert (await boss.get("/api/board")).json()["range"] == {"hours": 8, "closed": 0, "by_operator": {},
                                                               "answered": 0, "first_response_median_seconds": None}
    await hoa.post(f"/api/conversations/{PERSON}/close", {"outcome": "informed", "tags": ["hoi-thong-tin"]})
    shift_range = (await boss.get("/api/board?hours=1")).json()["range"]
    assert shift_range["closed"] == 1 and shift_range["by_operator"] == {"hoa": 1} and shift_range["answered"] == 1
    assert shift_range["first_response_median_seconds"] >= 0
    for hours in ("0", "169", "x"):
        refused = await boss.get(f"/api/board?hours={hours}")
        assert refused.status_code == 400 and "hours" in refused.json()["error"]
    assert "Alo" not in json.dumps(body)
    assert await console.gateway.redis.hlen(keys.OPERATOR_STATUS) == 3


async def test_operators_on_a_break_do_not_count_as_on_duty_for_the_waiting_person(console: Console,
                                                                                    bot_api: FakeBotAPI) -> None:
    await queued(console, risk="medium", at=time.time() - 60)
    hoa = await console.login("hoa")
    await console.services.sweeper.tick()
    assert bot_api.called("sendMessage") == []  # hoa is on duty: nobody is told there is no one
    await hoa.post("/api/me/status", {"status": "break"})
    await console.services.sweeper.tick()
    told = [call["text"] for call in await bot_api.wait_for("sendMessage")]
    assert told == [console.services.texts.nobody_online]


async def test_a_logged_in_directory_editor_is_not_on_duty_for_people_or_transfers(console: Console,
                                                                                    bot_api: FakeBotAPI) -> None:
    # A directory editor's account opens no conversation: a person handed to one would be stranded.
    await queued(console, risk="medium", at=time.time() - 60)
    hoa = await console.login("hoa")
    thu = await console.login("thu", role="directory_editor")
    assert (await thu.get("/api/me")).json()["status"]["status"] == "off"
    operators = {o["username"]: o for o in (await hoa.get("/api/operators")).json()["operators"]}
    assert "thu" not in operators and operators["hoa"]["available"]  # not offered for transfers at all
    await hoa.post(f"/api/conversations/{PERSON}/claim")
    refused = await hoa.post(f"/api/conversations/{PERSON}/transfer", {"operator": "thu", "note": "Cần gọi lại"})
    assert refused.status_code == 409 and "not on duty" in refused.json()["error"]
    assert await console.gateway.queue.holder(PERSON) == "hoa"
    # Only the editor at a screen: the waiting person is told nobody is there.
    await hoa.post(f"/api/conversations/{PERSON}/release")
    await hoa.post("/api/me/status", {"status": "off"})
    await thu.get("/api/directory/entries")  # the editor at work, seen online
    await console.services.sweeper.tick()
    told = [call["text"] for call in await bot_api.wait_for("sendMessage")]
    assert console.services.texts.nobody_online in told
    boss = await console.login("boss", role="supervisor")  # the shift board lists those who answer people
    assert "thu" not in [o["username"] for o in (await boss.get("/api/board")).json()["operators"]]


async def test_search_finds_conversations_by_id_campaign_tag_and_date_never_by_text(console: Console) -> None:
    hoa = await console.login("hoa")
    await console.gateway.queue.enqueue(Case(PERSON, "telegram", "high", ("Bị giữ giấy tờ",), "Bí mật của người nhắn",
                                             "qn-2026", time.time()))
    await console.gateway.transcript.append(PERSON, "person", "hộ chiếu bị giữ ở Sihanoukville")
    await hoa.post(f"/api/conversations/{PERSON}/claim")
    await hoa.post(f"/api/conversations/{PERSON}/close", {"outcome": "informed", "tags": ["bi-giu-giay-to"],
                                                         "summary": "Đã cho số.", "follow_up": True})
    await queued(console, "tg:616161", "low")  # waiting now, never closed
    # A conversation closed last month (written as a close writes it).
    old = time.time() - 30 * 86400
    await console.services.notes.record_handoff("zalo:717171", {"closed_at": old, "outcome": "no_response",
                                                                "tags": ["tre-em"], "risk": "medium"})
    assert console.gateway.retention is not None
    await console.gateway.retention.close("zalo:717171", "no_response", at=old)

    async def ids(query: str) -> list[str]:
        response = await hoa.get(f"/api/search?{query}")
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()["results"]]

    assert await ids("tag=bi-giu-giay-to") == [PERSON]
    assert await ids("tag=tre-em") == ["zalo:717171"]
    assert await ids("campaign=qn-2026") == [PERSON]
    assert sorted(await ids("id=61")) == ["tg:616161"]
    assert sorted(await ids("id=1")) == sorted([PERSON, "tg:616161", "zalo:717171"])
    today = time.strftime("%Y-%m-%d", time.gmtime(time.time() + 7 * 3600))
    assert sorted(await ids(f"from={today}")) == sorted([PERSON, "tg:616161"])
    assert await ids(f"to={time.strftime('%Y-%m-%d', time.gmtime(old + 7 * 3600))}") == ["zalo:717171"]
    found = (await hoa.get("/api/search?tag=bi-giu-giay-to")).json()["results"][0]
    assert found["tags"] == ["bi-giu-giay-to"] and found["follow_up"] is True and found["outcome"] == "informed"
    assert "Bí mật" not in json.dumps(found) and "Sihanoukville" not in json.dumps(found)
    # Never by text: a text parameter is no search at all; bad input is a clear 400.
    for query, reason in [("q=Sihanoukville", "at least one of"), ("tag=khong-co", "unknown tag"),
                          ("from=hôm-qua", "dates"), ("id=" + "x" * 101, "at most 100")]:
        response = await hoa.get(f"/api/search?{query}")
        assert response.status_code == 400 and reason in response.json()["error"], query
    # Erased (/xoa): gone from the search too.
    await erase(console.gateway.redis, "zalo:717171")
    assert await ids("tag=tre-em") == []
