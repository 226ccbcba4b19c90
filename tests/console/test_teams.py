"""Teams in the console (bot/console/queue_view.py): an operator of team A sees the conversations routed to A, the
unrouted ones and those open to every team; team B's high-risk conversation opens to A after
CAUNOI_TEAM_SPILL_MINUTES unclaimed, any of B's at once when nobody of B is on duty; supervisors see all, with the
team; a deployment without teams is unchanged. A real Redis, the real gateway app over ASGI, the console's clock
moved by hand."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from bot.console import ConsoleOptions
from bot.settings import Settings
from bot.state import keys
from bot.state.queue import Case
from bot.state.teams import Teams
from harness.botapi import FakeBotAPI
from harness.rasa import FakeRasa
from tests.console.conftest import Clock, console_settings
from tests.console.harness import CHEAP_HASHER, Console, Session, console_app, over_asgi, over_http

HANOI = "tg:7001"  # routed to team hanoi by its province
NGO = "tg:7002"  # routed to team ngo by its campaign
ANYONE = "tg:7003"  # matches no rule


@pytest.fixture
def settings(redis_url: str, bot_api: FakeBotAPI) -> Settings:
    return console_settings(redis_url, bot_api, CAUNOI_TEAM_SPILL_MINUTES="5", CAUNOI_SESSION_IDLE_MINUTES="60")


def options(clock: Clock) -> ConsoleOptions:
    return ConsoleOptions(hasher=CHEAP_HASHER, heartbeat_seconds=0.3, sweep_seconds=3600, clock=clock)


@pytest.fixture
async def console(settings: Settings, rasa: FakeRasa, clock: Clock) -> AsyncIterator[Console]:
    async with over_asgi(console_app(settings, rasa, options(clock))) as running:
        yield running


async def teams_of(console: Console) -> Teams:
    teams = Teams(console.gateway.redis)
    await teams.add("hanoi", "Trung tâm CTXH Hà Nội")
    await teams.add("ngo", "Tổ chức Hy Vọng")
    await teams.route("hanoi", "province", "Hà Nội")
    await teams.route("ngo", "campaign", "hyvong")
    return teams


async def queued(console: Console, conversation_id: str, risk: str, **routing: str) -> None:
    await console.gateway.queue.enqueue(Case(conversation_id, "telegram", risk, ("Bị giữ giấy tờ",), "",
                                             enqueued_at=console.services.options.clock(), **routing))


async def waiting(session: Session) -> dict[str, dict[str, Any]]:
    response = await session.get("/api/queue")
    assert response.status_code == 200, response.text
    return {item["id"]: item for item in response.json()["waiting"]}


async def member(console: Console, teams: Teams, username: str, team: str, role: str = "operator") -> Session:
    session = await console.login(username, role)
    await teams.assign(team, username)
    return session


async def test_without_teams_every_operator_sees_and_claims_everything(console: Console) -> None:
    hoa = await console.login("hoa")
    await queued(console, HANOI, "medium", province="Hà Nội")
    await queued(console, NGO, "high", campaign="hyvong")
    items = await waiting(hoa)
    assert list(items) == [NGO, HANOI]
    assert items[HANOI]["team"] is None and items[HANOI]["open_to_all"] is True and items[HANOI]["place"] == 2
    assert (await hoa.post(f"/api/conversations/{HANOI}/claim")).status_code == 200


async def test_an_operator_sees_their_teams_and_the_unrouted_until_a_high_risk_one_spills_over(
        console: Console, clock: Clock) -> None:
    teams = await teams_of(console)
    hoa = await member(console, teams, "hoa", "hanoi")
    lan = await member(console, teams, "lan", "ngo")
    await queued(console, NGO, "high", campaign="hyvong")
    await queued(console, "tg:7004", "medium", campaign="hyvong")
    await queued(console, HANOI, "low", province="Hà Nội")
    await queued(console, ANYONE, "low")

    items = await waiting(hoa)
    assert list(items) == [HANOI, ANYONE]
    assert items[HANOI] | {"team": "hanoi", "team_name": "Trung tâm CTXH Hà Nội", "routed_by": "province",
                           "open_to_all": False, "place": 3} == items[HANOI]
    assert items[ANYONE]["team"] is None and items[ANYONE]["place"] == 4  # its place in the whole queue
    assert list(await waiting(lan)) == [NGO, "tg:7004", ANYONE]
    refused = await hoa.post(f"/api/conversations/{NGO}/claim")
    assert refused.status_code == 403
    assert "Tổ chức Hy Vọng" in refused.json()["error"] and "5 minutes" in refused.json()["error"]
    assert await console.gateway.queue.mode(NGO) == "waiting"

    clock.shift = 4 * 60 + 50  # not yet
    await lan.get("/api/me")  # lan's console is still open: team ngo is on duty
    assert NGO not in await waiting(hoa)
    assert await console.services.queue_view.sweep() == []

    clock.shift = 5 * 60 + 1
    await lan.get("/api/me")
    items = await waiting(hoa)
    assert list(items) == [NGO, HANOI, ANYONE]  # the high-risk one only: tg:7004 still waits for ngo
    assert items[NGO]["team"] == "ngo" and items[NGO]["open_to_all"] is True
    assert await console.services.queue_view.sweep() == [NGO]  # marked once, the consoles told
    assert await console.services.queue_view.sweep() == []
    assert (await hoa.post(f"/api/conversations/{NGO}/claim")).status_code == 200
    # Held by hoa: hoa sees it among the held, lan too (her team's).
    assert [item["id"] for item in (await hoa.get("/api/queue")).json()["held"]] == [NGO]
    assert [item["id"] for item in (await lan.get("/api/queue")).json()["held"]] == [NGO]


async def test_a_team_with_nobody_on_duty_spills_at_once_whatever_the_risk(console: Console) -> None:
    teams = await teams_of(console)
    hoa = await member(console, teams, "hoa", "hanoi")
    lan = await member(console, teams, "lan", "ngo")
    await queued(console, NGO, "low", campaign="hyvong")
    assert NGO not in await waiting(hoa)
    assert (await lan.post("/api/me/status", {"status": "break"})).status_code == 200
    items = await waiting(hoa)
    assert items[NGO]["open_to_all"] is True
    assert await console.services.queue_view.sweep() == [NGO]
    # Marked: it stays open to every team when lan is back on duty.
    assert (await lan.post("/api/me/status", {"status": "on_duty"})).status_code == 200
    assert NGO in await waiting(hoa)
    assert (await hoa.post(f"/api/conversations/{NGO}/claim")).status_code == 200
    entry = [e for e in await console.gateway.redis.xrange(keys.AUDIT) if e[1]["action"] == "team_spill"]
    assert [json.loads(e[1]["details"]) for e in entry] == [{"team": "ngo", "reason": "nobody_on_duty"}]


async def test_a_team_whose_members_have_no_console_open_is_not_on_duty(console: Console, clock: Clock) -> None:
    teams = await teams_of(console)
    hoa = await member(console, teams, "hoa", "hanoi")
    await member(console, teams, "lan", "ngo")
    await queued(console, NGO, "medium", campaign="hyvong")
    assert NGO not in await waiting(hoa)
    clock.shift = 120  # lan's console has not been heard from for two minutes
    assert NGO in await waiting(hoa)


async def test_a_supervisor_sees_every_team_and_may_claim_any(console: Console) -> None:
    teams = await teams_of(console)
    await member(console, teams, "lan", "ngo")
    boss = await member(console, teams, "boss", "hanoi", role="supervisor")
    await queued(console, NGO, "low", campaign="hyvong")
    await queued(console, HANOI, "low", province="Hà Nội")
    items = await waiting(boss)
    assert set(items) == {NGO, HANOI} and items[NGO]["team_name"] == "Tổ chức Hy Vọng"
    case = (await boss.get(f"/api/conversations/{NGO}")).json()["case"]
    assert (case["team"], case["team_name"], case["open_to_all"]) == ("ngo", "Tổ chức Hy Vọng", False)
    assert (await boss.post(f"/api/conversations/{NGO}/claim")).status_code == 200


async def test_an_operator_in_no_team_still_sees_all(console: Console) -> None:
    teams = await teams_of(console)
    await member(console, teams, "lan", "ngo")
    mai = await console.login("mai")
    await queued(console, NGO, "low", campaign="hyvong")
    assert (await waiting(mai))[NGO]["team"] == "ngo"
    assert (await mai.post(f"/api/conversations/{NGO}/claim")).status_code == 200


async def test_the_board_shows_teams_their_members_on_duty_and_what_waits(console: Console) -> None:
    teams = await teams_of(console)
    boss = await console.login("boss", "supervisor")
    await member(console, teams, "hoa", "hanoi")
    lan = await member(console, teams, "lan", "ngo")
    await lan.post("/api/me/status", {"status": "break"})
    await queued(console, HANOI, "low", province="Hà Nội")
    await queued(console, NGO, "low", campaign="hyvong")
    board = (await boss.get("/api/board")).json()
    found = {team["id"]: team for team in board["teams"]}
    assert found["hanoi"]["on_duty"] == 1 and found["hanoi"]["waiting"] == 1 and found["hanoi"]["open_to_all"] == 0
    assert [(m["username"], m["status"], m["on_duty"]) for m in found["hanoi"]["members"]] == [
        ("hoa", "on_duty", True)]
    assert found["ngo"]["on_duty"] == 0 and found["ngo"]["waiting"] == 0 and found["ngo"]["open_to_all"] == 1
    assert board["settings"]["team_spill_minutes"] == 5


async def next_queue_event(lines: AsyncIterator[str], timeout: float = 3.0) -> dict[str, Any]:
    async def read() -> dict[str, Any]:
        kind = ""
        async for line in lines:
            if line.startswith("event: "):
                kind = line[7:]
            elif line.startswith("data: ") and kind == "queue":
                data: dict[str, Any] = json.loads(line[6:])
                return data
        raise AssertionError("the stream ended")
    return await asyncio.wait_for(read(), timeout)


async def test_the_event_stream_leaves_out_another_teams_conversations(
        settings: Settings, rasa: FakeRasa, clock: Clock) -> None:
    async with over_http(console_app(settings, rasa, options(clock))) as console:
        teams = await teams_of(console)
        hoa = await member(console, teams, "hoa", "hanoi")
        await member(console, teams, "lan", "ngo")
        http: httpx.AsyncClient = hoa.http
        async with http.stream("GET", "/api/events") as response:
            lines = response.aiter_lines()
            await asyncio.sleep(0.1)
            await queued(console, NGO, "high", campaign="hyvong")
            await queued(console, HANOI, "low", province="Hà Nội")
            first = await next_queue_event(lines)
            assert (first["conversation_id"], first["team"]) == (HANOI, "hanoi")  # NGO's was left out
            clock.shift = 6 * 60
            await console.services.presence.seen("lan")  # both consoles still open after the shift
            await console.services.presence.seen("hoa")
            assert await console.services.queue_view.sweep() == [NGO]
            spilled = await next_queue_event(lines)
            assert spilled == {"type": "queue", "change": "spilled", "conversation_id": NGO, "team": "ngo"}
            with contextlib.suppress(Exception):
                await response.aclose()


async def test_a_removed_teams_waiting_conversations_are_for_everyone(console: Console) -> None:
    teams = await teams_of(console)
    hoa = await member(console, teams, "hoa", "hanoi")
    await member(console, teams, "lan", "ngo")
    await queued(console, NGO, "low", campaign="hyvong")
    assert NGO not in await waiting(hoa)
    await teams.remove("ngo")
    item = (await waiting(hoa))[NGO]
    assert item["team"] is None and item["open_to_all"] is True
    assert (await hoa.post(f"/api/conversations/{NGO}/claim")).status_code == 200
