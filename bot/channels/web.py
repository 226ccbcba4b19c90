"""The local "web" channel used by `caunoi chat`: the same path as Telegram and Zalo after normalisation.

A development tool, and guarded as one (`WebAccess`): off unless CAUNOI_WEB_CHANNEL is set (`caunoi run` sets it);
when on, it answers only requests from this machine that no proxy forwarded (`is_local`), so a gateway published
to the internet, directly or behind a proxy, never opens it; every address gets a few new conversations a minute
and a message a second; and a conversation is the server's: the first message (no `conversation_id`) starts one
and its answer carries the id and a token. Every later message and every fetch of waiting replies must bring the
token (`Authorization: Bearer …`). Only its SHA-256 is kept, under the conversation (so erasing forgets it), for
a day after its last use.

Replies are kept in a Redis list per conversation until the client collects them, so replies that arrive later
(an operator's, for instance) are not lost between two requests. Buttons are registered like Telegram's, so a
press (the client sends the button's payload back) resolves only to a button this conversation was offered.
Waiting replies are sealed (bot/state/sealed.py) like every other message text in Redis.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import ipaddress
import json
import re
import secrets
from collections.abc import Mapping
from typing import Any

import redis.asyncio

from bot.channels.buttons import ButtonMap
from bot.messages import Outbound
from bot.state import keys
from bot.state.ratelimit import Rate, RateLimiter
from bot.state.sealed import Sealer, process_sealer

CONVERSATION_ID = re.compile(r"web:[A-Za-z0-9_-]{8,64}")
OUTBOX_TTL_SECONDS = 24 * 3600
TOKEN_TTL_SECONDS = OUTBOX_TTL_SECONDS  # a day after its last use, as the replies waiting for it
# Per client address. One person typing in a terminal never meets them; a script opening conversations (each one a
# possible high-risk case at the top of the operators' queue, and an on-call alert) meets the first at once.
NEW_CONVERSATIONS = Rate(per_second=1 / 12, burst=5)  # five at once, then one every 12 s
MESSAGES = Rate(per_second=1.0, burst=10)
FETCHES = Rate(per_second=2.0, burst=10)  # `caunoi chat` looks for waiting replies every 2 s
# Headers a reverse proxy adds: a request that carries one came from elsewhere, whatever address it arrived from.
PROXY_HEADERS = ("forwarded", "x-forwarded-for", "x-forwarded-host", "x-forwarded-proto", "x-real-ip")


def new_conversation_id() -> str:
    return "web:" + secrets.token_urlsafe(12)


def is_local(client_host: str | None, headers: Mapping[str, str]) -> bool:
    """Whether a request came from this machine itself: a loopback peer, and no proxy's forwarding header."""
    try:
        loopback = client_host is not None and ipaddress.ip_address(client_host).is_loopback
    except ValueError:
        loopback = False
    return loopback and not any(name in headers for name in PROXY_HEADERS)


def bearer(authorization: str) -> str:
    scheme, _, token = authorization.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class WebAccess:
    """Who may use a web conversation, and how often an address may ask (module docstring)."""

    def __init__(self, client: redis.asyncio.Redis):
        self._redis = client
        self._limiter = RateLimiter(client, asyncio.sleep)

    async def open(self) -> tuple[str, str]:
        """A new conversation: its id and the token that goes with it (given once, kept only hashed)."""
        while True:
            conversation_id, token = new_conversation_id(), secrets.token_urlsafe(32)
            if await self._redis.set(keys.web_token(conversation_id), _digest(token), nx=True,
                                     ex=TOKEN_TTL_SECONDS):
                return conversation_id, token

    async def check(self, conversation_id: str, token: str) -> bool:
        """Whether `token` is the conversation's (an unknown or expired conversation has none); renews it if so."""
        key = keys.web_token(conversation_id)
        stored = await self._redis.get(key)
        if not stored or not hmac.compare_digest(str(stored).encode(), _digest(token).encode()):
            return False  # a wrong guess must not keep the conversation's token alive either
        await self._redis.expire(key, TOKEN_TTL_SECONDS)
        return True

    async def allow(self, address: str, *limits: tuple[str, Rate]) -> float:
        """0.0 when the address may go on (a slot of each limit taken), else the seconds to wait."""
        return await self._limiter.allow([(f"web:{name}:{address}", rate) for name, rate in limits])


class WebSender:
    """A `Transport` (for `bot.gateway.delivery.Delivery`) and, on its own, a `Sender` with no transcript."""

    channel = "web"
    unfollows = False
    numbered_choices = False

    def __init__(self, redis_client: redis.asyncio.Redis, location_hint: str = "", sealer: Sealer | None = None):
        self._redis = redis_client
        self._sealer = sealer or process_sealer()
        self._buttons = ButtonMap(redis_client, self._sealer)
        self._location_hint = location_hint

    def parts(self, message: Outbound) -> list[Outbound]:
        return [message]

    async def post(self, conversation_id: str, part: Outbound) -> None:
        await self.send(conversation_id, part)

    async def send(self, conversation_id: str, message: Outbound) -> None:
        await self._buttons.codes(conversation_id, message.buttons)
        shown: dict[str, Any] = {
            "text": message.text,
            "buttons": [{"title": button.title, "payload": button.payload} for button in message.buttons],
            "request_location": message.request_location,
        }
        if message.request_location and self._location_hint:
            shown["hint"] = self._location_hint
        key = keys.dev_outbox(conversation_id)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.rpush(key, self._sealer.seal(json.dumps(shown, ensure_ascii=False)))
            pipe.expire(key, OUTBOX_TTL_SECONDS)
            await pipe.execute()

    async def collect(self, conversation_id: str) -> list[dict[str, Any]]:
        """Takes every waiting message for the conversation, oldest first."""
        key = keys.dev_outbox(conversation_id)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.lrange(key, 0, -1)
            pipe.delete(key)
            raw, _ = await pipe.execute()
        return [json.loads(self._sealer.open(item)) for item in raw]
