"""The console's routes: the JSON API under /api/, live events, and the static web console under /console/.

    from bot.console import create_console_routes
    routes = [..., *create_console_routes()]        # services at app.state.console (ConsoleServices.running)

Every /api/ route but login needs a live session (cookie); every request that changes something needs the session's
CSRF token in X-CSRF-Token; supervisor routes need the supervisor role. Failures are always `{"error": reason}`.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import redis
from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.console import account, api, attachments, board, directory, outreach, referrals, search
from bot.console.api import Context
from bot.console.clock import parse_time
from bot.console.events import SESSIONS_ENDED
from bot.console.http import CSRF_HEADER, NO_STORE, ApiError, error, session_token
from bot.console.services import ConsoleServices

log = logging.getLogger(__name__)
STATIC = Path(__file__).parent / "static"
TEAM_FILTERED = ("queue", "alert")  # events an operator hears only for conversations their queue shows
ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
Handler = Callable[[Request, Context], Awaitable[Response]]
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                               "media-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; "
                               "frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


@dataclass(frozen=True)
class Access:
    handler: Handler
    public: bool = False
    supervisor: bool = False
    # Open to a session whose account is not yet ready to work: it must still enrol a second factor (a supervisor
    # requires one, the account has none) or choose its own password (the one it has was set by someone else).
    enrolling: bool = False
    editor: bool = False  # directory editing: the directory_editor role or a supervisor
    directory: bool = False  # open to a directory_editor (whose account opens nothing else but its own settings)
    partner: bool = False  # open to a partner (whose account opens its organisation's referrals and its own settings)


def services_of(request: Request, state_name: str) -> ConsoleServices:
    services: ConsoleServices = getattr(request.app.state, state_name)
    return services


def api_route(path: str, state_name: str, **methods: Access) -> Route:
    table = {method.upper(): access for method, access in methods.items()}
    if "GET" in table:
        table.setdefault("HEAD", table["GET"])

    async def endpoint(request: Request) -> Response:
        access = table.get(request.method)
        if access is None:
            return error(405, f"method {request.method} not allowed here")
        try:
            services = services_of(request, state_name)
            session = None
            if not access.public:
                session = await services.sessions.current(session_token(request))
                if session is None:
                    raise ApiError(401, "log in first (the session is missing or has ended)")
                if request.method not in ("GET", "HEAD") and not session.csrf_ok(request.headers.get(CSRF_HEADER)):
                    raise ApiError(403, "CSRF token missing or wrong (send X-CSRF-Token)")
                if access.supervisor and not session.operator.supervisor:
                    raise ApiError(403, "supervisors only")
                if not access.enrolling and session.operator.must_change_password:
                    raise ApiError(403, api.CHANGE_PASSWORD_FIRST)
                if access.editor and session.operator.role not in directory.EDITORS:
                    raise ApiError(403, "directory editors and supervisors only")
                if session.operator.role == "directory_editor" and not (access.directory or access.enrolling):
                    raise ApiError(403, "a directory editor's account opens the directory only")
                if session.operator.role == "partner" and not (access.partner or access.enrolling):
                    raise ApiError(403, "a partner's account opens its organisation's referrals only")
                if not access.enrolling and await api.must_enrol(services, session.operator):
                    raise ApiError(403, "enrol a second factor first (a supervisor requires one)")
                await services.presence.seen(session.username)
            return await access.handler(request, Context(services, session))
        except ApiError as failure:
            return error(failure.status, failure.reason)
        except redis.RedisError as failure:
            log.error("console api path=%s storage unavailable: %s", path, type(failure).__name__)
            return error(503, "storage unavailable, retry later")
        except Exception as failure:  # never the message: exceptions may quote what they were given
            log.error("console api path=%s failed: %s", path, type(failure).__name__)
            return error(500, "internal error")

    return Route(path, endpoint, methods=ALL_METHODS)


async def events(request: Request, ctx: Context) -> Response:
    """Server-sent events: `queue`, `transcript`, `note`, `alert`, `resync`; a comment line every heartbeat."""
    services, session = ctx.services, ctx.session
    assert session is not None
    heartbeat = services.options.heartbeat_seconds

    async def stream() -> AsyncIterator[str]:
        async with services.broadcaster.subscribe() as queue:
            yield "retry: 2000\n\n: connected\n\n"
            while True:
                try:
                    event = await asyncio.wait_for(queue.get(), heartbeat)
                except asyncio.TimeoutError:
                    if await services.sessions.by_digest(session.digest, touch=False) is None:
                        yield "event: logout\ndata: {}\n\n"
                        return
                    await services.presence.seen(session.username)
                    yield ": ping\n\n"
                    continue
                if event.get("type") == "bye":
                    return
                # Every event, not only the heartbeat: a disabled operator's stream ends at the next event, and
                # disabling publishes one (SESSIONS_ENDED), so at once rather than up to a heartbeat later.
                if await services.sessions.by_digest(session.digest, touch=False) is None:
                    yield "event: logout\ndata: {}\n\n"
                    return
                if event.get("type") == SESSIONS_ENDED:
                    continue
                # A conversation waiting for another team is not this operator's to hear of (queue_view.py).
                if event.get("type") in TEAM_FILTERED and isinstance(event.get("conversation_id"), str) and \
                        not await services.queue_view.sees(session.operator, event["conversation_id"]):
                    continue
                kind = str(event.get("type", "message"))
                yield f"event: {kind}\ndata: {json.dumps(event, ensure_ascii=False)}\n\n"

    return StreamingResponse(stream(), media_type="text/event-stream",
                             headers={**NO_STORE, "X-Accel-Buffering": "no"})


async def audit_export(request: Request, ctx: Context) -> Response:
    """The audit log as JSON lines, oldest first: ?since=&until= (ISO date/time in Vietnam time or epoch), ?limit=."""
    params = request.query_params
    since = parse_time(params.get("since", ""))
    until = parse_time(params.get("until", ""))
    if (params.get("since") and since is None) or (params.get("until") and until is None):
        raise ApiError(400, "since and until must be ISO dates (2026-12-01, 2026-12-01T22:00) or epoch seconds")
    limit_raw = params.get("limit", "")
    if limit_raw and not limit_raw.isdigit():
        raise ApiError(400, "limit must be a whole number")
    assert ctx.session is not None
    await ctx.services.audit.record(ctx.session.username, "audit_export")

    async def lines() -> AsyncIterator[str]:
        async for item in ctx.services.audit.export(since, until, int(limit_raw) if limit_raw else None):
            yield json.dumps(item, ensure_ascii=False) + "\n"

    return StreamingResponse(lines(), media_type="application/x-ndjson", headers=NO_STORE)


async def not_found(request: Request, ctx: Context) -> Response:
    raise ApiError(404, "no such API route")


class Secured:
    """Adds the console's security headers (a strict CSP: no inline script, nothing from elsewhere)."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers[name] = value
            await send(message)

        await self.app(scope, receive, send_secured)


