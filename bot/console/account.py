"""An operator's own account in the console: the second factor (enrol, see what is left), their password, their
sessions; and the supervisor's choice to require a second factor of every account.

Everything here changes who can act as this operator, so each change is in the audit log, and each one that could
be a thief's (a new password, signing out the other sessions) needs the current password or ends the others.
"""

from __future__ import annotations

import asyncio

from starlette.requests import Request
from starlette.responses import Response

from bot.console import second_factor
from bot.console.api import Context, me_json
from bot.console.clock import iso
from bot.console.http import ApiError, client_address, json_body, ok, over_tls, set_session_cookie
from bot.console.operators import PASSWORD_MAX, Operator, OperatorError
from bot.console.passwords import strength


async def fresh_session(request: Request, ctx: Context, operator: Operator) -> Response:
    """After the account's sessions ended: a new one for the browser that asked, with its new CSRF token."""
    token, session = await ctx.services.sessions.create(operator)
    response = ok(await me_json(ctx, operator, session.csrf))
    set_session_cookie(response, token, over_tls(request, ctx.services.settings.console))
    return response


# -- the second factor ---------------------------------------------------------------------------------------------

async def start_totp(request: Request, ctx: Context) -> Response:
    operator = ctx.operator
    if operator.second_factor:
        raise ApiError(409, "a second factor is already enrolled (`caunoi operator reset-2fa` removes it)")
    secret = await ctx.services.operators.start_enrolment(operator.username)
    uri = second_factor.provisioning_uri(secret, operator.username)
    return ok({"secret": secret, "uri": uri, "qr": second_factor.qr_data_uri(uri)})


async def confirm_totp(request: Request, ctx: Context) -> Response:
    code = (await json_body(request)).get("code")
    if not isinstance(code, str) or not code.strip():
        raise ApiError(400, "code is required")
    if ctx.operator.second_factor:
        raise ApiError(409, "a second factor is already enrolled (`caunoi operator reset-2fa` removes it)")
    codes = await ctx.services.operators.confirm_enrolment(ctx.operator.username, code[:64],
                                                          ctx.services.options.clock())
    if codes is None:
        raise ApiError(400, "wrong code: scan the QR code again, check the phone's clock, type the newest code")
    await ctx.services.audit.record(ctx.operator.username, "2fa_enrolled")
    return ok({"recovery_codes": codes})


async def set_policy(request: Request, ctx: Context) -> Response:
    required = (await json_body(request)).get("required")
    if not isinstance(required, bool):
        raise ApiError(400, "required must be true or false")
    await ctx.services.operators.require_second_factor(required)
    await ctx.services.audit.record(ctx.operator.username, "2fa_policy", required=required)
    return ok({"second_factor_required": required})


# -- password and sessions -----------------------------------------------------------------------------------------

async def change_password(request: Request, ctx: Context) -> Response:
    """Current password required (and counted like a log-in, so this is no way round the limit); every session of
    the account ends, and this browser gets a new one."""
    data = await json_body(request)
    current, new = data.get("current_password"), data.get("new_password")
    if not isinstance(current, str) or not isinstance(new, str) or not current or not new:
        raise ApiError(400, "current_password and new_password are required")
    services, username = ctx.services, ctx.operator.username
    address = client_address(request, services.settings.console)
    if not await services.logins.reserve(username, address):
        raise ApiError(429, "too many failed logins: try again later")
    try:
        operator = await services.operators.change_password(username, current[:PASSWORD_MAX], new)
    except OperatorError as error:
        await services.logins.succeeded(username, address)  # the current password was right
        raise ApiError(400, str(error)) from None
    if operator is None:
        await services.audit.record(username, "password_change_failed")
        raise ApiError(403, "the current password is wrong")
    await services.logins.succeeded(username, address)
    await services.audit.record(username, "password_changed")
    return await fresh_session(request, ctx, operator)


async def password_strength(request: Request, ctx: Context) -> Response:
    """The meter beside a new password (ASVS 2.1.8): its score, 0-4, and why it would be refused, if it would. Nothing
    is stored or logged."""
    password = (await json_body(request)).get("password")
    if not isinstance(password, str):
        raise ApiError(400, "password is required")
    if len(password) > PASSWORD_MAX:
        raise ApiError(400, f"the password must have at most {PASSWORD_MAX} characters")
    username = ctx.operator.username
    score, problem = await asyncio.to_thread(strength, password, username)
    return ok({"score": score, "problem": problem})


async def sessions(request: Request, ctx: Context) -> Response:
    assert ctx.session is not None
    found = await ctx.services.sessions.of(ctx.operator)
    return ok({"sessions": [{"id": info.digest[:12], "started": iso(info.created), "last_seen": iso(info.seen),
                             "current": info.digest == ctx.session.digest} for info in found]})


async def end_other_sessions(request: Request, ctx: Context) -> Response:
    """Sign out everywhere: every session of the account ends; this browser gets a new one."""
    operator = await ctx.services.operators.end_sessions(ctx.operator.username)
    if operator is None:
        raise ApiError(401, "log in first (the session is missing or has ended)")
    await ctx.services.audit.record(operator.username, "sessions_ended")
    return await fresh_session(request, ctx, operator)
