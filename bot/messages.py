"""The channel-independent shape of what people send and what the bot answers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Channel = Literal["telegram", "zalo", "web"]


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
    campaign: str | None = None
    intent: str | None = None  # set only by the gateway itself: button payloads and its own commands


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
