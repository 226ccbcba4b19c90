"""Rasa turns that notice a dead action server.

When Rasa cannot reach the action server it does not fail the turn: it logs the error, drops that action's
messages and events, and answers 200 with whatever else the turn said. For `report_danger` (one custom action,
`action_escalate`) that is an empty answer: a person asking for help got nothing, and nobody was told. So every
turn also asks the action server's /health, at the same time as Rasa (a local call, done long before the turn is),
and once more after a turn that came back empty (the server may have died during it). If the action server is not
answering, the turn counts as Rasa being unavailable: the dispatcher's degraded path sends the emergency numbers
and queues the person for a human, as when Rasa itself is down. Rasa's partial replies are dropped then: they may
have promised what the lost action was to do.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from bot.messages import Outbound
from bot.rasa_client import RasaClient, RasaUnavailable

PROBE_TIMEOUT = httpx.Timeout(2.0, connect=1.0)


class ActionsWatchedRasa(RasaClient):
    """A `RasaClient` whose turns fail (RasaUnavailable) while the action server at `actions_url` does not answer."""

    def __init__(self, *args: Any, actions_url: str, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._health_url = f"{actions_url.rstrip('/')}/health"
        self._probe = httpx.AsyncClient(timeout=PROBE_TIMEOUT, transport=kwargs.get("transport"))

    async def aclose(self) -> None:
        await self._probe.aclose()
        await super().aclose()

    async def send(self, conversation_id: str, text: str, channel: str,
                   metadata: dict[str, Any] | None = None) -> list[Outbound]:
        probe = asyncio.create_task(self.actions_problem())
        try:
            replies = await super().send(conversation_id, text, channel, metadata)
        except BaseException:
            probe.cancel()
            await asyncio.gather(probe, return_exceptions=True)
            raise
        problem = await probe
        if problem is None and not replies:
            problem = await self.actions_problem()
        if problem is not None:
            raise RasaUnavailable(problem)
        return replies

    async def actions_problem(self) -> str | None:
        """None when the action server answers its health check, else a short reason (no URL: logs carry it)."""
        try:
            response = await self._probe.get(self._health_url)
        except httpx.HTTPError as error:
            return f"action server not reachable ({type(error).__name__})"
        if response.status_code != 200:
            return f"action server answered {response.status_code}"
        return None
