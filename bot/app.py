"""The gateway's ASGI app: webhooks, health checks (and, later, the operator console and its API).

Run it with `caunoi serve gateway`; `create_app` is the factory uvicorn calls.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import redis.asyncio
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from bot import health, store
from bot.channels.web import CONVERSATION_ID, WebSender
from bot.content import gateway_texts
from bot.dispatch import Dispatcher
from bot.messages import Inbound
from bot.rasa_client import RasaClient
from bot.settings import Settings, get_settings

MAX_BODY_BYTES = 64 * 1024
MAX_TEXT_CHARS = 10_000


@dataclass
class Services:
    settings: Settings
    redis: redis.asyncio.Redis
    http: httpx.AsyncClient
    rasa: RasaClient
    web: WebSender
    dispatcher: Dispatcher


def _services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


def error(status: int, reason: str) -> JSONResponse:
    return JSONResponse({"error": reason}, status_code=status)


async def read_json(request: Request) -> dict[str, Any] | JSONResponse:
    """The request's JSON object, or the error response that explains why it is not one."""
    if "application/json" not in request.headers.get("content-type", ""):
        return error(415, "send JSON with Content-Type: application/json")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            return error(413, f"body larger than {MAX_BODY_BYTES} bytes")
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return error(400, "body is not valid UTF-8 JSON")
    if not isinstance(data, dict):
        return error(400, "body must be a JSON object")
    return data


async def healthz(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> JSONResponse:
    services = _services(request)
    found = await health.problems(services.redis, services.rasa, services.http, services.settings.actions_url)
    failing = {name: reason for name, reason in found.items() if reason}
    if failing:
        return JSONResponse({"status": "not ready", "problems": failing}, status_code=503)
    return JSONResponse({"status": "ready"})


async def web_message(request: Request) -> JSONResponse:
    """The local chat channel: one message in, the bot's replies out."""
    data = await read_json(request)
    if isinstance(data, JSONResponse):
        return data
    conversation_id = data.get("conversation_id")
    text = data.get("text")
    if not isinstance(conversation_id, str) or not CONVERSATION_ID.fullmatch(conversation_id):
        return error(400, "conversation_id must look like web:<8-64 letters, digits, _ or ->")
    if not isinstance(text, str):
        return error(400, "text must be a string")
    if len(text) > MAX_TEXT_CHARS:
        return error(413, f"text longer than {MAX_TEXT_CHARS} characters")
    services = _services(request)
    message_id = str(data.get("message_id") or "")
    await services.dispatcher.handle(Inbound(channel="web", conversation_id=conversation_id,
                                             message_id=message_id, text=text))
    return JSONResponse({"messages": await services.web.collect(conversation_id)})


async def web_outbox(request: Request) -> JSONResponse:
    conversation_id = request.path_params["conversation_id"]
    if not CONVERSATION_ID.fullmatch(conversation_id):
        return error(400, "conversation_id must look like web:<8-64 letters, digits, _ or ->")
    return JSONResponse({"messages": await _services(request).web.collect(conversation_id)})


def create_app(settings: Settings | None = None, transport: httpx.AsyncBaseTransport | None = None) -> Starlette:
    """The gateway app. `transport` replaces the network for outgoing HTTP calls (tests pass a mock)."""
    settings = settings or get_settings()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        client = store.connect(settings)
        http = httpx.AsyncClient(timeout=httpx.Timeout(5.0), transport=transport)
        rasa = RasaClient(settings.rasa_url, settings.rasa_timeout_seconds, token=settings.rasa_token.reveal(),
                          transport=transport)
        web = WebSender(client)
        dispatcher = Dispatcher(rasa, {"web": web}, gateway_texts(settings.content_dir),
                                log_key=settings.secret_key.reveal())
        app.state.services = Services(settings, client, http, rasa, web, dispatcher)
        try:
            yield
        finally:
            await rasa.aclose()
            await http.aclose()
            await client.close()

    routes = [
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/webhooks/web", web_message, methods=["POST"]),
        Route("/webhooks/web/{conversation_id}/messages", web_outbox),
    ]
    return Starlette(routes=routes, lifespan=lifespan)
