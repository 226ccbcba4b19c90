"""The local "web" channel used by `caunoi chat`: the same path as Telegram and Zalo after normalisation.

Replies are kept in a Redis list per conversation until the client collects them, so replies that arrive later
(an operator's, for instance) are not lost between two requests.
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import asdict
from typing import Any

import redis.asyncio

from bot import keys
from bot.messages import Outbound

CONVERSATION_ID = re.compile(r"web:[A-Za-z0-9_-]{8,64}")
OUTBOX_TTL_SECONDS = 24 * 3600


def new_conversation_id() -> str:
    return "web:" + secrets.token_urlsafe(12)


class WebSender:
    def __init__(self, redis_client: redis.asyncio.Redis):
        self._redis = redis_client

    async def send(self, conversation_id: str, message: Outbound) -> None:
        key = keys.dev_outbox(conversation_id)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.rpush(key, json.dumps(asdict(message), ensure_ascii=False))
            pipe.expire(key, OUTBOX_TTL_SECONDS)
            await pipe.execute()

    async def collect(self, conversation_id: str) -> list[dict[str, Any]]:
        """Takes every waiting message for the conversation, oldest first."""
        key = keys.dev_outbox(conversation_id)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.lrange(key, 0, -1)
            pipe.delete(key)
            raw, _ = await pipe.execute()
        return [json.loads(item) for item in raw]
