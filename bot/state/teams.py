"""Teams of operators, and the rules that send a waiting conversation to one team's queue first.

A deployment with several answering organisations (a province's social work centre, an NGO, the national line) puts
its operators in teams (`caunoi team add`, `caunoi team assign`); an account may be in several teams or in none.
Routing rules (`caunoi team route`) name one team per campaign code, per service type or per province. When a
conversation joins the queue (bot/state/queue.py `HandoffQueue.enqueue`) the first rule that matches routes it, in
this order: its campaign (the outreach a team ran), the kind of help it asked for, the province it is in. No match,
or no teams at all: it is for everyone, as before teams existed.

Where the three come from: the campaign is the conversation's own (`Case.campaign`, from the `/start` link or the
typed code); the service type is the Rasa slot `service_type` (what the person asked to find) and the province is
the place `actions/common.py whereabouts` reads (a shared point placed in a province, else the `province` the
person named), both handed to the queue by the escalation (actions/escalate.py). When the gateway queues a person
itself (Rasa down, a voice note) it has only the campaign: such a conversation is routed by campaign or not at all.

Who sees what, and when a team's conversation opens to every team, is the console's (bot/console/queue_view.py).
This is configuration, not about anyone who wrote: it is kept until changed, has no retention period, and /xoa does
not touch it (docs/retention.md). A conversation's team lives in its case hash and goes with it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import redis.asyncio

from bot.state import keys

TEAM_ID = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}")
NAME_MAX_CHARS = 80
VALUE_MAX_CHARS = 80
KINDS = ("campaign", "service", "province")  # the order rules are tried in: the first that matches routes


class TeamError(ValueError):
    """Bad input for a team or a rule, or a clash with what exists; the message says which."""


@dataclass(frozen=True)
class Team:
    id: str
    name: str
    members: tuple[str, ...] = ()  # usernames, sorted


@dataclass(frozen=True)
class Route:
    kind: str  # one of KINDS
    value: str  # a campaign code, a service type, a province name
    team: str


@dataclass(frozen=True)
class Routing:
    """Which team a conversation waits for first ("" for everyone) and by which kind of rule ("" none)."""

    team: str = ""
    by: str = ""


def check_team_id(team_id: str) -> str:
    if not TEAM_ID.fullmatch(team_id):
        raise TeamError("a team id is 1-32 of a-z, 0-9, '_' and '-', starting with a letter or digit")
    return team_id


def _field(kind: str, value: str) -> str:
    return f"{kind}:{value}"


class Teams:
    def __init__(self, client: redis.asyncio.Redis):
        self._redis = client

    async def add(self, team_id: str, name: str) -> Team:
        check_team_id(team_id)
        name = " ".join(name.split())
        if not name or len(name) > NAME_MAX_CHARS:
            raise TeamError(f"a team needs a name of 1-{NAME_MAX_CHARS} characters")
        if not await self._redis.hsetnx(keys.TEAMS, team_id, name):
            raise TeamError(f"team {team_id!r} already exists")
        return Team(team_id, name)

    async def any(self) -> bool:
        """Whether the deployment has teams at all (without them, nobody's view changes)."""
        return bool(await self._redis.exists(keys.TEAMS))

    async def remove(self, team_id: str) -> Team:
        """Removes the team, its members list and every rule naming it; its waiting conversations are then for
        everyone (a case naming a team that is gone is unrouted). The team as it was."""
        team = await self.get(team_id) if TEAM_ID.fullmatch(team_id) else None
        if team is None:
            raise TeamError(f"no team {team_id!r} (caunoi team list shows them)")
        rules = [_field(r.kind, r.value) for r in await self.routes() if r.team == team_id]
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hdel(keys.TEAMS, team_id)
            pipe.delete(keys.team_members(team_id))
            if rules:
                pipe.hdel(keys.TEAM_ROUTES, *rules)
            await pipe.execute()
        return team

    async def get(self, team_id: str) -> Team | None:
        name = await self._redis.hget(keys.TEAMS, team_id)
        if name is None:
            return None
        return Team(team_id, str(name), tuple(sorted(await self._redis.smembers(keys.team_members(team_id)))))

    async def all(self) -> list[Team]:
        """Every team with its members, by id."""
        names: dict[str, str] = await self._redis.hgetall(keys.TEAMS)
        ids = sorted(names)
        async with self._redis.pipeline(transaction=False) as pipe:
            for team_id in ids:
                pipe.smembers(keys.team_members(team_id))
            members = await pipe.execute() if ids else []
        return [Team(team_id, names[team_id], tuple(sorted(found)))
                for team_id, found in zip(ids, members, strict=True)]

    async def must_exist(self, team_id: str) -> None:
        """Raises TeamError, saying how to see and make teams, unless the team exists."""
        if not TEAM_ID.fullmatch(team_id) or not await self._redis.hexists(keys.TEAMS, team_id):
            raise TeamError(f"no team {team_id!r} (caunoi team list shows them; caunoi team add makes one)")

    async def assign(self, team_id: str, username: str) -> bool:
        """Puts an account in the team (the caller checked it exists); False when it already was."""
        await self.must_exist(team_id)
        return bool(await self._redis.sadd(keys.team_members(team_id), username))

    async def unassign(self, team_id: str, username: str) -> bool:
        """Takes an account out of the team; False when it was not in it."""
        await self.must_exist(team_id)
        return bool(await self._redis.srem(keys.team_members(team_id), username))

    async def of(self, username: str) -> frozenset[str]:
        """The ids of the teams the account is in (none: it sees every conversation)."""
        return frozenset(team.id for team in await self.all() if username in team.members)

    async def route(self, team_id: str, kind: str, value: str) -> str | None:
        """Conversations of this campaign, service type or province wait for `team_id` first. The caller checked that
        the value is one the content knows. Returns the team the rule sent them to before (None: no rule)."""
        await self.must_exist(team_id)
        if kind not in KINDS:
            raise TeamError(f"a rule is by {', '.join(KINDS)}")
        if not value or len(value) > VALUE_MAX_CHARS:
            raise TeamError(f"a rule's {kind} must be 1-{VALUE_MAX_CHARS} characters")
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hget(keys.TEAM_ROUTES, _field(kind, value))
            pipe.hset(keys.TEAM_ROUTES, _field(kind, value), team_id)
            before, _ = await pipe.execute()
        return str(before) if before and before != team_id else None

    async def unroute(self, kind: str, value: str) -> str | None:
        """Removes the rule for this campaign, service type or province; the team it named, None when none."""
        field = _field(kind, value)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hget(keys.TEAM_ROUTES, field)
            pipe.hdel(keys.TEAM_ROUTES, field)
            before, _ = await pipe.execute()
        return str(before) if before else None

    async def routes(self) -> list[Route]:
        """Every rule, in the order they are tried (by kind, then value)."""
        found: list[Route] = []
        for field, team_id in (await self._redis.hgetall(keys.TEAM_ROUTES)).items():
            kind, _, value = str(field).partition(":")
            if kind in KINDS:
                found.append(Route(kind, value, str(team_id)))
        return sorted(found, key=lambda r: (KINDS.index(r.kind), r.value))

    async def routing(self, campaign: str = "", service_type: str = "", province: str = "") -> Routing:
        """The team of the first rule that matches, tried by campaign, service type, then province. A rule naming a
        team that is gone routes nowhere (the conversation is for everyone)."""
        tried = [(kind, value) for kind, value in zip(KINDS, (campaign, service_type, province), strict=True)
                 if value]
        if not tried:
            return Routing()
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.hmget(keys.TEAM_ROUTES, [_field(kind, value) for kind, value in tried])
            pipe.hkeys(keys.TEAMS)
            teams, existing = await pipe.execute()
        for (kind, _), team_id in zip(tried, teams, strict=True):
            if team_id and team_id in existing:
                return Routing(str(team_id), kind)
        return Routing()
