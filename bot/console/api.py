"""The operator API's handlers. Routing, sessions, CSRF and roles are checked before they run (bot/console/routes.py).

Every handler gets the request and a `Context` (the services and the caller's session) and returns JSON; failures
raise `ApiError` and become `{"error": reason}` with a 4xx status.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from bot.console.clock import iso, vietnam_day
from bot.console.handoff import OUTCOMES
from bot.console.http import (
    ApiError,
    clear_session_cookie,
    client_address,
    conversation_id,
    json_body,
    ok,
    over_tls,
    set_session_cookie,
    text_field,
)
from bot.console.location import whereabouts
from bot.console.operators import PASSWORD_MAX, USERNAME, Operator
from bot.console.services import ConsoleServices
from bot.console.sessions import Session
from bot.console.shift import STATUSES
from bot.console.window import ReplyWindow, has_window, refusal, reply_window, window_fields, window_of
from bot.state import keys
from bot.state.queue import Case, Transition

MESSAGE_MAX_CHARS = 4000
NOTE_MAX_CHARS = 2000
HANDOVER_MAX_CHARS = 1000
SUMMARY_MAX_CHARS = 1000
AGENCY_MAX_CHARS = 200
TRANSCRIPT_SHOWN = 300  # the newest entries; older ones stay in Redis
VIEW_LOGGED_EVERY_SECONDS = 600
# The password was right and the account has a second factor: the console asks for the code and sends both again.
SECOND_FACTOR_NEEDED = "second factor code required"
TEMPORARY_EXPIRED = "this first password has expired: ask a supervisor for a new one (caunoi operator reset-password)"
CHANGE_PASSWORD_FIRST = "choose your own password first (this one was set by someone else)"


@dataclass(frozen=True)
class Context:
    services: ConsoleServices
    session: Session | None

    @property
    def operator(self) -> Operator:
        assert self.session is not None, "a public endpoint asked for the operator"
        return self.session.operator


def case_json(case: Case, place: int | None = None) -> dict[str, Any]:
    return {"id": case.conversation_id, "channel": case.channel, "risk": case.risk, "reasons": list(case.reasons),
            "waiting_since": iso(case.enqueued_at), "campaign": case.campaign or None, "summary": case.summary,
            "place": place, "operator": case.operator or None, "claimed_at": iso(case.claimed_at),
            "team": case.team or None}


def window_json(ctx: Context, window: ReplyWindow | None) -> dict[str, Any] | None:
    """Zalo's reply window as the console shows it (bot/console/window.py); None before the person wrote."""
    return window_fields(window, ctx.services.options.clock()) if window else None


async def read_window_json(ctx: Context, conversation_id: str) -> dict[str, Any] | None:
    """The conversation's Zalo reply window, read from its transcript; None on other channels."""
    if not has_window(conversation_id):
        return None
    return window_json(ctx, await reply_window(ctx.services.gateway.transcript, conversation_id))


async def cases_json(ctx: Context, cases: list[Case], places: dict[str, int] | None = None) -> list[dict[str, Any]]:
    """The queue's cases, each with its Zalo reply window (read for the Zalo ones only, all at once) and, for
    waiting ones, its place in `places`."""
    windows = await asyncio.gather(*(read_window_json(ctx, case.conversation_id) for case in cases))
    return [{**case_json(case, (places or {}).get(case.conversation_id)), "reply_window": window}
            for case, window in zip(cases, windows, strict=True)]


def operator_json(operator: Operator) -> dict[str, Any]:
    shown = {"username": operator.username, "alias": operator.alias, "role": operator.role}
    return {**shown, "org": operator.org} if operator.org else shown


async def must_enrol(services: ConsoleServices, operator: Operator) -> bool:
    """True when a supervisor requires a second factor and this account has none yet: its session may only enrol
    (and change its password, see its sessions, log out)."""
    return not operator.second_factor and await services.operators.second_factor_required()


async def me_json(ctx: Context, operator: Operator, csrf: str) -> dict[str, Any]:
    """Who is logged in, as login and /api/me answer (fields were added over time; none was removed)."""
    return {"csrf_token": csrf, **operator_json(operator), "second_factor": operator.second_factor,
            "second_factor_required": await ctx.services.operators.second_factor_required(),
            "must_enrol": await must_enrol(ctx.services, operator),
            "must_change_password": operator.must_change_password,
            "status": (await ctx.services.availability.of(operator.username)).json(),
            # The console warns before this much time without a click ends the session (the draft stays in the tab).
            "idle_seconds": ctx.services.settings.console.session_idle_minutes * 60,
            **await _organisation(ctx, operator)}


