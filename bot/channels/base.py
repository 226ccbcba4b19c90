"""The narrow interfaces between channels and the rest of the gateway.

`Sender` is all the dispatcher (and the operator console) needs: "send this to that conversation". Each channel
implements the lower `Transport` — render one message, post one part — and `bot.delivery.Delivery` wraps it with
rate limits, retries, dead letters and the transcript, so that every channel gets the same guarantees.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from bot.messages import Outbound


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

    def parts(self, message: Outbound) -> list[Outbound]: ...

    async def post(self, conversation_id: str, part: Outbound) -> None:
        """Posts one part; raises a `DeliveryError` subclass when it did not go out."""


@runtime_checkable
class ShowsTyping(Protocol):
    async def typing(self, conversation_id: str) -> None: ...


@runtime_checkable
class Acknowledges(Protocol):
    async def acknowledge(self, token: str) -> None: ...
