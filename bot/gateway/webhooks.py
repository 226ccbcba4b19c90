"""The gateway's webhooks and health checks: Telegram, Zalo, the local web channel, /healthz and /readyz.

The Telegram and Zalo webhooks only check authenticity, dedupe and queue (bot/gateway/inbox.py), then answer at once;
the inbox worker running in the same process (and in every other gateway process) does the rest. `bot.app` puts
these handlers on their paths.
"""

from __future__ import annotations

import logging
import math
import secrets
import time
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from bot.channels import telegram, zalo
from bot.channels.buttons import code_for
from bot.channels.web import CONVERSATION_ID, FETCHES, MESSAGES, NEW_CONVERSATIONS, WebAccess, bearer, is_local
from bot.gateway import health
from bot.gateway.inbox import SEEN_TTL_SECONDS
from bot.gateway.middleware import BodyLimits
from bot.gateway.parts import Gateway
from bot.json_body import BadBody, parse_object, read_bytes, read_object
from bot.messages import Inbound, Location
from bot.state import keys

log = logging.getLogger(__name__)
MAX_TEXT_CHARS = 10_000
# A signed Zalo event older than this is refused: its first delivery's dedupe key (SEEN_TTL_SECONDS, counted from
# when it arrived) covers every replay until then. An hour less, for clocks that disagree; Zalo retries within minutes.
ZALO_REPLAY_WINDOW_SECONDS = SEEN_TTL_SECONDS - 3600
# A signed event dated later than this ahead of our clock is refused: such a date would keep it inside the replay
# window long after its dedupe key expired. Five minutes covers clocks that disagree.
ZALO_CLOCK_SKEW_SECONDS = 300


def _gateway(request: Request) -> Gateway:
    gateway: Gateway = request.app.state.gateway
    return gateway


def error(status: int, reason: str) -> JSONResponse:
    return JSONResponse({"error": reason}, status_code=status)


def _body_limit(request: Request) -> int:
    # The same limit as the body-limit middleware's: here too for apps built without it (tests, benchmarks).
    settings = _gateway(request).settings
    return BodyLimits(settings.max_webhook_bytes, settings.max_api_bytes).for_path(request.url.path)


async def read_json(request: Request) -> dict[str, Any] | JSONResponse:
    """The request's JSON object, or the error response that explains why it is not one (bot/json_body.py)."""
    try:
        return await read_object(request, _body_limit(request))
    except BadBody as bad:
        return error(bad.status, bad.reason)


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
    except Exception as fault:  # ours, not the update's: its redelivery would fail the same way for hours
        log.error("telegram update not read: %s", type(fault).__name__, exc_info=True)
        return JSONResponse({"ok": True, "ignored": True})
    if parsed is not None:
        dedupe, inbound = parsed
        await gateway.receive(inbound, dedupe)
    return JSONResponse({"ok": True})


async def zalo_webhook(request: Request) -> JSONResponse:
    """Signed events: the signature is checked over the raw bytes before anything parses them.

    Its content type is not checked: the signature proves the sender, and Zalo's header is not documented."""
    gateway = _gateway(request)
    settings = gateway.settings
    if "zalo" not in gateway.senders:
        return error(404, "the Zalo channel is not configured")
    try:
        body = await read_bytes(request, _body_limit(request))
    except BadBody as bad:
        return error(bad.status, bad.reason)
    timestamp = zalo.signed_timestamp(body, request.headers.get(zalo.SIGNATURE_HEADER), settings.zalo_app_id,
                                      settings.zalo_oa_secret)
    if timestamp is None:  # unsigned garbage gets no detail
        return error(403, "forbidden")
    problem = zalo.timestamp_problem(timestamp, time.time(), ZALO_REPLAY_WINDOW_SECONDS, ZALO_CLOCK_SKEW_SECONDS)
    if problem:
        log.warning("zalo event refused: %s", problem)
        return error(403, problem)
    try:
        data = parse_object(body)
    except BadBody as bad:  # signed by Zalo, yet unreadable: say why (it will show in Zalo's delivery log)
        return error(bad.status, bad.reason)
    if zalo.timestamp_of(data) != timestamp:
        return error(400, "the event's timestamp is not the one its signature covers")
    try:
        event = zalo.parse_event(data)
    except Exception as fault:  # ours: the person is still told, if we know who sent it
        log.error("zalo event not read: %s", type(fault).__name__, exc_info=True)
        event = zalo.unreadable_event(data)
    if event is not None:
        await apply_zalo_event(gateway, event)
    return JSONResponse({"ok": True})


