"""The console's referral API: an operator proposes, the person answers (bot/gateway/referrals.py), a partner moves it.

    POST /api/conversations/{id}/referrals   {"entry_id", "summary", "follow_up_days"}   the holder or a supervisor
    GET  /api/referrals?org=&status=&conversation=                                      see below
    GET  /api/referrals/{rid}
    POST /api/referrals/{rid}/status          {"status", "note"}                         its partner or a supervisor
    GET  /api/referrals/stats, /api/referrals/stats.csv                                  supervisors (numbers only)
    GET  /api/referrals/organisations         organisations and their verified entries   operators, supervisors

Who sees what:
- a partner: only referrals sent to its organisation that the person agreed to (`sent` or later): the summary; the
  contact route only if the person agreed to be contacted; the transcript only if they agreed to that (as it was
  when the referral was proposed); the status and its history. Never the conversation id, the queue, a
  conversation, or another organisation's referral (404, as if it did not exist). Its account opens nothing else
  (routes.py: 403).
- an operator: the referrals of conversations they hold now, and those they proposed (an operator can open any
  conversation in the console; this keeps the list to their own work).
- a supervisor: all, filterable by organisation, status and conversation.
Every view and every change is in the audit log, without any text (an operator's or supervisor's list once per ten
minutes, as conversation views are: the conversation panel reads its referrals on every new message).
"""

from __future__ import annotations

import csv
import io
import statistics
import time
from collections import Counter
from collections.abc import Iterable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from bot.console.api import VIEW_LOGGED_EVERY_SECONDS, Context
from bot.console.clock import iso
from bot.console.http import ApiError, conversation_id, json_body, ok, text_field
from bot.console.window import has_window, refusal, reply_window
from bot.gateway.referrals import ConsentDialogue
from bot.messages import channel_of
from bot.state import keys
from bot.state.referrals import (
    DAY,
    FOLLOW_UP_DAYS_MAX,
    NOTE_MAX,
    PARTNER_STATUSES,
    REACHED,
    STATUSES,
    SUMMARY_MAX,
    Referral,
    TransitionError,
    new_id,
)

TRANSCRIPT_SHARED = 300  # the newest entries, as an operator sees them
SMALL = 5  # counts under this are shown as "<5": a number that small can point at a person
CHANNELS = {"telegram": "Telegram", "zalo": "Zalo", "web": "web"}
FOLLOW_UP_ANSWERS = ("helped", "not_reached", "not_needed")


def consent_of(ctx: Context) -> ConsentDialogue:
    consent = ctx.services.gateway.consent
    if consent is None:
        raise ApiError(503, "referrals are not running in this process")
    return consent