async def _organisation(ctx: Context, operator: Operator) -> dict[str, str]:
    """A partner's organisation by name, for its page's header (the id means nothing to its staff)."""
    consent = ctx.services.gateway.consent
    organisation = await consent.organisations.get(operator.org) if operator.org and consent is not None else None
    return {"org_name": organisation.name} if organisation is not None else {}


# -- sessions -----------------------------------------------------------------------------------------------------

async def login(request: Request, ctx: Context) -> Response:
    services = ctx.services
    data = await json_body(request)
    username, password = data.get("username"), data.get("password")
    if not isinstance(username, str) or not isinstance(password, str) or not username or not password:
        raise ApiError(400, "username and password are required")
    if len(username) > 64 or len(password) > PASSWORD_MAX:
        raise ApiError(401, "wrong username or password")
    username = username.strip().lower()
    address = client_address(request, services.settings.console)
    if not await services.logins.reserve(username, address):
        raise ApiError(429, "too many failed logins: try again later")
    operator = await services.operators.verify(username, password)
    if operator is None:  # the reservation stays: it is this failure's count
        known = USERNAME.fullmatch(username) and await services.operators.get(username) is not None
        await services.audit.record(username if known else "?", "login_failed")
        raise ApiError(401, "wrong username or password")
    if operator.temporary_expired(services.options.clock()):  # the reservation stays, as for a failure
        await services.audit.record(username, "login_failed", reason="temporary_password_expired")
        raise ApiError(401, TEMPORARY_EXPIRED)
    if operator.second_factor:
        # A missing or wrong code keeps the reservation too: the limit counts guesses of the code as well.
        code = data.get("code")
        if not isinstance(code, str) or not code.strip():
            raise ApiError(401, SECOND_FACTOR_NEEDED)
        used = await services.operators.check_second_factor(username, code[:64], services.options.clock())
        if used is None:
            await services.audit.record(username, "login_failed", factor="second")
            raise ApiError(401, "wrong second factor code")
        if used == "recovery":
            await services.audit.record(username, "recovery_code_used",
                                        left=await services.operators.recovery_codes_left(username))
    await services.logins.succeeded(username, address)
    token, session = await services.sessions.create(operator)
    await services.presence.seen(operator.username)
    # Logging in is starting work; a directory editor or a partner answers nobody (no conversation opens for those
    # roles), so never counts as on duty: not offered transfers, and a waiting person is still told nobody is there.
    await services.availability.set(operator.username, "on_duty" if operator.answers else "off")
    await services.audit.record(operator.username, "login")
    response = ok(await me_json(ctx, operator, session.csrf))
    secure = over_tls(request, services.settings.console)
    set_session_cookie(response, token, secure)
    return response


async def logout(request: Request, ctx: Context) -> Response:
    assert ctx.session is not None
    await ctx.services.sessions.end(ctx.session)
    await ctx.services.presence.gone(ctx.operator.username)
    await ctx.services.audit.record(ctx.operator.username, "logout")
    response = ok({"ok": True})
    clear_session_cookie(response, over_tls(request, ctx.services.settings.console))
    return response


async def me(request: Request, ctx: Context) -> Response:
    assert ctx.session is not None
    return ok(await me_json(ctx, ctx.operator, ctx.session.csrf))


async def set_status(request: Request, ctx: Context) -> Response:
    """On duty, on a break or off (bot/console/shift.py): transfers go only to operators on duty; going off hands
    the held conversations back to the queue after the grace period."""
    status = (await json_body(request)).get("status")
    if status not in STATUSES:
        raise ApiError(400, f"status must be one of {', '.join(STATUSES)}")
    changed = await ctx.services.availability.set(ctx.operator.username, str(status))
    await ctx.services.audit.record(ctx.operator.username, "status", status=status)
    return ok(changed.json() | {"since": iso(changed.since)})


# -- the queue and one conversation ----------------------------------------------------------------------------------

