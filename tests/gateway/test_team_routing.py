"""Team routing on a real Redis (bot/state/teams.py): a new case waits for the team of the first rule that
matches (campaign, then service type, then province); no rule, no teams, or a team that is gone: for everyone."""

from __future__ import annotations

import pytest
import redis.asyncio

from bot.state import keys
from bot.state.queue import Case, HandoffQueue
from bot.state.teams import TeamError, Teams


@pytest.fixture
async def teams(redis_client: redis.asyncio.Redis) -> Teams:
    teams = Teams(redis_client)
    await teams.add("hanoi", "Trung tâm CTXH Hà Nội")
    await teams.add("ngo", "Tổ chức phi chính phủ")
    await teams.add("national", "Tổng đài quốc gia 111")
    return teams


async def routed(queue: HandoffQueue, case: Case) -> tuple[str, str]:
    await queue.enqueue(case)
    found = await queue.case(case.conversation_id)
    assert found is not None
    return found.team, found.routed_by


async def test_routing_by_province_service_type_and_campaign(redis_client: redis.asyncio.Redis, teams: Teams) -> None:
    await teams.route("hanoi", "province", "Hà Nội")
    await teams.route("ngo", "service", "legal_aid")
    await teams.route("national", "campaign", "tiktok-2026")
    queue = HandoffQueue(redis_client)
    assert await routed(queue, Case("tg:1", "telegram", "high", province="Hà Nội")) == ("hanoi", "province")
    assert await routed(queue, Case("tg:2", "telegram", "low", service_type="legal_aid")) == ("ngo", "service")
    assert await routed(queue, Case("tg:3", "telegram", "low", campaign="tiktok-2026")) == ("national", "campaign")
    # The first rule that matches, in the order campaign, service type, province.
    assert await routed(queue, Case("tg:4", "telegram", "low", campaign="tiktok-2026", service_type="legal_aid",
                                    province="Hà Nội")) == ("national", "campaign")
    assert await routed(queue, Case("tg:5", "telegram", "low", service_type="legal_aid",
                                    province="Hà Nội")) == ("ngo", "service")
    # Nothing matches: for everyone.
    assert await routed(queue, Case("tg:6", "telegram", "low", province="Huế", campaign="other")) == ("", "")


async def test_without_teams_a_case_is_stored_as_before(redis_client: redis.asyncio.Redis) -> None:
    queue = HandoffQueue(redis_client)
    await queue.enqueue(Case("tg:1", "telegram", "high", province="Hà Nội", service_type="shelter", enqueued_at=5.0))
    stored = await redis_client.hgetall(keys.case("tg:1"))
    assert stored["team"] == "" and stored["routed_by"] == ""
    assert "Hà Nội" not in str(stored) and "shelter" not in str(stored)  # the team is kept, not where or what
    assert await redis_client.exists(keys.TEAMS, keys.TEAM_ROUTES) == 0


async def test_a_rule_naming_a_team_that_is_gone_routes_nowhere(redis_client: redis.asyncio.Redis,
                                                                teams: Teams) -> None:
    await teams.route("hanoi", "province", "Hà Nội")
    await redis_client.hdel(keys.TEAMS, "hanoi")
    assert await routed(HandoffQueue(redis_client), Case("tg:1", "telegram", "high", province="Hà Nội")) == ("", "")


async def test_queued_first_without_knowing_where_then_routed_by_the_escalation(
        redis_client: redis.asyncio.Redis, teams: Teams) -> None:
    # The gateway queues a voice note or a message while Rasa is down with the campaign only; the escalation that
    # follows knows the province: the case takes its team, and keeps its place and waiting time.
    await teams.route("hanoi", "province", "Hà Nội")
    queue = HandoffQueue(redis_client)
    assert await routed(queue, Case("tg:1", "telegram", "medium", enqueued_at=100.0)) == ("", "")
    assert await routed(queue, Case("tg:1", "telegram", "medium", province="Hà Nội",
                                    enqueued_at=200.0)) == ("hanoi", "province")
    assert (await queue.case("tg:1")).enqueued_at == 100.0  # type: ignore[union-attr]
    # Once routed, a later escalation does not move it to another team.
    await teams.route("ngo", "service", "shelter")
    assert await routed(queue, Case("tg:1", "telegram", "high", service_type="shelter")) == ("hanoi", "province")


async def test_release_keeps_the_team(redis_client: redis.asyncio.Redis, teams: Teams) -> None:
    await teams.route("ngo", "campaign", "c1")
    queue = HandoffQueue(redis_client)
    await queue.enqueue(Case("tg:1", "telegram", "low", campaign="c1"))
    assert (await queue.claim("tg:1", "hoa")).ok
    assert (await queue.release("tg:1", "hoa")).ok
    assert (await queue.waiting())[0].team == "ngo"


async def test_spill_marks_a_waiting_routed_case_once(redis_client: redis.asyncio.Redis, teams: Teams) -> None:
    await teams.route("ngo", "campaign", "c1")
    queue = HandoffQueue(redis_client)
    await queue.enqueue(Case("tg:1", "telegram", "high", campaign="c1"))
    await queue.enqueue(Case("tg:2", "telegram", "high"))
    assert await queue.spill("tg:1", 1000.0) is True
    assert await queue.spill("tg:1", 2000.0) is False
    assert await queue.spill("tg:2", 1000.0) is False  # for everyone already
    assert await queue.spill("tg:3", 1000.0) is False  # not waiting
    assert (await queue.case("tg:1")).spilled_at == 1000.0  # type: ignore[union-attr]


async def test_teams_members_and_rules(redis_client: redis.asyncio.Redis, teams: Teams) -> None:
    assert await teams.assign("hanoi", "hoa") is True
    assert await teams.assign("hanoi", "hoa") is False
    assert await teams.assign("ngo", "hoa") is True
    assert await teams.of("hoa") == {"hanoi", "ngo"}
    assert await teams.unassign("ngo", "hoa") is True
    assert await teams.unassign("ngo", "hoa") is False
    assert [(t.id, t.members) for t in await teams.all()] == [("hanoi", ("hoa",)), ("national", ()), ("ngo", ())]
    assert await teams.route("hanoi", "province", "Hà Nội") is None
    assert await teams.route("ngo", "province", "Hà Nội") == "hanoi"  # a value has one team: the rule moved
    assert [(r.kind, r.value, r.team) for r in await teams.routes()] == [("province", "Hà Nội", "ngo")]
    assert await teams.unroute("province", "Hà Nội") == "ngo"
    assert await teams.routes() == []
    with pytest.raises(TeamError, match="already exists"):
        await teams.add("hanoi", "Again")
    with pytest.raises(TeamError, match="no team 'nowhere'"):
        await teams.assign("nowhere", "hoa")
    with pytest.raises(TeamError, match="team id"):
        await teams.add("Bad Id", "x")


async def test_removing_a_team_removes_its_members_and_rules(redis_client: redis.asyncio.Redis, teams: Teams) -> None:
    await teams.assign("ngo", "hoa")
    await teams.route("ngo", "campaign", "c1")
    await teams.route("ngo", "service", "shelter")
    await teams.route("hanoi", "province", "Hà Nội")
    removed = await teams.remove("ngo")
    assert (removed.id, removed.members) == ("ngo", ("hoa",))
    assert [(r.kind, r.team) for r in await teams.routes()] == [("province", "hanoi")]
    assert await redis_client.exists(keys.team_members("ngo")) == 0
    with pytest.raises(TeamError, match="no team 'ngo'"):
        await teams.remove("ngo")
