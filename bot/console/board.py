"""The supervisor's live board (GET /api/board): problems first, then each operator with their status and holdings.

Problems: a conversation held by someone who is not there to answer (off, on a break, no live console), a high-risk
person waiting longer than CAUNOI_HIGH_RISK_REALERT_MINUTES, a person who has waited for an answer longer than
CAUNOI_UNANSWERED_MINUTES. Each names the conversation, so one click opens it (to join or take over). Then the
last `?hours=` (default 8): closes, by whom, and the median first response (joining the queue to the first operator
message). Then the teams (bot/state/teams.py): members and who of them is on duty, and how many conversations wait
for each team only or have opened to every team. No message text: risk, times and ids only.
"""

from __future__ import annotations

import asyncio
import statistics
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from bot.console.api import Context, operator_json
from bot.console.clock import iso
from bot.console.http import ApiError, ok
from bot.console.operators import Operator
from bot.console.queue_view import Outlook
from bot.console.search import conversations
from bot.console.shift import Status
from bot.state.queue import Case

DEFAULT_HOURS = 8  # a night shift
MAX_HOURS = 7 * 24
PROBLEM_ORDER = {"holder_away": 0, "high_risk_waiting": 1, "unanswered": 2}


async def shift_range(ctx: Context, hours: int, now: float) -> dict[str, Any]:
    """The closes of the last `hours`: how many, by whom, and the median time from joining the queue to the first
    operator message (closes recorded before first responses were: not counted in the median)."""
    since = now - hours * 3600
    closed: list[dict[str, Any]] = []
    for cid in await conversations(ctx):
        closed += [r for r in await ctx.services.notes.handoffs(cid) if float(r.get("closed_at") or 0) >= since]
    responses = [float(r["first_response_seconds"]) for r in closed if r.get("first_response_seconds") is not None]
    by_operator: dict[str, int] = {}
    for record in closed:
        name = str(record.get("operator") or record.get("closed_by") or "?")
        by_operator[name] = by_operator.get(name, 0) + 1
    return {"hours": hours, "closed": len(closed), "by_operator": by_operator, "answered": len(responses),
            "first_response_median_seconds": round(statistics.median(responses)) if responses else None}


async def board(request: Request, ctx: Context) -> Response:
    services = ctx.services
    now = services.options.clock()
    raw_hours = request.query_params.get("hours", str(DEFAULT_HOURS))
    if not raw_hours.isdigit() or not 1 <= int(raw_hours) <= MAX_HOURS:
        raise ApiError(400, f"hours must be a whole number from 1 to {MAX_HOURS}")
    console = services.settings.console
    waiting = await services.gateway.queue.waiting()
    held = await services.gateway.queue.held()
    marks = await asyncio.gather(*(services.read_marks.of(case) for case in held))
    statuses = await services.availability.all()
    online = set(await services.presence.online())
    stranded = await services.handback.stranded_since()
    accounts = [o for o in await services.operators.all() if not o.disabled and o.answers]  # no editors, partners
    present = {o.username: await services.handback.present(o.username) for o in accounts}
    problems: list[dict[str, Any]] = []
    holding: dict[str, list[dict[str, Any]]] = {}
    for case, mark in zip(held, marks, strict=True):
        status = statuses[case.operator].status if case.operator in statuses else "off"
        stale_since = mark.waiting_for_reply_since
        item = {"id": case.conversation_id, "risk": case.risk, "claimed_at": iso(case.claimed_at),
                "unread": mark.unread, "waiting_for_reply_since": iso(stale_since),
                "waiting_for_reply_seconds": round(now - stale_since) if stale_since else None,
                "first_response_seconds": round(mark.first_response_at - case.enqueued_at)
                if mark.first_response_at else None}
        holding.setdefault(case.operator, []).append(item)
        base = {"conversation_id": case.conversation_id, "risk": case.risk, "operator": case.operator}
        if status != "on_duty" or not present.get(case.operator, False):
            since = stranded.get(case.conversation_id)
            problems.append({**base, "kind": "holder_away", "status": status, "since": iso(since),
                             "seconds": round(now - since) if since else 0})
        elif stale_since and now - stale_since >= console.unanswered_minutes * 60:
            problems.append({**base, "kind": "unanswered", "since": iso(stale_since),
                             "seconds": round(now - stale_since)})
    outlook = await services.queue_view.outlook()
    for case in waiting:
        if case.risk == "high" and now - case.enqueued_at >= console.realert_minutes * 60:
            problems.append({"conversation_id": case.conversation_id, "risk": case.risk, "operator": None,
                             "kind": "high_risk_waiting", "since": iso(case.enqueued_at),
                             "seconds": round(now - case.enqueued_at), "team": case.team or None})
    problems.sort(key=lambda p: (PROBLEM_ORDER[p["kind"]], -p["seconds"]))
    operators = [{**operator_json(o), "status": statuses[o.username].status if o.username in statuses else "off",
                  "status_since": iso(statuses[o.username].since) if o.username in statuses else None,
                  "online": o.username in online, "held": holding.get(o.username, [])} for o in accounts]
    return ok({"problems": problems, "operators": operators, "waiting": len(waiting),
               "teams": teams_json(outlook, accounts, statuses, online, waiting),
               "range": await shift_range(ctx, int(raw_hours), now),
               "settings": {"high_risk_minutes": console.realert_minutes,
                            "unanswered_minutes": console.unanswered_minutes,
                            "handback_grace_minutes": console.handback_grace_minutes,
                            "team_spill_minutes": console.team_spill_minutes}})


def teams_json(outlook: Outlook, accounts: list[Operator], statuses: dict[str, Status], online: set[str],
               waiting: list[Case]) -> list[dict[str, Any]]:
    """Each team: its members (on duty or not), and the conversations waiting for it only, or open to all since."""
    known = {o.username: o for o in accounts}
    found = []
    for team in outlook.teams.values():
        members = [{**(operator_json(known[name]) if name in known else {"username": name}),
                    "status": statuses[name].status if name in statuses else "off", "online": name in online,
                    "on_duty": name in outlook.on_duty} for name in team.members]
        routed = [case for case in waiting if case.team == team.id]
        open_to_all = sum(1 for case in routed if outlook.spill_reason(case) is not None)
        found.append({"id": team.id, "name": team.name, "members": members,
                      "on_duty": sum(1 for m in members if m["on_duty"]),
                      "waiting": len(routed) - open_to_all, "open_to_all": open_to_all})
    return found
