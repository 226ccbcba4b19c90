"""What people attach while a human holds their conversation or it waits for one (photos, files, voice notes):
kept for the operator, sealed at rest, for as long as the conversation is kept.

One Redis hash per conversation (`keys.attachments`): attachment id → the sealed JSON `{kind, mime, data}` (data in
base64), plus `location` when a photo's EXIF held one (only the operator holding the conversation is shown it; the
stored picture has no EXIF left, bot/media/exif.py). The hash lives under the conversation's prefix, so `/xoa` and
the retention purge erase it with everything else (bot/state/erase.py), and its TTL follows the conversation's
period (bot/state/retention.py). The id is derived from the platform's message id: the transcript entry of the
message names it before the download is done.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass

import redis.asyncio

from bot.messages import Location
from bot.state import keys
from bot.state.retention import Retention
from bot.state.sealed import Sealer, Unreadable, process_sealer


def attachment_id(message_id: str) -> str:
    return hashlib.sha256(message_id.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Attachment:
    kind: str  # "photo", "voice", "audio", "document", "file"
    mime: str
    data: bytes
    location: Location | None = None  # from the photo's EXIF, for the holder's eyes only


class AttachmentStore:
    def __init__(self, client: redis.asyncio.Redis, retention: Retention, sealer: Sealer | None = None):
        self._redis = client
        self._retention = retention
        self._sealer = sealer or process_sealer()

    async def put(self, conversation_id: str, message_id: str, attachment: Attachment) -> str:
        key = keys.attachments(conversation_id)
        stored: dict[str, object] = {"kind": attachment.kind, "mime": attachment.mime,
                  "data": base64.b64encode(attachment.data).decode("ascii")}
        if attachment.location is not None:
            stored["location"] = [attachment.location.latitude, attachment.location.longitude]
        found = attachment_id(message_id)
        await self._redis.hset(key, found, self._sealer.seal(json.dumps(stored)))
        await self._retention.keep(conversation_id, key)  # its TTL: the conversation's period
        return found

    async def get(self, conversation_id: str, found: str) -> Attachment | None:
        raw = await self._redis.hget(keys.attachments(conversation_id), found)
        if raw is None:
            return None
        try:
            stored = json.loads(self._sealer.open(raw))
        except Unreadable:
            return None
        location = stored.get("location")
        return Attachment(stored["kind"], stored["mime"], base64.b64decode(stored["data"]),
                          Location(*location) if location else None)