def _int(value: Any, name: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ApiError(400, f"{name} must be a whole number from {low} to {high}")
    return value


# -- proposing -------------------------------------------------------------------------------------------------------

async def propose(request: Request, ctx: Context) -> Response:
    """The consent question goes to the person; the referral is `proposed` until they answer."""
    services, cid = ctx.services, conversation_id(request)
    consent = consent_of(ctx)
    data = await json_body(request)
    entry_id = text_field(data, "entry_id", 100)
    summary = text_field(data, "summary", SUMMARY_MAX)
    days = data.get("follow_up_days")
    follow_up_days = services.settings.referral_follow_up_days if days is None \
        else _int(days, "follow_up_days", 1, FOLLOW_UP_DAYS_MAX)
    holder = await services.gateway.queue.holder(cid)
    if holder != ctx.operator.username and not ctx.operator.supervisor:
        raise ApiError(403, "only the operator holding the conversation (or a supervisor) may propose a referral")
    if holder is None and not await services.gateway.transcript.length(cid):
        raise ApiError(404, "no such conversation")
    record = await services.directory.get(entry_id)
    if record is None:
        raise ApiError(400, "entry_id is not in the directory")
    if not record.entry.verified:
        raise ApiError(400, "entry_id is not verified yet: a person is only ever given verified entries")
    org = await consent.organisations.of_entry(entry_id)
    if org is None:
        raise ApiError(400, "this directory entry belongs to no partner organisation (caunoi org add … --entry)")
    if await consent.referrals.pending(cid) is not None:
        raise ApiError(409, "a consent question is already waiting for the person's answer")
    if has_window(cid):
        window = await reply_window(services.gateway.transcript, cid)
        if window is not None and not window.open(services.options.clock()):
            raise ApiError(409, refusal(window))
    now = time.time()
    referral = await consent.referrals.create(Referral(
        id=new_id(), conversation_id=cid, entry_id=entry_id, org_id=org.id, summary=summary,
        follow_up_days=follow_up_days, proposed_by=ctx.operator.username, created_at=round(now, 3),
        consent_due_at=round(now + consent.referrals.consent_seconds, 3), channel=channel_of(cid),
        entry_type=record.entry.type, province=record.entry.province or "",
    ).changed(ctx.operator.username, "proposed", now))
    delivered = await consent.ask(referral)
    if not delivered:  # nothing asked, nothing shared: no question left waiting 48 hours that blocks a new try
        referral = await consent.referrals.undelivered(referral.id) or referral
    await services.audit.record(ctx.operator.username, "referral_propose", cid, referral=referral.id, org=org.id,
                                entry=entry_id, follow_up_days=follow_up_days, delivered=delivered)
    return ok({"referral": await _staff_json(ctx, referral), "delivered": delivered}, status=201)


async def organisations(request: Request, ctx: Context) -> Response:
    """The organisations and their verified entries: what an operator can propose a referral to."""
    consent = consent_of(ctx)
    labels = ctx.services.content.service_labels
    found = []
    for org in await consent.organisations.all():
        entries = []
        for entry_id in org.entry_ids:
            record = await ctx.services.directory.get(entry_id)
            if record is not None and record.entry.verified:
                entry = record.entry
                entries.append({"id": entry.id, "name": entry.name, "province": entry.province,
                                "type_label": labels.get(entry.type, entry.type)})
        if entries:
            found.append({"id": org.id, "name": org.name, "entries": entries})
    return ok({"organisations": found, "follow_up_days": ctx.services.settings.referral_follow_up_days,
               "summary_max": SUMMARY_MAX})


# -- reading ---------------------------------------------------------------------------------------------------------

def _partner(ctx: Context) -> bool:
    return ctx.operator.role == "partner"


async def _visible(ctx: Context, referral: Referral) -> bool:
    operator = ctx.operator
    if operator.role == "partner":
        return referral.org_id == operator.org and referral.shared
    if operator.supervisor:
        return True
    return referral.proposed_by == operator.username \
        or await ctx.services.gateway.queue.holder(referral.conversation_id) == operator.username


FOLLOW_UP_EVENTS = "follow_up_"  # the hotline's check-in with the person: not the organisation's to read
CHECK_IN_CONSENT = "consent_check_in"  # whether the person let the hotline check in: the hotline's too


def _for_partner(status: str) -> bool:
    return not status.startswith(FOLLOW_UP_EVENTS) and status != CHECK_IN_CONSENT


def _history(referral: Referral, shown_actor: Any = None) -> list[dict[str, Any]]:
    """Every change; for a partner (`shown_actor` given) without the check-in's (whether the person allowed it, and
    its notes, which say things about the person: blocked the bot, not reached the organisation) that the
    organisation does not need."""
    return [{"at": iso(change.at), "actor": shown_actor(change.actor) if shown_actor else change.actor,
             "status": change.status, "note": change.note} for change in referral.history
            if shown_actor is None or _for_partner(change.status)]


async def _names(ctx: Context, referral: Referral) -> tuple[str, str]:
    consent = consent_of(ctx)
    org = await consent.organisations.get(referral.org_id)
    record = await ctx.services.directory.get(referral.entry_id)
    return (org.name if org else referral.org_id), (record.entry.name if record else referral.entry_id)


def _common(referral: Referral, org_name: str, entry_name: str) -> dict[str, Any]:
    return {"id": referral.id, "org": referral.org_id, "org_name": org_name, "entry_id": referral.entry_id,
            "entry_name": entry_name, "status": referral.status, "created_at": iso(referral.created_at),
            "answered_at": iso(referral.answered_at), "first_contact_at": iso(referral.first_contact_at),
            "decline_reason": referral.decline_reason or None}


async def _staff_json(ctx: Context, referral: Referral) -> dict[str, Any]:
    """What an operator or supervisor sees: everything but the transcript (they have the conversation itself)."""
    org_name, entry_name = await _names(ctx, referral)
    consent = referral.consent
    return {**_common(referral, org_name, entry_name), "conversation_id": referral.conversation_id,
            "channel": referral.channel, "summary": referral.summary, "follow_up_days": referral.follow_up_days,
            "proposed_by": referral.proposed_by, "consent_due_at": iso(referral.consent_due_at),
            "consent": {"share_summary": consent.share_summary, "share_contact": consent.share_contact,
                        "contact_route": consent.contact_route or None, "share_transcript": consent.share_transcript,
                        "check_in": consent.check_in},
            "follow_up_due_at": iso(referral.follow_up_due_at), "follow_up_answer": referral.follow_up_answer or None,
            "follow_up_skipped": referral.follow_up_skipped or None, "history": _history(referral)}


async def _partner_json(ctx: Context, referral: Referral, full: bool) -> dict[str, Any]:
    """What the organisation may see, and nothing more (see the module's docstring)."""
    org_name, entry_name = await _names(ctx, referral)
    consent = referral.consent
    colleagues = {o.username for o in await ctx.services.operators.all() if o.org == referral.org_id}

    def actor(name: str) -> str:  # the hotline's operators stay unnamed to the organisation
        return name if name in colleagues or name in ("person", "system") else "hotline"

    shown: dict[str, Any] = {**_common(referral, org_name, entry_name), "summary": referral.summary,
                             "contact": None, "transcript_shared": bool(consent.share_transcript),
                             "history": _history(referral, actor)}
    if consent.share_contact:
        channel = CHANNELS.get(referral.channel, referral.channel)
        shown["contact"] = {"channel": channel, "route": consent.contact_route or None,
                            # Without a route of their own: the hotline passes the organisation's message on.
                            "via_hotline": not consent.contact_route}
    if full and consent.share_transcript:
        # The conversation as it was when the referral was proposed: what the person agreed to share. Not what they
        # write later, nor the consent questions and check-ins (which name this and any other organisation).
        entries = await ctx.services.gateway.transcript.read(referral.conversation_id, -TRANSCRIPT_SHARED, -1)
        shown["transcript"] = [{"at": iso(e.get("at")), "from": e.get("from"), "text": e.get("text", "")}
                               for e in entries if e.get("from") in ("person", "bot", "operator")
                               and float(e.get("at") or 0) <= referral.created_at]
    return shown


async def _shown(ctx: Context, referral: Referral, full: bool = False) -> dict[str, Any]:
    return await _partner_json(ctx, referral, full) if _partner(ctx) else await _staff_json(ctx, referral)


async def _found(request: Request, ctx: Context) -> Referral:
    referral_id = str(request.path_params.get("referral_id", ""))
    referral = await consent_of(ctx).referrals.get(referral_id) if len(referral_id) <= 40 else None
    if referral is None or not await _visible(ctx, referral):
        raise ApiError(404, "no such referral")  # another organisation's: as if it did not exist
    return referral


async def listing(request: Request, ctx: Context) -> Response:
    params = request.query_params
    org, status, conversation = (params.get(name, "").strip() for name in ("org", "status", "conversation"))
    if status and status not in STATUSES:
        raise ApiError(400, f"status must be one of {', '.join(STATUSES)}")
    if conversation and _partner(ctx):  # it would tell which conversation (a person's chat id) a referral came from
        raise ApiError(400, "a partner cannot filter by conversation")
    found = []
    for referral in await consent_of(ctx).referrals.all():
        if (org and referral.org_id != org) or (status and referral.status != status):
            continue
        if conversation and referral.conversation_id != conversation:
            continue
        if await _visible(ctx, referral):
            found.append(referral)
    # A partner's every list is logged. Staff lists once in a while, as a conversation's views are
    # (api.VIEW_LOGGED_EVERY_SECONDS): the conversation panel reads its referrals on every new message.
    scope = f"referrals:{conversation or org or 'all'}:{status}"
    if _partner(ctx) or await ctx.services.gateway.redis.set(keys.viewed(ctx.operator.username, scope), "1", nx=True,
                                                             ex=VIEW_LOGGED_EVERY_SECONDS):
        await ctx.services.audit.record(ctx.operator.username, "referral_list", conversation or None,
                                        count=len(found), org=ctx.operator.org or org or None)
    return ok({"referrals": [await _shown(ctx, referral) for referral in found],
               "statuses": list(PARTNER_STATUSES)})


async def detail(request: Request, ctx: Context) -> Response:
    referral = await _found(request, ctx)
    await ctx.services.audit.record(ctx.operator.username, "referral_view", referral.conversation_id,
                                    referral=referral.id, org=referral.org_id)
    return ok({"referral": await _shown(ctx, referral, full=True)})


async def set_status(request: Request, ctx: Context) -> Response:
    if not (_partner(ctx) or ctx.operator.supervisor):
        raise ApiError(403, "only the organisation's partner accounts and supervisors move a referral's status")
    referral = await _found(request, ctx)
    data = await json_body(request)
    status = data.get("status")
    if not isinstance(status, str) or status not in PARTNER_STATUSES:
        raise ApiError(400, f"status must be one of {', '.join(PARTNER_STATUSES)}")
    note = text_field(data, "note", NOTE_MAX, required=False)
    try:
        moved = await consent_of(ctx).referrals.move(referral.id, status, ctx.operator.username, note)
    except TransitionError as refused:
        raise ApiError(refused.status, refused.reason) from None
    if moved is None:
        raise ApiError(404, "no such referral")
    await ctx.services.audit.record(ctx.operator.username, "referral_status", referral.conversation_id,
                                    referral=referral.id, org=referral.org_id, before=referral.status, after=status,
                                    noted=bool(note))
    return ok({"referral": await _shown(ctx, moved, full=True)})


# -- numbers without people in them ----------------------------------------------------------------------------------

def shown_count(count: int) -> int | str:
    """A count as the numbers show it: 1 to 4 as "<5" (so few can point at a person); 0 and 5 or more as they are."""
    return "<5" if 0 < count < SMALL else count


def _row(referrals: list[Referral]) -> dict[str, Any]:
    answered = [r for r in referrals if r.answered_at is not None or r.status == "expired"]
    shared = [r for r in referrals if r.shared]
    days = [(r.first_contact_at - r.answered_at) / DAY for r in shared
            if r.first_contact_at is not None and r.answered_at is not None]
    answers = Counter(r.follow_up_answer for r in referrals if r.follow_up_answer)
    return {
        "proposed": shown_count(len(referrals)),
        "answered": shown_count(len(answered)),
        "share_accepted": shown_count(len(shared)),
        "refused": shown_count(sum(1 for r in referrals if r.status == "refused")),
        "expired": shown_count(sum(1 for r in referrals if r.status == "expired")),
        "contacted": shown_count(sum(1 for r in shared if r.first_contact_at is not None)),
        "helped": shown_count(sum(1 for r in shared if r.status in ("helping", "closed"))),
        "declined": shown_count(sum(1 for r in shared if r.status == "declined")),
        # A median of fewer than five people would be nearly theirs: not shown.
        "median_days_to_first_contact": round(statistics.median(days), 1) if len(days) >= SMALL else None,
        "follow_up": {answer: shown_count(answers.get(answer, 0)) for answer in FOLLOW_UP_ANSWERS}
        | {"skipped": shown_count(sum(1 for r in referrals if r.follow_up_skipped))},
    }


def _grouped(referrals: Iterable[Referral], key: Any) -> dict[str, list[Referral]]:
    groups: dict[str, list[Referral]] = {}
    for referral in referrals:
        groups.setdefault(key(referral) or "(không rõ)", []).append(referral)
    return dict(sorted(groups.items()))


async def numbers(ctx: Context) -> dict[str, Any]:
    consent = consent_of(ctx)
    referrals = await consent.referrals.all()
    names = {org.id: org.name for org in await consent.organisations.all()}
    labels = ctx.services.content.service_labels
    return {
        "total": _row(referrals),
        "by_org": [{"org": org, "name": names.get(org, org), **_row(group)}
                   for org, group in _grouped(referrals, lambda r: r.org_id).items()],
        "by_type": [{"type": kind, "label": labels.get(kind, kind), **_row(group)}
                    for kind, group in _grouped(referrals, lambda r: r.entry_type).items()],
        "by_province": [{"province": place, **_row(group)}
                        for place, group in _grouped(referrals, lambda r: r.province or "(toàn quốc)").items()],
        "reached_statuses": list(REACHED),
    }


async def stats(request: Request, ctx: Context) -> Response:
    return ok(await numbers(ctx))


CSV_COLUMNS = ("proposed", "answered", "share_accepted", "refused", "expired", "contacted", "helped", "declined",
               "median_days_to_first_contact")


async def stats_csv(request: Request, ctx: Context) -> Response:
    found = await numbers(ctx)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(("group", "name", *CSV_COLUMNS, *(f"follow_up_{a}" for a in (*FOLLOW_UP_ANSWERS, "skipped"))))

    def write(group: str, name: str, row: dict[str, Any]) -> None:
        follow = row["follow_up"]
        writer.writerow((group, name, *("" if row[c] is None else row[c] for c in CSV_COLUMNS),
                         *(follow[a] for a in (*FOLLOW_UP_ANSWERS, "skipped"))))

    write("total", "", found["total"])
    for row in found["by_org"]:
        write("org", row["name"], row)
    for row in found["by_type"]:
        write("type", row["label"], row)
    for row in found["by_province"]:
        write("province", row["province"], row)
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="referrals.csv"', "Cache-Control": "no-store",
                             "X-Content-Type-Options": "nosniff"})
