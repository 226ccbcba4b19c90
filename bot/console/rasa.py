"""What the console asks of Rasa's HTTP API: reset the `escalated` slot after a handoff (so the bot can escalate
again later), and read where the person said they are. Best effort, short timeouts, logged without any text."""

from __future__ import annotations

import logging
import time
from typing import Any
from urllib.parse import quote

import httpx

from bot.privacy import log_id

log = logging.getLogger(__name__)
TIMEOUT = httpx.Timeout(5.0, connect=2.0)
SLOTS_CACHE_SECONDS = 30.0


class RasaTracker:
    def __init__(self, base_url: str, token: str = "", log_key: str = ""):
        self._http = httpx.AsyncClient(base_url=base_url, timeout=TIMEOUT)
        self._params = {"token": token} if token else {}
        self._log_key = log_key
        self._slots: dict[str, tuple[float, dict[str, Any]]] = {}

    async def aclose(self) -> None:
        await self._http.aclose()

    def _path(self, conversation_id: str, tail: str) -> str:
        return f"/conversations/{quote(conversation_id, safe='')}/{tail}"

    async def reset_escalated(self, conversation_id: str) -> bool:
        events = [{"event": "slot", "name": "escalated", "value": None}]
        who = log_id(conversation_id, self._log_key)
        try:
            response = await self._http.post(self._path(conversation_id, "tracker/events"), params=self._params,
                                             json=events)
        except httpx.HTTPError as error:
            log.warning("rasa slot reset failed conversation=%s reason=%s", who, type(error).__name__)
            return False
        if response.status_code >= 300:
            log.warning("rasa slot reset failed conversation=%s status=%d", who, response.status_code)
            return False
        log.info("rasa slot reset conversation=%s", who)
        return True

    async def slots(self, conversation_id: str) -> dict[str, Any]:
        """The tracker's slots ({} when Rasa cannot say), cached briefly: the console asks on every update."""
        cached = self._slots.get(conversation_id)
        if cached and time.monotonic() - cached[0] < SLOTS_CACHE_SECONDS:
            return cached[1]
        slots: dict[str, Any] = {}
        try:
            response = await self._http.get(self._path(conversation_id, "tracker"),
                                            params={**self._params, "include_events": "NONE"}, timeout=2.0)
            body = response.json() if response.status_code == 200 else {}
            found = body.get("slots") if isinstance(body, dict) else None
            slots = found if isinstance(found, dict) else {}
        except (httpx.HTTPError, ValueError) as error:
            log.info("rasa tracker unavailable conversation=%s reason=%s",
                     log_id(conversation_id, self._log_key), type(error).__name__)
        if len(self._slots) > 1000:
            self._slots.clear()
        self._slots[conversation_id] = (time.monotonic(), slots)
        return slots
