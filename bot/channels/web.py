"""The local "web" channel used by `caunoi chat`: the same path as Telegram and Zalo after normalisation.

Replies are kept in a Redis list per conversation until the client collects them, so replies that arrive later
(an operator's, for instance) are not lost between two requests. Buttons are registered like Telegram's, so a
press (the client sends the button's payload back) resolves only to a button this conversation was offered.
Waiting replies are sealed (bot/sealed.py) like every other message text in Redis.
"""

from __future__ import annotations

import json
import re
import secrets
from typing import Any

import redis.asyncio

from bot import keys
from bot.buttons import ButtonMap
from bot.messages import Outbound
from bot.sealed import Sealer, process_sealer

CONVERSATION_ID = re.compile(r"web:[A-Za-z0-9_-]{8,64}")
OUTBOX_TTL_SECONDS = 24 * 3600


def new_conversation_id() -> str:
    return "web:" + secrets.token_urlsafe(12)


class WebSender:
    """A `Transport` (for `bot.delivery.Delivery`) and, on its own, a `Sender` with no transcript."""

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
