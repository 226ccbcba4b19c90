"""Request and response helpers for the console API: JSON errors, bounded JSON bodies, ids, cookies, addresses."""

from __future__ import annotations

import json
import re
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from bot.json_body import BadBody, read_object
from bot.settings import ConsoleSettings

MAX_BODY_BYTES = 16 * 1024
COOKIE = "caunoi_session"
# Over HTTPS the cookie is `__Host-` prefixed: browsers then take it only with Secure, Path=/ and no Domain, so a
# sibling subdomain (or plain-HTTP page) cannot plant or overwrite it (ASVS 3.4.4).
HOST_COOKIE = "__Host-caunoi_session"
CSRF_HEADER = "x-csrf-token"
# The conversation ids the channels make: Telegram chat ids, Zalo user ids, web channel ids.
CONVERSATION_ID = re.compile(r"tg:-?\d{1,20}|zalo:[0-9A-Za-z_-]{1,64}|web:[A-Za-z0-9_-]{8,64}")
NO_STORE = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}


class SafeJSONResponse(JSONResponse):
    """JSON with <, > and & escaped: a person's text can never read as markup, whatever opens the response."""

    def render(self, content: Any) -> bytes:
        text = json.dumps(content, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026").encode()


class ApiError(Exception):
    """Ends a request with `{"error": reason}` and a 4xx status."""

    def __init__(self, status: int, reason: str):
        super().__init__(reason)
        self.status = status
        self.reason = reason


def error(status: int, reason: str) -> JSONResponse:
    return SafeJSONResponse({"error": reason}, status_code=status, headers=NO_STORE)


def ok(data: Any, status: int = 200) -> JSONResponse:
    return SafeJSONResponse(data, status_code=status, headers=NO_STORE)


async def json_body(request: Request) -> dict[str, Any]:
    """The request's JSON object (an empty body is `{}`), read by the gateway's one reader (bot/json_body.py)."""
    try:
        return await read_object(request, MAX_BODY_BYTES, empty={})
    except BadBody as bad:
        raise ApiError(bad.status, bad.reason) from None


def text_field(data: dict[str, Any], name: str, limit: int, required: bool = True) -> str:
    value = data.get(name, "")
    if not isinstance(value, str):
        raise ApiError(400, f"{name} must be a string")
    value = value.strip()
    if required and not value:
        raise ApiError(400, f"{name} must not be empty")
    if len(value) > limit:
        raise ApiError(413, f"{name} longer than {limit} characters")
    return value


def conversation_id(request: Request) -> str:
    value = str(request.path_params.get("conversation_id", ""))
    if not CONVERSATION_ID.fullmatch(value):
        raise ApiError(400, "conversation id must look like tg:<digits>, zalo:<id> or web:<id>")
    return value


def client_address(request: Request, settings: ConsoleSettings) -> str:
    if settings.trust_proxy:
        forwarded = request.headers.get("x-forwarded-for", "").split(",")[0].strip()
        if forwarded:
            return forwarded[:64]
    return request.client.host if request.client else "unknown"


def over_tls(request: Request, settings: ConsoleSettings) -> bool:
    if settings.cookie_secure != "auto":
        return settings.cookie_secure == "true"
    forwarded = request.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
    return request.url.scheme == "https" or forwarded == "https"


def session_token(request: Request) -> str | None:
    """The session token the browser sent: the `__Host-` cookie, or the plain one (HTTP, and sessions that began
    before the prefix)."""
    return request.cookies.get(HOST_COOKIE) or request.cookies.get(COOKIE)


def set_session_cookie(response: Response, token: str, secure: bool) -> None:
    """A browser-session cookie (no Max-Age, no Expires): closing the browser forgets it. The server still ends the
    session after its idle and maximum times (bot/console/sessions.py)."""
    if secure:
        response.set_cookie(HOST_COOKIE, token, path="/", httponly=True, samesite="strict", secure=True)
    else:
        response.set_cookie(COOKIE, token, path="/api", httponly=True, samesite="strict", secure=False)


def clear_session_cookie(response: Response, secure: bool) -> None:
    if secure:
        response.delete_cookie(HOST_COOKIE, path="/", httponly=True, samesite="strict", secure=True)
    response.delete_cookie(COOKIE, path="/api", httponly=True, samesite="strict", secure=secure)
