"""Operators' internal notes on a conversation, and the record of its closed handoffs.

Both outlive a handoff (the next operator reads what the last one learnt) and expire with the transcript, after the
retention period. Notes are never shown to the person and never enter logs or the audit log. Both are sealed
(bot/state/sealed.py): a note or a free-text referral says as much about the person as their messages do.
"""

from __future__ import annotations

import json
from typing import Any

import redis.asyncio

from bot.console.clock import Clock
from bot.state import keys
from bot.state.retention import Retention, kept_keys
from bot.state.sealed import Sealer, Unreadable, process_sealer

NOTE_MAX_CHARS = 2000


class CaseNotes:
    def __init__(self, client: redis.asyncio.Redis, clock: Clock, retention_days: int = 30,
                 sealer: Sealer | None = None, retention: Retention | None = None):
        self._redis = client
        # A note is activity too: the conversation (notes included) is kept its period from the note on.
        self._retention = retention
        self._clock = clock
        self._ttl = retention_days * 24 * 3600
        self._sealer = sealer or process_sealer()

    async def add(self, conversation_id: str, author: str, text: str) -> dict[str, Any]:
        note = {"at": round(self._clock(), 3), "operator": author, "text": text}
        await self._push(keys.case_notes(conversation_id), note)
        if self._retention is not None:
            await self._retention.keep(conversation_id, *kept_keys(conversation_id))
        return note

    async def add_handover(self, conversation_id: str, author: str, to: str, text: str) -> dict[str, Any]:
        """A transfer's handover note: shown to the receiver above the other notes."""
        note = {"at": round(self._clock(), 3), "operator": author, "text": text, "kind": "handover", "to": to}
        await self._push(keys.case_notes(conversation_id), note)
        if self._retention is not None:
            await self._retention.keep(conversation_id, *kept_keys(conversation_id))
        return note

    async def read(self, conversation_id: str) -> list[dict[str, Any]]:
        return await self._read(keys.case_notes(conversation_id))

    async def record_handoff(self, conversation_id: str, handoff: dict[str, Any]) -> None:
        await self._push(keys.handoffs(conversation_id), handoff)

    async def handoffs(self, conversation_id: str) -> list[dict[str, Any]]:
        return await self._read(keys.handoffs(conversation_id))

    async def _push(self, key: str, item: dict[str, Any]) -> None:
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.rpush(key, self._sealer.seal(json.dumps(item, ensure_ascii=False)))
            pipe.expire(key, self._ttl)
            await pipe.execute()

    async def _read(self, key: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        for raw in await self._redis.lrange(key, 0, -1):
            try:
                found.append(json.loads(self._sealer.open(raw)))
            except Unreadable:  # kept in Redis (its key may come back); not shown
                continue
        return found
