"""Messages the gateway could not deliver (or could not process), kept where the operator console shows them.

A sorted set (entry id by time) indexes a hash of JSON entries, so the console can list the newest first and
remove one entry once it has been dealt with. Entries older than the retention period are pruned on each write,
and the list never holds more than `MAX_ENTRIES`. Entries are sealed (bot/state/sealed.py): they may hold message text.
"""

from __future__ import annotations

import json
import secrets
import time
from typing import Any, Literal

import redis.asyncio

from bot.state import keys
from bot.state.sealed import Sealer, Unreadable, process_sealer

Direction = Literal["outbound", "inbound"]
MAX_ENTRIES = 10_000


class DeadLetters:
    def __init__(self, client: redis.asyncio.Redis, retention_days: int = 30, sealer: Sealer | None = None):
        self._redis = client
        self._retention = retention_days * 24 * 3600
        self._sealer = sealer or process_sealer()

    async def add(self, conversation_id: str, channel: str, reason: str, text: str = "",
                  direction: Direction = "outbound", at: float | None = None) -> str:
        now = at or time.time()
        entry_id = f"{int(now * 1000)}-{secrets.token_hex(4)}"
        entry = {"id": entry_id, "at": round(now, 3), "conversation_id": conversation_id, "channel": channel,
                 "reason": reason, "direction": direction, "text": text}
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.zadd(keys.DEAD_LETTER_INDEX, {entry_id: now})
            pipe.hset(keys.DEAD_LETTER_ENTRIES, entry_id, self._sealer.seal(json.dumps(entry, ensure_ascii=False)))
            await pipe.execute()
        await self._prune(now)
        return entry_id

    async def _prune(self, now: float) -> None:
        old = await self._redis.zrangebyscore(keys.DEAD_LETTER_INDEX, "-inf", now - self._retention)
        excess = max(0, int(await self._redis.zcard(keys.DEAD_LETTER_INDEX)) - MAX_ENTRIES)
        if excess:
            old += await self._redis.zrange(keys.DEAD_LETTER_INDEX, 0, excess - 1)
        if old:
            await self.remove(*old)

    async def read(self, limit: int = 100, offset: int = 0) -> list[dict[str, Any]]:
        """The newest entries first."""
        ids = await self._redis.zrevrange(keys.DEAD_LETTER_INDEX, offset, offset + limit - 1)
        if not ids:
            return []
        raw = await self._redis.hmget(keys.DEAD_LETTER_ENTRIES, ids)
        return [entry for entry in map(self._entry, raw) if entry]

    def _entry(self, raw: str | None) -> dict[str, Any] | None:
        """The entry, None when it is gone or no configured key opens it (it stays until pruned)."""
        if not raw:
            return None
        try:
            entry: dict[str, Any] = json.loads(self._sealer.open(raw))
        except Unreadable:
            return None
        return entry

    async def forget_conversation(self, conversation_id: str) -> int:
        """Removes every entry of one conversation (the person asked for their data to be deleted)."""
        entries = await self._redis.hgetall(keys.DEAD_LETTER_ENTRIES)
        mine = [entry_id for entry_id, raw in entries.items()
                if (self._entry(raw) or {}).get("conversation_id") == conversation_id]
        return await self.remove(*mine)

    async def count(self) -> int:
        return int(await self._redis.zcard(keys.DEAD_LETTER_INDEX))

    async def remove(self, *entry_ids: str) -> int:
        """Forgets entries (the operator dealt with them); how many there were."""
        if not entry_ids:
            return 0
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.zrem(keys.DEAD_LETTER_INDEX, *entry_ids)
            pipe.hdel(keys.DEAD_LETTER_ENTRIES, *entry_ids)
            removed, _ = await pipe.execute()
        return int(removed)