async def queue(request: Request, ctx: Context) -> Response:
    """The waiting and the held conversations this account sees (bot/console/queue_view.py: by team), each with
    its team; a waiting one's `place` is its place in the whole queue."""
    handoff_queue = ctx.services.gateway.queue
    outlook = await ctx.services.queue_view.outlook()
    everyone = await handoff_queue.waiting()
    places = {case.conversation_id: place for place, case in enumerate(everyone, start=1)}
    waiting = [case for case in everyone if outlook.sees(ctx.operator, case)]
    held = [case for case in await handoff_queue.held() if outlook.sees(ctx.operator, case)]
    held_json = await cases_json(ctx, held)
    marks = await asyncio.gather(*(ctx.services.read_marks.of(case) for case in held))
    for item, mark, case in zip(held_json, marks, held, strict=True):
        item.update(unread=mark.unread, waiting_for_reply_since=iso(mark.waiting_for_reply_since),
                    **outlook.team_json(case))
    waiting_json = await cases_json(ctx, waiting, places)
    for item, case in zip(waiting_json, waiting, strict=True):
        item.update(outlook.team_json(case))
    return ok({"waiting": waiting_json, "held": held_json})


def transcript_json(entry: dict[str, Any]) -> dict[str, Any]:
    shown = {"at": iso(entry.get("at")), "from": entry.get("from"), "text": entry.get("text", ""),
             "kind": entry.get("kind", "text")}
    if entry.get("undeliverable"):
        shown.update(undeliverable=True, reason=entry.get("reason"))
    if entry.get("attachment"):
        shown["attachment"] = entry["attachment"]  # served to the holder and supervisors (attachments.py)
    return shown


async def conversation(request: Request, ctx: Context) -> Response:
    services, cid = ctx.services, conversation_id(request)
    handoff_queue = services.gateway.queue
    case = await handoff_queue.case(cid)
    mode = await handoff_queue.mode(cid)
    transcript = await services.gateway.transcript.read(cid, -TRANSCRIPT_SHOWN, -1)
    notes = await services.notes.read(cid)
    history = await services.notes.handoffs(cid)
    if case is None and mode == "bot" and not transcript and not notes and not history:
        raise ApiError(404, "no such conversation")
    holder_name = await handoff_queue.holder(cid)
    holder = await services.operators.get(holder_name) if holder_name else None
    if holder_name == ctx.operator.username:
        await services.read_marks.opened(cid, holder_name)  # what the holder has seen is read
    slots = await services.rasa.slots(cid) if case is not None else {}
    location = whereabouts(transcript, slots, services.content.directory)
    places = services.gateway.whereabouts
    if location is None and places is not None and await places.abroad(cid):
        location = {"province": None, "country": None, "latitude": None, "longitude": None, "map_url": None,
                    "abroad": True}  # a country named in what they wrote (bot/state/whereabouts.py)
    if await services.gateway.redis.set(keys.viewed(ctx.operator.username, cid), "1", nx=True,
                                        ex=VIEW_LOGGED_EVERY_SECONDS):
        await services.audit.record(ctx.operator.username, "view", cid)
    return ok({
        "id": cid, "channel": cid.split(":", 1)[0], "state": mode,
        "case": {**case_json(case, await handoff_queue.place(cid)),
                 **(await services.queue_view.outlook()).team_json(case)} if case else None,
        "operator": operator_json(holder) if holder else ({"username": holder_name} if holder_name else None),
        "mine": holder_name == ctx.operator.username,
        "location": location,
        "reply_window": window_json(ctx, window_of(transcript)) if has_window(cid) else None,
        "transcript": [transcript_json(entry) for entry in transcript],
        "notes": [{**note, "at": iso(note.get("at"))} for note in notes],
        "history": [{**item, "closed_at": iso(item.get("closed_at")), "enqueued_at": iso(item.get("enqueued_at")),
                     "claimed_at": iso(item.get("claimed_at"))} for item in history],
    })


def _conflict(transition: Transition, me: str) -> ApiError:
    if transition.mode == "human" and transition.operator == me:
        return ApiError(409, "you already hold this conversation")
    if transition.mode == "human":
        return ApiError(409, f"{transition.operator or 'another operator'} holds this conversation")
    if transition.mode == "waiting":
        return ApiError(409, "the conversation is waiting in the queue: claim it first")
    return ApiError(409, "the conversation is with the bot, not waiting for an operator")


