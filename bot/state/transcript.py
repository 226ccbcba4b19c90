"""Every conversation's transcript: both sides, whatever the mode, kept for the retention period.

One Redis list per conversation of JSON entries `{at, from, text, kind}` (plus `undeliverable: true` and a
`reason` when a message could not reach the person, and `attachment`, the id of what the person attached when it is
kept for the operator: bot/state/attachments.py). The operator console reads it; the TTL is renewed on each
entry, so a conversation disappears `CAUNOI_RETENTION_DAYS` after its last message. Each entry is sealed
(bot/state/sealed.py): Redis holds no message text.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import redis.asyncio

from bot.state import keys
from bot.state.sealed import Sealer, Unreadable, process_sealer

Author = Literal["person", "bot", "operator", "system"]
# How non-text messages appear in the transcript.
UNSUPPORTED = "unsupported"  # the kind of a message from a person no channel adapter could read
KIND_LABELS = {
    "photo": "[ảnh]",
    "voice": "[tin nhắn thoại]",
    "audio": "[âm thanh]",
    "video": "[video]",
    "sticker": "[nhãn dán]",
    "gif": "[ảnh động]",
    "document": "[tệp]",
    "file": "[tệp]",
    "contact": "[danh thiếp]",
    "link": "[liên kết]",
    "location": "[vị trí]",
    "button": "[nút]",
    # A message from a person no channel adapter could read (not "unreadable": a stored value no key opens).
    UNSUPPORTED: "[tin nhắn không đọc được]",
}


def label(kind: str, text: str = "") -> str:
    """`[ảnh] caption` for a photo with a caption, the text alone for a text message."""
    tag = KIND_LABELS.get(kind, f"[{kind}]") if kind != "text" else ""
    return " ".join(part for part in (tag, text.strip()) if part)


@dataclass(frozen=True)
class Entry:
    """One line of a transcript, before it is stored."""

    author: Author
    text: str
    kind: str = "text"
    undeliverable: str | None = None
    at: float | None = None
    attachment: str | None = None  # the id of a photo, file or voice note kept for the operator (attachments.py)


class Transcript:
    def __init__(self, client: redis.asyncio.Redis, retention_days: int = 30, sealer: Sealer | None = None):
        self._redis = client
        self._ttl = retention_days * 24 * 3600
        self._sealer = sealer or process_sealer()

    async def append(self, conversation_id: str, author: Author, text: str, kind: str = "text",
                     undeliverable: str | None = None, at: float | None = None,
                     attachment: str | None = None) -> None:
        await self.append_many(conversation_id, [Entry(author, text, kind, undeliverable, at, attachment)])

    async def append_many(self, conversation_id: str, entries: Sequence[Entry]) -> None:
        """Several entries, in order, in one round trip (none: nothing to do)."""
        if not entries:
            return
        key = keys.transcript(conversation_id)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.rpush(key, *(self.sealed(entry) for entry in entries))
            pipe.expire(key, self._ttl)
            await pipe.execute()

    def sealed(self, entry: Entry) -> str:
        """One entry as stored: JSON, sealed."""
        stored: dict[str, Any] = {"at": round(entry.at or time.time(), 3), "from": entry.author, "text": entry.text,
                                  "kind": entry.kind}
        if entry.attachment:
            stored["attachment"] = entry.attachment
        if entry.undeliverable:
            stored["undeliverable"] = True
            stored["reason"] = entry.undeliverable
        return self._sealer.seal(json.dumps(stored, ensure_ascii=False))

    async def read(self, conversation_id: str, start: int = 0, end: int = -1) -> list[dict[str, Any]]:
        """Entries oldest first; `start`/`end` as in LRANGE (negative counts from the end: -50, -1 = last 50)."""
        raw = await self._redis.lrange(keys.transcript(conversation_id), start, end)
        return [self._entry(item) for item in raw]

    def _entry(self, raw: str) -> dict[str, Any]:
        try:
            entry: dict[str, Any] = json.loads(self._sealer.open(raw))
        except Unreadable:
            # Kept in Redis as it is (a key may yet be restored); the console shows that something is there.
            return {"at": 0, "from": "system", "text": "", "kind": "unreadable"}
        return entry

    async def length(self, conversation_id: str) -> int:
        return int(await self._redis.llen(keys.transcript(conversation_id)))
