"""The gateway process's ASGI app: the webhooks and health checks (bot/gateway/webhooks.py), the operator console and
its API (bot/console/), their middleware and the lifespan that builds the gateway's and the console's parts once.

Run it with `caunoi serve gateway`; `create_app` is the factory uvicorn calls.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import redis
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Route

from bot.console import ConsoleOptions, ConsoleServices, create_console_routes
from bot.gateway.middleware import AccessLog, BodyLimit, BodyLimits, SecurityHeaders
from bot.gateway.parts import Gateway, GatewayOptions
from bot.gateway.webhooks import healthz, readyz, redis_down, telegram_webhook, web_message, web_outbox, zalo_webhook
from bot.settings import Settings, get_settings


def create_app(settings: Settings | None = None, options: GatewayOptions | None = None,
               console: ConsoleOptions | None = None) -> Starlette:
    """The gateway app. `options` and `console` are the gateway's and the console's (tests shorten their timings)."""
    settings = settings or get_settings()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with Gateway.running(settings, options) as gateway, \
                ConsoleServices.running(settings, gateway, console) as services:
            app.state.gateway = gateway
            app.state.console = services
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
                  Middleware(BodyLimit, limits=BodyLimits(settings.max_webhook_bytes, settings.max_api_bytes,
                                                            settings.body_timeout_seconds)),
                  Middleware(SecurityHeaders)]
    app = Starlette(routes=routes, lifespan=lifespan, middleware=middleware)
    app.add_exception_handler(redis.RedisError, redis_down)
    return app