async def to_console(request: Request) -> Response:
    return RedirectResponse("/console/", status_code=308)


def create_console_routes(state_name: str = "console") -> list[BaseRoute]:
    """The API under /api/ and the web console under /console/; services are read from `app.state.<state_name>`."""
    def route(path: str, **methods: Access) -> Route:
        return api_route(path, state_name, **methods)

    conversation = "/api/conversations/{conversation_id}"
    return [
        route("/api/login", post=Access(api.login, public=True)),
        route("/api/logout", post=Access(api.logout, enrolling=True)),
        route("/api/me", get=Access(api.me, enrolling=True)),
        route("/api/me/status", post=Access(api.set_status)),
        route("/api/account/password", post=Access(account.change_password, enrolling=True)),
        route("/api/account/password/strength", post=Access(account.password_strength, enrolling=True)),
        route("/api/account/sessions", get=Access(account.sessions, enrolling=True)),
        route("/api/account/sessions/end-all", post=Access(account.end_other_sessions, enrolling=True)),
        route("/api/account/second-factor/totp", post=Access(account.start_totp, enrolling=True)),
        route("/api/account/second-factor/totp/confirm", post=Access(account.confirm_totp, enrolling=True)),
        route("/api/settings/second-factor", post=Access(account.set_policy, supervisor=True)),
        route("/api/queue", get=Access(api.queue)),
        route("/api/events", get=Access(events)),
        route("/api/stats", get=Access(api.stats, supervisor=True)),
        route("/api/board", get=Access(board.board, supervisor=True)),
        route("/api/audit", get=Access(audit_export, supervisor=True)),
        route("/api/campaigns", get=Access(outreach.campaigns, supervisor=True),
              post=Access(outreach.create, supervisor=True)),
        route("/api/campaigns.csv", get=Access(outreach.export_csv, supervisor=True)),
        route("/api/campaigns/{code}/disable", post=Access(outreach.disable, supervisor=True)),
        route("/api/campaigns/{code}/link", get=Access(outreach.link, supervisor=True)),
        route("/api/campaigns/{code}/qr.{kind}", get=Access(outreach.qr, supervisor=True)),
        route("/api/campaigns/{code}/poster.pdf", get=Access(outreach.poster, supervisor=True)),
        route("/api/canned-replies", get=Access(api.canned)),
        route("/api/close-tags", get=Access(api.tags)),
        route("/api/search", get=Access(search.search)),
        route("/api/directory", get=Access(directory.search, directory=True)),
        route("/api/directory/entries", get=Access(directory.entries, directory=True),
              post=Access(directory.add, editor=True, directory=True)),
        route("/api/directory/entries/{entry_id}", post=Access(directory.edit, editor=True, directory=True)),
        route("/api/directory/entries/{entry_id}/verify", post=Access(directory.verify, editor=True, directory=True)),
        route("/api/directory/entries/{entry_id}/still-correct",
              post=Access(directory.still_correct, editor=True, directory=True)),
        route("/api/directory/recheck", get=Access(directory.recheck, directory=True)),
        route("/api/directory/coverage", get=Access(directory.coverage, directory=True)),
        route("/api/operators", get=Access(api.operators)),
        route(conversation, get=Access(api.conversation)),
        route(f"{conversation}/claim", post=Access(api.claim)),
        route(f"{conversation}/messages", post=Access(api.send_message)),
        route(f"{conversation}/release", post=Access(api.release)),
        route(f"{conversation}/transfer", post=Access(api.transfer)),
        route(f"{conversation}/notes", post=Access(api.add_note)),
        route(f"{conversation}/close", post=Access(api.close)),
        route(f"{conversation}/attachments/{{attachment_id}}", get=Access(attachments.attachment)),
        route(f"{conversation}/referrals", post=Access(referrals.propose)),
        route("/api/referrals", get=Access(referrals.listing, partner=True)),
        route("/api/referrals/stats", get=Access(referrals.stats, supervisor=True)),
        route("/api/referrals/organisations", get=Access(referrals.organisations)),
        route("/api/referrals/stats.csv", get=Access(referrals.stats_csv, supervisor=True)),
        route("/api/referrals/{referral_id}", get=Access(referrals.detail, partner=True)),
        route("/api/referrals/{referral_id}/status", post=Access(referrals.set_status, partner=True)),
        route(f"{conversation}/attachments/{{attachment_id}}/location", get=Access(attachments.place)),
        route("/api/{rest:path}", get=Access(not_found, public=True), post=Access(not_found, public=True)),
        Route("/console", to_console),
        Mount("/console", app=Secured(StaticFiles(directory=STATIC, html=True)), name="console"),
    ]
