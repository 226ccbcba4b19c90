"""The narrow interface every channel offers the rest of the gateway."""

from __future__ import annotations

from typing import Protocol

from bot.messages import Outbound


class Sender(Protocol):
    """Delivers messages to one conversation on the conversation's own channel."""

    async def send(self, conversation_id: str, message: Outbound) -> None: ...
