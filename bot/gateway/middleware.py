"""ASGI middleware around the whole gateway app: request body limits, security headers, a privacy-safe access log.

    app = Starlette(..., middleware=[Middleware(AccessLog), Middleware(BodyLimit, limits=...),
                                     Middleware(SecurityHeaders)])

Body limits hold while the body streams in: a declared Content-Length over the limit is refused before the route
sees anything, and a body that grows past it (a lying Content-Length, or chunked with none) stops the request at
that chunk. Either way the answer is 413 `{"error": reason}` and the route never sees a complete body, so nothing
is stored. Before answering, the rest of the body is read and dropped (up to `DRAIN_FACTOR` times the limit): a
server that closes a connection with unread data in it makes the kernel reset it, and the client then sees a
broken connection instead of the 413 and its reason.

They hold in time too: a body not all in within `BodyLimits.seconds` of the request's start stops the request the
same way, answered 408 and the connection closed. Without it, a client sending a byte now and then holds a
connection (and a route waiting on it) for as long as it likes: 400 of them held the gateway 40 s and more.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from dataclasses import dataclass

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("bot.access")


@dataclass(frozen=True)
class BodyLimits:
    webhook_bytes: int = 1024 * 1024  # the Telegram and Zalo webhooks: updates are a few KB; this is generous
    api_bytes: int = 64 * 1024  # everything else (console API, the local web chat): short JSON
    seconds: float = 10.0  # the whole body, from the start of the request (CAUNOI_BODY_TIMEOUT_SECONDS)

    def for_path(self, path: str) -> int:
        return self.webhook_bytes if path in PLATFORM_WEBHOOKS else self.api_bytes


PLATFORM_WEBHOOKS = frozenset({"/webhooks/telegram", "/webhooks/zalo"})


DRAIN_FACTOR = 4  # a body up to 4 × its limit is read to the end (and dropped) so the client gets the 413


async def _drain(receive: Receive, cap: int, deadline: float) -> None:
    """Reads and drops what is left of the request body, up to `cap` bytes and until `deadline` (loop time)."""
    drained = 0
    loop = asyncio.get_running_loop()
    while drained <= cap:
        try:
            message = await asyncio.wait_for(receive(), max(0.0, deadline - loop.time()))
        except asyncio.TimeoutError:
            return
        if message["type"] != "http.request":
            return
        drained += len(message.get("body", b""))
        if not message.get("more_body", False):
            return


class BodyRefused(Exception):
    """Raised into the route from `receive` when the body breaks a limit; this middleware answers instead."""


class BodyTooLarge(BodyRefused):
    """Past the size limit: 413."""


class BodyTooSlow(BodyRefused):
    """Not all in by the deadline: 408."""


async def _send_413(send: Send, limit: int) -> None:
    await _send_refusal(send, 413, f"request body larger than {limit} bytes")


async def _send_refusal(send: Send, status: int, reason: str) -> None:
    body = json.dumps({"error": reason}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


class BodyLimit:
    def __init__(self, app: ASGIApp, limits: BodyLimits = BodyLimits()) -> None:
        self.app = app
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limits.for_path(scope.get("path", ""))
        declared = dict(scope.get("headers") or []).get(b"content-length", b"")
        if declared and not declared.isdigit():
            await _send_400(send)
            return
        deadline = asyncio.get_running_loop().time() + self.limits.seconds
        if declared and int(declared) > limit:
            await _drain(receive, DRAIN_FACTOR * limit, deadline)
            await _send_413(send, limit)
            return
        received = 0
        refused: BodyRefused | None = None
        started = False
        body_done = False  # the last part of the body was read (asking for more would wait for a disconnect)

        async def limited_receive() -> Message:
            nonlocal received, refused, body_done
            if body_done:  # after the body only a disconnect comes, whenever it does (event streams wait for it)
                return await receive()
            try:
                message = await asyncio.wait_for(receive(), deadline - asyncio.get_running_loop().time())
            except asyncio.TimeoutError:
                refused = BodyTooSlow()
                raise refused from None
            if message["type"] == "http.request":
                body_done = not message.get("more_body", False)
                received += len(message.get("body", b""))
                if received > limit:
                    refused = BodyTooLarge()
                    raise refused
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            # A route that caught BodyRefused as any other error still must not answer with its own status.
            if refused is not None:
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except BodyRefused:
            pass
        if refused is not None and not started:
            if isinstance(refused, BodyTooSlow):  # nothing to drain: the client is the slow part
                await _send_refusal(send, 408, f"request body not received within {self.limits.seconds:g} s")
                return
            if not body_done:
                await _drain(receive, DRAIN_FACTOR * limit, deadline)
            await _send_413(send, limit)


async def _send_400(send: Send) -> None:
    body = b'{"error":"Content-Length must be a number"}'
    await send({"type": "http.response.start", "status": 400,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


# Every response, API and console alike: nothing may frame it, sniff it into HTML, or leak where it was opened from.
# The console's own pages set a fuller CSP (bot/console/routes.py); an API response needs none of script or style.
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}

HSTS = "max-age=31536000; includeSubDomains"


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        # Behind a proxy uvicorn may not trust, the scheme stays http: X-Forwarded-Proto counts too. A forged one
        # gains nothing, browsers ignore the header on a plain-http answer.
        forwarded = dict(scope.get("headers") or []).get(b"x-forwarded-proto", b"").split(b",")[0].strip().lower()
        https = scope.get("scheme") == "https" or forwarded == b"https"
        api = str(scope.get("path", "")).startswith("/api/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    if name not in headers:  # a route's stricter or fuller value wins
                        headers[name] = value
                if https:  # over plain http (local use) the header means nothing and browsers ignore it
                    headers["Strict-Transport-Security"] = HSTS
                if api and "content-disposition" not in headers:  # opened directly, an answer is a file, not a page
                    headers["Content-Disposition"] = 'attachment; filename="api.json"'
            await send(message)

        await self.app(scope, receive, send_with_headers)


class AccessLog:
    """One line per request: method, the route's pattern (never the path: paths hold conversation ids), status, ms.

    Query strings are never logged either (they can hold ids or dates an operator searched for)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        began = time.perf_counter()
        status = 0

        async def recording_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, recording_send)
        finally:
            route = getattr(scope.get("route"), "path", None)
            log.info("request", extra={"method": scope.get("method", ""), "route": route or "[no route]",
                                       "status": status or 500, "ms": round((time.perf_counter() - began) * 1000, 1)})
