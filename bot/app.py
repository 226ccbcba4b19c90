"""The gateway's ASGI app: webhooks, health checks (and, later, the operator console and its API).

Run it with `caunoi serve gateway`; `create_app` is the factory uvicorn calls. The Telegram and Zalo webhooks
only check authenticity, dedupe and queue (bot/inbox.py), then answer at once; the inbox worker running in the same
process (and in every other gateway process) does the rest.
"""

from __future__ import annotations

import contextlib
import json
import logging
import secrets
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import redis
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from bot import health, keys
from bot.buttons import code_for
from bot.channels import telegram, zalo
from bot.channels.web import CONVERSATION_ID
from bot.console import ConsoleServices, create_console_routes
from bot.gateway import Gateway, GatewayOptions
from bot.inbox import SEEN_TTL_SECONDS
from bot.messages import Inbound, Location
from bot.middleware import AccessLog, BodyLimit, BodyLimits, SecurityHeaders
from bot.settings import Settings, get_settings

log = logging.getLogger(__name__)
MAX_TEXT_CHARS = 10_000
# A signed Zalo event older than this is refused: its first delivery's dedupe key (SEEN_TTL_SECONDS, counted from
# when it arrived) covers every replay until then. An hour less, for clocks that disagree; Zalo retries within minutes.
ZALO_REPLAY_WINDOW_SECONDS = SEEN_TTL_SECONDS - 3600


def _gateway(request: Request) -> Gateway:
    gateway: Gateway = request.app.state.gateway
    return gateway


def error(status: int, reason: str) -> JSONResponse:
    return JSONResponse({"error": reason}, status_code=status)


async def read_body(request: Request) -> bytes | JSONResponse:
    # The same limit as the body-limit middleware's: here too for apps built without it (tests, benchmarks).
    settings = _gateway(request).settings
    limit = BodyLimits(settings.max_webhook_bytes, settings.max_api_bytes).for_path(request.url.path)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            return error(413, f"body larger than {limit} bytes")
    return b"".join(chunks)


def parse_json(body: bytes) -> dict[str, Any] | JSONResponse:
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return error(400, "body is not valid UTF-8 JSON")
    if not isinstance(data, dict):
        return error(400, "body must be a JSON object")
    return data


async def read_json(request: Request) -> dict[str, Any] | JSONResponse:
    """The request's JSON object, or the error response that explains why it is not one."""
    if "application/json" not in request.headers.get("content-type", ""):
        return error(415, "send JSON with Content-Type: application/json")
    body = await read_body(request)
    return body if isinstance(body, JSONResponse) else parse_json(body)