async def apply_zalo_event(gateway: Gateway, event: zalo.ZaloEvent) -> None:
    # Follow and unfollow take effect at once, ahead of queued messages: nothing can reach someone who left. Once
    # per event, like messages: a signed follow sent again after the person left must not open sending to them.
    if event.following is not None and not await gateway.redis.set(
            keys.seen_update("zalo", f"state:{event.dedupe}"), "1", nx=True, ex=SEEN_TTL_SECONDS):
        return
    if event.following is False:
        await gateway.redis.set(keys.stopped(event.conversation_id), "unfollow",
                                ex=gateway.settings.retention_days * 24 * 3600)
        await gateway.transcript.append(event.conversation_id, "system", "[unfollow]", "event")
    elif event.following is True:
        await gateway.redis.delete(keys.stopped(event.conversation_id))
    if event.inbound is not None:
        await gateway.receive(event.inbound, event.dedupe)


def client_host(request: Request) -> str:
    """The peer's address as the server saw it ("" when unknown): the web channel's rate limits and loopback check."""
    return request.client.host if request.client else ""


def web_refusal(request: Request) -> JSONResponse | None:
    """Why the local web channel does not answer this request, or None when it does (bot/channels/web.py)."""
    if not _gateway(request).settings.web_channel:
        return error(404, "the web channel is off (a development tool: CAUNOI_WEB_CHANNEL)")
    if not is_local(client_host(request) or None, request.headers):
        return error(403, "the web channel answers only on this machine")
    return None


def too_many(wait: float) -> JSONResponse:
    seconds = max(1, math.ceil(wait))
    return JSONResponse({"error": f"too many requests: try again in {seconds} s"}, status_code=429,
                        headers={"Retry-After": str(seconds)})


async def web_token_refusal(access: WebAccess, request: Request, conversation_id: str) -> JSONResponse | None:
    token = bearer(request.headers.get("authorization", ""))
    if not token:
        return error(401, "send the conversation's token: Authorization: Bearer <token>")
    if not await access.check(conversation_id, token):  # unknown, expired and wrong look the same
        return error(403, "no conversation with this id and token")
    return None


async def web_message(request: Request) -> JSONResponse:
    """The local chat channel: one message (or a button press) in, the bot's replies out.

    Without `conversation_id` the message starts a conversation; the answer gives its id and token."""
    refused = web_refusal(request)
    if refused is not None:
        return refused
    data = await read_json(request)
    if isinstance(data, JSONResponse):
        return data
    conversation_id = data.get("conversation_id")
    text = data.get("text", "")
    button = data.get("button")
    if "conversation_id" in data and (not isinstance(conversation_id, str)
                                      or not CONVERSATION_ID.fullmatch(conversation_id)):
        return error(400, "conversation_id must be one this channel gave (web:<8-64 letters, digits, _ or ->), "
                          "or left out to start a conversation")
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
    access = WebAccess(gateway.redis)
    started: dict[str, str] = {}
    if isinstance(conversation_id, str):
        refused = await web_token_refusal(access, request, conversation_id)
        if refused is not None:
            return refused
        wait = await access.allow(client_host(request), ("messages", MESSAGES))
    else:
        wait = await access.allow(client_host(request), ("messages", MESSAGES), ("new", NEW_CONVERSATIONS))
        if not wait:
            conversation_id, token = await access.open()
            started = {"conversation_id": conversation_id, "token": token}
    if wait:
        return too_many(wait)
    assert isinstance(conversation_id, str)
    message_id = str(data.get("message_id") or "")
    if message_id and not await gateway.redis.set(keys.seen_update("web", f"{conversation_id}:{message_id}"), "1",
                                                  nx=True, ex=SEEN_TTL_SECONDS):
        return web_answer({"messages": await gateway.web.collect(conversation_id), "duplicate": True})
    inbound = Inbound(channel="web", conversation_id=conversation_id, message_id=message_id or secrets.token_hex(6),
                      text=text, button=code_for(button) if button else None, location=location)
    await gateway.dispatcher.handle(inbound)
    return web_answer({**started, "messages": await gateway.web.collect(conversation_id)})


def web_answer(content: dict[str, Any]) -> JSONResponse:
    return JSONResponse(content, headers={"Cache-Control": "no-store"})  # it may carry the conversation's token


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
    """The replies waiting for a web conversation (an operator's, for instance); taken by this request."""
    refused = web_refusal(request)
    if refused is not None:
        return refused
    conversation_id = request.path_params["conversation_id"]
    if not CONVERSATION_ID.fullmatch(conversation_id):
        return error(400, "conversation_id must look like web:<8-64 letters, digits, _ or ->")
    gateway = _gateway(request)
    access = WebAccess(gateway.redis)
    refused = await web_token_refusal(access, request, conversation_id)
    if refused is not None:
        return refused
    wait = await access.allow(client_host(request), ("fetches", FETCHES))
    if wait:
        return too_many(wait)
    return web_answer({"messages": await gateway.web.collect(conversation_id)})


async def redis_down(request: Request, exc: Exception) -> JSONResponse:
    # The platforms redeliver on an error status, so nothing is lost while Redis is away.
    log.error("redis unavailable: %s", type(exc).__name__)
    return error(503, "storage unavailable, retry later")