async def claim(request: Request, ctx: Context) -> Response:
    cid = conversation_id(request)
    refusal = await ctx.services.queue_view.claim_refusal(ctx.operator, cid)
    if refusal:
        raise ApiError(403, refusal)
    transition = await ctx.services.handoffs.claim(cid, ctx.operator)
    if not transition.ok:
        raise _conflict(transition, ctx.operator.username)
    return ok({"state": transition.mode, "operator": transition.operator})


async def send_message(request: Request, ctx: Context) -> Response:
    cid = conversation_id(request)
    text = text_field(await json_body(request), "text", MESSAGE_MAX_CHARS)
    if has_window(cid) and await ctx.services.gateway.queue.holder(cid) == ctx.operator.username:
        window = await reply_window(ctx.services.gateway.transcript, cid)
        if window is not None and not window.open(ctx.services.options.clock()):
            raise ApiError(409, refusal(window))  # Zalo would refuse it (-305): say so now, send nothing
    delivered = await ctx.services.handoffs.reply(cid, ctx.operator, text)
    if delivered is None:
        raise ApiError(409, "you do not hold this conversation")
    return ok({"delivered": delivered})


async def release(request: Request, ctx: Context) -> Response:
    cid = conversation_id(request)
    transition = await ctx.services.handoffs.release(cid, ctx.operator)
    if not transition.ok:
        raise ApiError(409, "you do not hold this conversation") if transition.mode == "human" \
            else _conflict(transition, ctx.operator.username)
    return ok({"state": transition.mode, "place": await ctx.services.gateway.queue.place(cid)})


async def transfer(request: Request, ctx: Context) -> Response:
    cid = conversation_id(request)
    data = await json_body(request)
    name = text_field(data, "operator", 64).lower()
    target = await ctx.services.operators.get(name)
    if target is None or target.disabled:
        raise ApiError(404, "no such operator (or the account is disabled)")
    holder = await ctx.services.gateway.queue.holder(cid)
    if target.username == holder:
        raise ApiError(409, f"{target.username} already holds this conversation")
    if holder != ctx.operator.username and not ctx.operator.supervisor:
        raise ApiError(409, "you do not hold this conversation")
    if not await ctx.services.availability.available(target.username):
        raise ApiError(409, f"{target.username} is not on duty (transfers go only to operators on duty)")
    note = data.get("note")
    if not isinstance(note, str) or not note.strip():
        raise ApiError(400, "a handover note is required: what the next operator needs to know")
    if len(note) > HANDOVER_MAX_CHARS:
        raise ApiError(413, f"handover note longer than {HANDOVER_MAX_CHARS} characters")
    transition = await ctx.services.handoffs.transfer(cid, ctx.operator, target, note.strip())
    if not transition.ok:
        raise ApiError(409, "you do not hold this conversation") if transition.mode == "human" \
            else _conflict(transition, ctx.operator.username)
    return ok({"state": transition.mode, "operator": transition.operator})


async def add_note(request: Request, ctx: Context) -> Response:
    cid = conversation_id(request)
    text = text_field(await json_body(request), "text", NOTE_MAX_CHARS)
    services = ctx.services
    if await services.gateway.queue.case(cid) is None and not await services.gateway.transcript.length(cid):
        raise ApiError(404, "no such conversation")
    note = await services.handoffs.note(cid, ctx.operator, text)
    return ok({"note": {**note, "at": iso(note["at"])}}, status=201)


async def _referral(raw: Any, ctx: Context) -> dict[str, str] | None:
    if raw is None or raw == "" or raw == {}:
        return None
    directory = await ctx.services.directory.current()  # the live directory: an entry verified a minute ago
    if isinstance(raw, str):
        raw = {"entry_id": raw} if directory.by_id(raw.strip()) else {"agency": raw}
    if not isinstance(raw, dict):
        raise ApiError(400, "referral must be {\"entry_id\": ...} or {\"agency\": ...}")
    if isinstance(raw.get("entry_id"), str) and raw["entry_id"].strip():
        entry = directory.by_id(raw["entry_id"].strip())
        if entry is None:
            raise ApiError(400, "referral entry_id is not in the directory")
        if not entry.verified:
            raise ApiError(400, "referral entry_id is not verified yet: choose a verified entry or name the agency")
        return {"entry_id": entry.id, "name": entry.name}
    agency = raw.get("agency")
    if isinstance(agency, str) and agency.strip():
        if len(agency.strip()) > AGENCY_MAX_CHARS:
            raise ApiError(413, f"agency longer than {AGENCY_MAX_CHARS} characters")
        return {"agency": agency.strip()}
    raise ApiError(400, "referral must be {\"entry_id\": ...} or {\"agency\": ...}")


