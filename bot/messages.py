"""The channel-independent shape of what people send and what the bot answers."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Channel = Literal["telegram", "zalo", "web"]
PREFIXES: dict[str, Channel] = {"tg": "telegram", "zalo": "zalo", "web": "web"}


def channel_of(conversation_id: str) -> Channel:
    """The channel a conversation id belongs to (`tg:…`, `zalo:…`, `web:…`); ValueError for anything else."""
    prefix, _, rest = conversation_id.partition(":")
    if prefix not in PREFIXES or not rest:
        raise ValueError("not a conversation id")
    return PREFIXES[prefix]


@dataclass(frozen=True)
class Location:
    latitude: float
    longitude: float


@dataclass(frozen=True)
class Inbound:
    """One message from a person, after the channel adapter has checked and normalised it."""

    channel: Channel
    conversation_id: str
    message_id: str
    text: str = ""
    location: Location | None = None
    attachment: str | None = None  # "photo", "voice", ... when the person sent something that is not text
    # Where the platform keeps the attachment (a Telegram file_id, a Zalo download URL), its size in bytes when the
    # platform says, and its type when it is a file ("image/png"): what the gateway fetches it by (bot/media/).
    file_ref: str | None = None
    file_size: int | None = None
    mime: str | None = None
    campaign: str | None = None
    # Set only by the gateway itself: a command's payload ("/greet"). Button presses use `button` instead.
    intent: str | None = None
    button: str | None = None  # the short code of a pressed button, resolved to its payload when processed
    event: str | None = None  # "not_private", "location_unreadable": things the gateway answers by itself
    ack: str | None = None  # a channel token to acknowledge (a Telegram callback query id)
    received_at: float = field(default_factory=time.time)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Inbound:
        location = data.get("location")
        return cls(**{**data, "location": Location(**location) if location else None})


@dataclass(frozen=True)
class Button:
    title: str
    payload: str


@dataclass(frozen=True)
class Outbound:
    """One message to a person, before the channel adapter renders it."""

    text: str
    buttons: tuple[Button, ...] = field(default_factory=tuple)
    request_location: bool = False
    protect_content: bool = False  # Telegram: the person cannot forward or save it (safety information)
    # Deleted from the person's chat on an erase, like protected messages (bot/channels/telegram_cleanup.py): what
    # was said around a handoff, the emergency numbers. Forwarding stays possible.
    sensitive: bool = False
