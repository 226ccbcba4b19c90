"""What each console account sees of the queue when operators are in teams (bot/state/teams.py).

A conversation routed to a team waits in that team's queue first. It opens to every team ("spills over"):
- at once when nobody of its team is on duty (on duty with a console open, bot/console/shift.py), whatever its risk:
  a person must never wait for a team that is not there;
- when it is high-risk (urgent ones, self-harm and medical emergencies, are high-risk too) and nobody has claimed
  it CAUNOI_TEAM_SPILL_MINUTES after it joined the queue.
Both are decided when the queue is read (enqueued_at + the setting, the team's duty now), so no timer has to fire
for a console to see it. The sweep (every CAUNOI worker, `sweep`) then marks it in the case (`spilled_at`, once, one
worker) and publishes a `queue` event, so open consoles fetch the queue again; once marked it stays open to all for
the rest of its wait, even when a member of the team comes back.

Who sees what: a supervisor, every conversation (with its team); an account in no team, every conversation (a
deployment without teams behaves as before); an operator in teams, the conversations of their teams, those routed to
no team (or to a team since removed), those open to all, and those they hold. The SSE stream drops `queue` and
`alert` events of conversations the account does not see (bot/console/routes.py).

Teams route; they do not wall off: an operator may still open any conversation (search, a link; every view is
audited). Claiming one that waits for another team before it opens to all is refused with the reason (403);
supervisors may claim it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import redis.asyncio

from bot.console.audit import AuditLog
from bot.console.clock import Clock
from bot.console.events import Presence
from bot.console.operators import Operator
from bot.console.shift import Availability
from bot.state.queue import Case, HandoffQueue
from bot.state.teams import Team, Teams

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outlook:
    """One read of the teams and who is on duty, to judge many cases by."""

    teams: dict[str, Team]
    on_duty: frozenset[str]  # usernames on duty with a console open
    now: float
    spill_seconds: float

    def staffed(self, team_id: str) -> bool:
        team = self.teams.get(team_id)
        return team is not None and any(name in self.on_duty for name in team.members)

    def of(self, username: str) -> frozenset[str]:
        return frozenset(team.id for team in self.teams.values() if username in team.members)

    def spill_reason(self, case: Case) -> str | None:
        """Why a routed case is open to every team now ("marked", "nobody_on_duty", "waited"); None when it still
        waits for its team only. Cases routed to no team (or a team that is gone) are open to all: "unrouted"."""
        if not case.team or case.team not in self.teams:
            return "unrouted"
        if case.spilled_at:
            return "marked"
        if not self.staffed(case.team):
            return "nobody_on_duty"
        if case.risk == "high" and self.now - case.enqueued_at >= self.spill_seconds:
            return "waited"
        return None

    def sees(self, operator: Operator, case: Case) -> bool:
        mine = self.of(operator.username)
        return (operator.supervisor or not mine or case.team in mine or case.operator == operator.username
                or self.spill_reason(case) is not None)

    def team_json(self, case: Case) -> dict[str, Any]:
        """The queue item's team fields: `team` (id or None), its name, and whether it is open to every team."""
        team = self.teams.get(case.team) if case.team else None
        reason = self.spill_reason(case)
        return {"team": team.id if team else None, "team_name": team.name if team else None,
                "routed_by": (case.routed_by or None) if team else None,
                "open_to_all": team is None or reason is not None}


class QueueView:
    def __init__(self, client: redis.asyncio.Redis, queue: HandoffQueue, availability: Availability,
                 presence: Presence, audit: AuditLog, spill_seconds: float, clock: Clock):
        self._teams = Teams(client)
        self._queue = queue
        self._availability = availability
        self._presence = presence
        self._audit = audit
        self._spill = spill_seconds
        self._clock = clock

    async def outlook(self) -> Outlook:
        teams = await self._teams.all()
        if not teams:  # no teams: nothing else to read
            return Outlook({}, frozenset(), self._clock(), self._spill)
        online = await self._presence.online()
        statuses = await self._availability.all()
        on_duty = frozenset(name for name in online if name in statuses and statuses[name].status == "on_duty")
        return Outlook({team.id: team for team in teams}, on_duty, self._clock(), self._spill)

    async def sees(self, operator: Operator, conversation_id: str) -> bool:
        """Whether the account sees this conversation in its queue; True for one no longer queued or held."""
        outlook = await self.outlook()
        if not outlook.teams:  # no teams: everyone sees everything, no case to read
            return True
        case = await self._queue.case(conversation_id)
        return case is None or outlook.sees(operator, case)

    async def claim_refusal(self, operator: Operator, conversation_id: str) -> str | None:
        """Why this operator may not claim the conversation yet (it waits for another team), None when they may."""
        case = await self._queue.case(conversation_id)
        if case is None or operator.supervisor:
            return None
        outlook = await self.outlook()
        if outlook.sees(operator, case):
            return None
        name = outlook.teams[case.team].name
        minutes = max(1, round(self._spill / 60))
        return (f"this conversation waits for the team {name!r} first: it opens to every team when nobody of that "
                f"team is on duty, or after {minutes} minutes unclaimed when it is high-risk; a supervisor may "
                "claim it now")

    async def sweep(self) -> list[str]:
        """Marks the routed conversations that are now open to every team, and tells the consoles (one worker does
        each). Returns the ids this call marked."""
        if not await self._teams.any():
            return []
        waiting = [case for case in await self._queue.waiting() if case.team and not case.spilled_at]
        if not waiting:
            return []
        outlook = await self.outlook()
        marked: list[str] = []
        for case in waiting:
            reason = outlook.spill_reason(case)
            if reason in ("nobody_on_duty", "waited") and await self._queue.spill(case.conversation_id, outlook.now):
                await self._audit.record("system", "team_spill", case.conversation_id, team=case.team, reason=reason)
                log.info("conversation open to every team reason=%s risk=%s", reason, case.risk)
                marked.append(case.conversation_id)
        return marked