def _wrap_up(data: dict[str, Any], ctx: Context) -> dict[str, Any]:
    """Close's tags (ids from content/vi/console/close_tags.yml), short summary and follow-up flag."""
    tags = data.get("tags", [])
    known = {tag.id for tag in ctx.services.close_tags}
    if not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags):
        raise ApiError(400, "tags must be a list of tag ids")
    unknown = [tag for tag in tags if tag not in known]
    if unknown:
        raise ApiError(400, f"unknown tags: {', '.join(unknown[:5])[:200]} (see GET /api/close-tags)")
    summary = data.get("summary", "")
    if not isinstance(summary, str):
        raise ApiError(400, "summary must be text")
    if len(summary) > SUMMARY_MAX_CHARS:
        raise ApiError(413, f"summary longer than {SUMMARY_MAX_CHARS} characters")
    follow_up = data.get("follow_up", False)
    if not isinstance(follow_up, bool):
        raise ApiError(400, "follow_up must be true or false")
    return {"tags": list(dict.fromkeys(tags)), "summary": summary.strip(), "follow_up": follow_up}


async def close(request: Request, ctx: Context) -> Response:
    cid = conversation_id(request)
    data = await json_body(request)
    outcome = data.get("outcome")
    if outcome not in OUTCOMES:
        raise ApiError(400, f"outcome must be one of {', '.join(OUTCOMES)}")
    referral = await _referral(data.get("referral"), ctx)
    if outcome == "referred" and referral is None:
        raise ApiError(400, "a referral (directory entry or agency) is needed when the outcome is referred")
    wrap_up = _wrap_up(data, ctx)
    transition = await ctx.services.handoffs.close(cid, ctx.operator, str(outcome), referral, wrap_up)
    if not transition.ok:
        raise ApiError(409, "you do not hold this conversation") if transition.mode == "human" \
            else _conflict(transition, ctx.operator.username)
    return ok({"state": "bot"})


# -- what the console shows around the conversations ----------------------------------------------------------------

async def canned(request: Request, ctx: Context) -> Response:
    return ok({"replies": [{"id": r.id, "title": r.title, "text": r.text, "group": r.group}
                           for r in ctx.services.canned]})


async def tags(request: Request, ctx: Context) -> Response:
    return ok({"tags": [{"id": tag.id, "label": tag.label} for tag in ctx.services.close_tags]})


async def operators(request: Request, ctx: Context) -> Response:
    online = set(await ctx.services.presence.online())
    statuses = await ctx.services.availability.all()
    found = [{**operator_json(o), "online": o.username in online,
              "status": statuses[o.username].status if o.username in statuses else "off",
              "available": o.username in online and o.username in statuses
              and statuses[o.username].status == "on_duty"}
             for o in await ctx.services.operators.all() if not o.disabled and o.answers]
    return ok({"operators": found})


async def stats(request: Request, ctx: Context) -> Response:
    services = ctx.services
    waiting = await services.gateway.queue.waiting()
    held = await services.gateway.queue.held()
    now = services.options.clock()
    online = await services.presence.online()
    accounts = {o.username: o for o in await services.operators.all()}
    day = vietnam_day(now)
    outcomes = await services.gateway.redis.hgetall(keys.outcomes(day))
    by_risk: dict[str, int] = {}
    for case in waiting:
        by_risk[case.risk] = by_risk.get(case.risk, 0) + 1
    return ok({
        "waiting": len(waiting),
        "waiting_by_risk": by_risk,
        "longest_wait_seconds": round(max((now - c.enqueued_at for c in waiting), default=0.0)),
        "in_conversation": len(held),
        # A partner's account is seen online too, but answers nobody: not an operator.
        "operators_online": [operator_json(accounts[name]) if name in accounts else {"username": name}
                             for name in online if name not in accounts or accounts[name].role != "partner"],
        "day": day,
        "outcomes_today": {outcome: int(outcomes.get(outcome, 0)) for outcome in OUTCOMES},
        # Directory entries on the "cần kiểm tra lại" list (bot/console/directory.py).
        "directory_due": len(await services.directory.due(date.fromisoformat(day),
                                                          services.settings.directory_recheck_days)),
    })