async def healthz(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> JSONResponse:
    gateway = _gateway(request)
    found = await health.problems(gateway.redis, gateway.rasa, gateway.http, gateway.settings.actions_url)
    failing = {name: reason for name, reason in found.items() if reason}
    if failing:
        return JSONResponse({"status": "not ready", "problems": failing}, status_code=503)
    return JSONResponse({"status": "ready"})


async def telegram_webhook(request: Request) -> JSONResponse:
    gateway = _gateway(request)
    if gateway.telegram is None:
        return error(404, "the Telegram channel is not configured")
    received = request.headers.get("x-telegram-bot-api-secret-token")
    if not telegram.verify_secret(received, gateway.settings.telegram_webhook_secret):
        return error(403, "forbidden")
    data = await read_json(request)
    if isinstance(data, JSONResponse):
        return data
    try:
        parsed = telegram.parse_update(data)
    except Exception:  # an update we cannot read would be redelivered for hours: drop it, say so in the log
        log.exception("unreadable telegram update")
        return JSONResponse({"ok": True, "ignored": True})
    if parsed is not None:
        dedupe, inbound = parsed
        await gateway.accept(inbound, dedupe)
    return JSONResponse({"ok": True})


async def zalo_webhook(request: Request) -> JSONResponse:
    gateway = _gateway(request)
    settings = gateway.settings
    if "zalo" not in gateway.senders:
        return error(404, "the Zalo channel is not configured")
    body = await read_body(request)
    if isinstance(body, JSONResponse):
        return body
    data = parse_json(body)
    if isinstance(data, JSONResponse):  # unsigned garbage gets no detail
        return error(403, "forbidden")
    timestamp = zalo.timestamp_of(data)
    if not zalo.verify_signature(body, request.headers.get(zalo.SIGNATURE_HEADER), settings.zalo_app_id,
                                 settings.zalo_oa_secret, timestamp):
        return error(403, "forbidden")
    if zalo.too_old(timestamp, time.time(), ZALO_REPLAY_WINDOW_SECONDS):
        log.warning("zalo event refused: signed more than %d hours ago", ZALO_REPLAY_WINDOW_SECONDS // 3600)
        return error(403, "event too old")
    try:
        event = zalo.parse_event(data)
    except Exception:
        log.exception("unreadable zalo event")
        return JSONResponse({"ok": True, "ignored": True})
    if event is not None:
        await apply_zalo_event(gateway, event)
    return JSONResponse({"ok": True})


async def apply_zalo_event(gateway: Gateway, event: zalo.ZaloEvent) -> None:
    # Follow and unfollow take effect at once, ahead of queued messages: nothing can reach someone who left.
    if event.following is False:
        await gateway.redis.set(keys.stopped(event.conversation_id), "unfollow",
                                ex=gateway.settings.retention_days * 24 * 3600)
        await gateway.transcript.append(event.conversation_id, "system", "[unfollow]", "event")
    elif event.following is True:
        await gateway.redis.delete(keys.stopped(event.conversation_id))
    if event.inbound is not None:
        await gateway.accept(event.inbound, event.dedupe)


async def web_message(request: Request) -> JSONResponse:
    """The local chat channel: one message (or a button press) in, the bot's replies out."""
    data = await read_json(request)
    if isinstance(data, JSONResponse):
        return data
    conversation_id = data.get("conversation_id")
    text = data.get("text", "")
    button = data.get("button")
    if not isinstance(conversation_id, str) or not CONVERSATION_ID.fullmatch(conversation_id):
        return error(400, "conversation_id must look like web:<8-64 letters, digits, _ or ->")
    if not isinstance(text, str):
        return error(400, "text must be a string")
    if button is not None and (not isinstance(button, str) or len(button) > MAX_TEXT_CHARS):
        return error(400, "button must be the payload of a button the conversation was shown")
    if len(text) > MAX_TEXT_CHARS:
        return error(413, f"text longer than {MAX_TEXT_CHARS} characters")
    location = None
    if data.get("location") is not None:
        location = web_location(data["location"])
        if location is None:
            return error(400, "location must be {\"latitude\": -90..90, \"longitude\": -180..180}")
    gateway = _gateway(request)
    message_id = str(data.get("message_id") or "")
    if message_id and not await gateway.redis.set(keys.seen_update("web", f"{conversation_id}:{message_id}"), "1",
                                                  nx=True, ex=SEEN_TTL_SECONDS):
        return JSONResponse({"messages": await gateway.web.collect(conversation_id), "duplicate": True})
    inbound = Inbound(channel="web", conversation_id=conversation_id, message_id=message_id or secrets.token_hex(6),
                      text=text, button=code_for(button) if button else None, location=location)
    await gateway.dispatcher.handle(inbound)
    return JSONResponse({"messages": await gateway.web.collect(conversation_id)})


def web_location(raw: object) -> Location | None:
    """A GPS point sent by the local chat (`caunoi chat`: /vitri LAT LON), or None when it is not one."""
    if not isinstance(raw, dict):
        return None
    latitude, longitude = raw.get("latitude"), raw.get("longitude")
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (latitude, longitude)):
        return None
    assert isinstance(latitude, (int, float)) and isinstance(longitude, (int, float))
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return None
    return Location(float(latitude), float(longitude))


async def web_outbox(request: Request) -> JSONResponse:
    conversation_id = request.path_params["conversation_id"]
    if not CONVERSATION_ID.fullmatch(conversation_id):
        return error(400, "conversation_id must look like web:<8-64 letters, digits, _ or ->")
    return JSONResponse({"messages": await _gateway(request).web.collect(conversation_id)})


def create_app(settings: Settings | None = None, transport: httpx.AsyncBaseTransport | None = None,
               options: GatewayOptions | None = None) -> Starlette:
    """The gateway app. `transport` replaces the network for calls to Rasa (tests pass a mock)."""
    settings = settings or get_settings()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with Gateway.running(settings, transport, options) as gateway, \
                ConsoleServices.running(settings, gateway) as console:
            app.state.gateway = gateway
            app.state.console = console
            yield

    routes = [
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/webhooks/telegram", telegram_webhook, methods=["POST"]),
        Route("/webhooks/zalo", zalo_webhook, methods=["POST"]),
        Route("/webhooks/web", web_message, methods=["POST"]),
        Route("/webhooks/web/{conversation_id}/messages", web_outbox),
        *create_console_routes(),  # the operator API under /api/ and the console under /console/
    ]
    # Outermost first: the access log sees every answer, including a 413 from the body limit.
    middleware = [Middleware(AccessLog),
                  Middleware(BodyLimit, limits=BodyLimits(settings.max_webhook_bytes, settings.max_api_bytes)),
                  Middleware(SecurityHeaders)]
    app = Starlette(routes=routes, lifespan=lifespan, middleware=middleware)
    app.add_exception_handler(redis.RedisError, _redis_down)
    return app


async def _redis_down(request: Request, exc: Exception) -> JSONResponse:
    # The platforms redeliver on an error status, so nothing is lost while Redis is away.
    log.error("redis unavailable: %s", type(exc).__name__)
    return error(503, "storage unavailable, retry later")
