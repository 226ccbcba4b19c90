"""Runs one inbound message through the bot and delivers the answers, in order, on the person's channel."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

from bot.channels.base import Sender
from bot.content import GatewayTexts
from bot.messages import Inbound, Outbound
from bot.privacy import log_id
from bot.rasa_client import RasaClient, RasaUnavailable
from nlu.guard import clean_typed_text

log = logging.getLogger(__name__)


def rasa_message(inbound: Inbound) -> str:
    """The text Rasa receives: an explicit intent only when the gateway set one, typed text otherwise."""
    if inbound.intent:
        return f"/{inbound.intent}"
    return clean_typed_text(inbound.text)


class Dispatcher:
    def __init__(self, rasa: RasaClient, senders: Mapping[str, Sender], texts: GatewayTexts, log_key: str = ""):
        self._rasa = rasa
        self._senders = senders
        self._texts = texts
        self._log_key = log_key
        self._locks: dict[str, asyncio.Lock] = {}

    @asynccontextmanager
    async def _one_at_a_time(self, conversation_id: str) -> AsyncIterator[None]:
        # Rasa retries a busy conversation lock once per second, so turns of one conversation are serialised here.
        lock = self._locks.setdefault(conversation_id, asyncio.Lock())
        try:
            async with lock:
                yield
        finally:
            if not lock.locked() and self._locks.get(conversation_id) is lock:
                del self._locks[conversation_id]

    async def handle(self, inbound: Inbound) -> None:
        sender = self._senders[inbound.channel]
        async with self._one_at_a_time(inbound.conversation_id):
            replies = await self._answer(inbound)
            for reply in replies:
                await sender.send(inbound.conversation_id, reply)

    async def _answer(self, inbound: Inbound) -> list[Outbound]:
        text = rasa_message(inbound)
        if not text:
            return [Outbound(self._texts.empty)]
        metadata: dict[str, Any] = {}
        if inbound.campaign:
            metadata["campaign"] = inbound.campaign
        started = time.perf_counter()
        try:
            replies = await self._rasa.send(inbound.conversation_id, text, inbound.channel, metadata)
        except RasaUnavailable as error:
            log.warning("rasa unavailable conversation=%s reason=%s",
                        log_id(inbound.conversation_id, self._log_key), error)
            return [Outbound(self._texts.degraded)]
        log.info("turn conversation=%s channel=%s replies=%d ms=%.0f", log_id(inbound.conversation_id, self._log_key),
                 inbound.channel, len(replies), (time.perf_counter() - started) * 1000)
        return replies
