"""The audit log: who viewed, claimed, wrote to, transferred, closed which conversation, and when.

An append-only Redis stream (nothing here edits it; the retention purge drops entries older than
CAUNOI_AUDIT_RETENTION_DAYS, bot/state/retention.py), exported as JSON lines by `GET /api/audit` and
`caunoi audit export`. Entries carry ids, names, outcomes and counts — never message or note text. One entry is
written elsewhere, in this shape: a person leaving the queue, by the queue's own script (`HandoffQueue.withdraw`).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import redis.asyncio

from bot.console.clock import Clock, iso
from bot.state import keys

Detail = str | int | float | bool | None
PAGE = 500


class AuditLog:
    def __init__(self, client: redis.asyncio.Redis, clock: Clock):
        self._redis = client
        self._clock = clock

    async def record(self, actor: str, action: str, conversation: str | None = None, **details: Detail) -> None:
        entry = {"at": f"{self._clock():.3f}", "actor": actor, "action": action, "conversation": conversation or "",
                 "details": json.dumps({k: v for k, v in details.items() if v is not None}, ensure_ascii=False)}
        await self._redis.xadd(keys.AUDIT, entry)

    async def export(self, since: float | None = None, until: float | None = None,
                     limit: int | None = None) -> AsyncIterator[dict[str, Any]]:
        """Entries oldest first, between `since` and `until` (seconds since the epoch)."""
        start = f"{int(since * 1000)}-0" if since else "-"
        end = f"{int(until * 1000)}-0" if until else "+"
        sent = 0
        while True:
            page = await self._redis.xrange(keys.AUDIT, start, end, count=PAGE)
            for entry_id, fields in page:
                yield entry(entry_id, fields)
                sent += 1
                if limit is not None and sent >= limit:
                    return
            if len(page) < PAGE:
                return
            start = "(" + page[-1][0]


def entry(entry_id: str, fields: dict[str, str]) -> dict[str, Any]:
    at = float(fields.get("at") or 0)
    details = json.loads(fields.get("details") or "{}")
    return {"id": entry_id, "at": iso(at), "actor": fields.get("actor", ""), "action": fields.get("action", ""),
            "conversation": fields.get("conversation") or None, **details}
