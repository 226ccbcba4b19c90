"""The narrow interfaces between channels and the rest of the gateway.

`Sender` is all the dispatcher (and the operator console) needs: "send this to that conversation". Each channel
implements the lower `Transport` — render one message, post one part — and `bot.gateway.delivery.Delivery` wraps it with
rate limits, retries, dead letters and the transcript, so that every channel gets the same guarantees.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from bot.messages import Inbound, Outbound


class Sender(Protocol):
    """Delivers messages to one conversation on the conversation's own channel."""

    async def send(self, conversation_id: str, message: Outbound) -> None: ...


class DeliveryError(Exception):
    """A part could not be posted. `reason` is short, has no message text, and is what the operator reads."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class RetryLater(DeliveryError):
    """The platform asked us to slow down; `seconds` to wait, or None to back off on our own."""

    def __init__(self, reason: str, seconds: float | None = None):
        super().__init__(reason)
        self.seconds = seconds


class TemporaryFailure(DeliveryError):
    """Timeouts, 5xx, connection errors: worth retrying with backoff."""


class Undeliverable(DeliveryError):
    """The platform will not deliver to this person now (blocked the bot, reply window closed, unfollowed)."""


class PermanentFailure(DeliveryError):
    """Retrying cannot help (a malformed request, a bad token)."""


class Transport(Protocol):
    """One channel's API: how a message is cut into parts, and how one part is posted."""

    channel: str
    # Whether the platform tells the gateway that a person left (Zalo's unfollow event). Only then does a send first
    # look for the conversation's "stopped" mark; elsewhere that would be a Redis round trip before every reply.
    unfollows: bool
    # Whether a choice comes back as a message the person sends (Zalo: a bare number answering numbered options, or
    # a tapped button's code). Only then is a typed message first read for one, which also ends any offer (a Redis
    # round trip before the turn can go to Rasa).
    numbered_choices: bool

    def parts(self, message: Outbound) -> list[Outbound]: ...

    async def post(self, conversation_id: str, part: Outbound) -> None:
        """Posts one part; raises a `DeliveryError` subclass when it did not go out."""


@runtime_checkable
class ShowsTyping(Protocol):
    async def typing(self, conversation_id: str) -> None: ...


@runtime_checkable
class Acknowledges(Protocol):
    async def acknowledge(self, token: str) -> None: ...


@dataclass(frozen=True)
class ChatMessage:
    """A message the bot may delete from the person's own chat: the platform's id, who sent it, and when."""

    message_id: int
    from_bot: bool
    sent_at: float


@runtime_checkable
class CleansChat(Protocol):
    """A channel that can delete messages from the person's chat when their data is erased (Telegram)."""

    async def received(self, inbound: Inbound) -> None:
        """Notes a message from the person, in case it has to be deleted later."""

    async def deletable(self, conversation_id: str) -> list[ChatMessage]:
        """The messages noted for deletion, read before the erase removes the record of them."""

    async def clean(self, conversation_id: str, messages: list[ChatMessage]) -> str | None:
        """Deletes them from the chat; what to tell the person about it, None when the option is off."""


class FetchFailed(Exception):
    """The attachment could not be fetched from the platform (gone, refused, unreachable)."""


class TooLarge(FetchFailed):
    """The attachment is larger than the gateway takes."""


@runtime_checkable
class FetchesFiles(Protocol):
    """A channel whose attachments the gateway can download (Telegram's getFile, Zalo's attachment URL)."""

    async def fetch(self, inbound: Inbound, limit: int) -> bytes:
        """The attachment's bytes; `TooLarge` past `limit` bytes (before downloading when the platform says its
        size), `FetchFailed` for anything else."""
