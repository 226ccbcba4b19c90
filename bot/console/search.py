"""Finding conversations (GET /api/search): by id, campaign, close tag and date — never by what anyone wrote.

Every conversation that still has data is on the retention schedule (`keys.RETENTION`, bot/state/retention.py), and
a close or /xoa takes it off: the search walks that schedule (and the queue), so it finds nothing that was erased and
needs no index of its own to keep in step. It reads each candidate's case and closed handoffs (their tags, summary,
follow-up flag, campaign), at most `SCANNED_MAX` conversations, and answers the newest `SHOWN` matches.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from bot.console.api import Context
from bot.console.clock import iso, parse_time
from bot.console.http import ApiError, ok
from bot.state import keys

SHOWN = 50
SCANNED_MAX = 5000
DAY = 24 * 3600


def _time(raw: str, end_of_day: bool) -> float | None:
    value = parse_time(raw)
    if value is None:
        raise ApiError(400, "from and to must be dates (2026-12-01), date-times (2026-12-01T22:00) or epoch seconds")
    date_only = "T" not in raw and not raw.strip().replace(".", "", 1).isdigit()
    return value + DAY if end_of_day and date_only else value


async def conversations(ctx: Context) -> set[str]:
    """Every conversation that still has data (at most SCANNED_MAX from the schedule), and every one in the queue."""
    queue = ctx.services.gateway.queue
    found = set(await ctx.services.gateway.redis.zrange(keys.RETENTION, 0, SCANNED_MAX - 1))
    found |= {case.conversation_id for case in await queue.waiting()}
    found |= {case.conversation_id for case in await queue.held()}
    return found


async def search(request: Request, ctx: Context) -> Response:
    params = request.query_params
    wanted = {name: params.get(name, "").strip() for name in ("id", "campaign", "tag", "from", "to")}
    if not any(wanted.values()):
        raise ApiError(400, "search by at least one of id, campaign, tag, from, to")
    if any(len(value) > 100 for value in wanted.values()):
        raise ApiError(400, "search values are at most 100 characters")
    if wanted["tag"] and wanted["tag"] not in {tag.id for tag in ctx.services.close_tags}:
        raise ApiError(400, "unknown tag (see GET /api/close-tags)")
    since = _time(wanted["from"], end_of_day=False) if wanted["from"] else None
    until = _time(wanted["to"], end_of_day=True) if wanted["to"] else None
    services = ctx.services
    candidates = await conversations(ctx)
    if wanted["id"]:
        candidates = {cid for cid in candidates if wanted["id"].lower() in cid.lower()}
    found: list[dict[str, Any]] = []
    for cid in candidates:
        item = await _match(ctx, cid, wanted, since, until)
        if item is not None:
            found.append(item)
    found.sort(key=lambda item: item["_latest"], reverse=True)
    await services.audit.record(ctx.operator.username, "search", fields=",".join(k for k, v in wanted.items() if v))
    shown = [{k: v for k, v in item.items() if k != "_latest"} for item in found[:SHOWN]]
    return ok({"results": shown, "more": len(found) > SHOWN})


async def _match(ctx: Context, cid: str, wanted: dict[str, str], since: float | None,
                 until: float | None) -> dict[str, Any] | None:
    queue = ctx.services.gateway.queue
    case = await queue.case(cid)
    records = await ctx.services.notes.handoffs(cid)
    if case is None and not records:
        return None  # nothing an operator handled: a conversation with the bot only
    campaigns = {case.campaign if case else ""} | {str(r.get("campaign") or "") for r in records}
    if wanted["campaign"] and wanted["campaign"] not in campaigns:
        return None
    tags = [tag for r in records for tag in (r.get("tags") or [])]
    if wanted["tag"] and wanted["tag"] not in tags:
        return None
    times = [float(r["closed_at"]) for r in records if r.get("closed_at")]
    if case is not None:
        times.append(case.enqueued_at)
    if (since is not None or until is not None) and not any(
            (since is None or at >= since) and (until is None or at < until) for at in times):
        return None
    last = records[-1] if records else {}
    return {
        "id": cid, "state": await queue.mode(cid), "risk": case.risk if case else last.get("risk"),
        "campaign": next((c for c in campaigns if c), None), "waiting_since": iso(case.enqueued_at) if case else None,
        "closed_at": iso(last.get("closed_at")), "outcome": last.get("outcome"), "tags": list(dict.fromkeys(tags)),
        "follow_up": any(bool(r.get("follow_up")) for r in records), "summary": last.get("summary") or None,
        "handoffs": len(records), "_latest": max(times, default=0.0),
    }
