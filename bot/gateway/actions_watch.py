"""Rasa turns that notice a dead action server.

When Rasa cannot reach the action server it does not fail the turn: it logs the error, drops that action's
messages and events, and answers 200 with whatever else the turn said. For `report_danger` (one custom action,
`action_escalate`) that is an empty answer: a person asking for help got nothing, and nobody was told. So every
turn also asks the action server's /health, at the same time as Rasa (a local call, done long before the turn is),
and once more after a turn that came back empty (the server may have died during it). If the action server is not
answering, the turn counts as Rasa being unavailable: the dispatcher's degraded path sends the emergency numbers
and queues the person for a human, as when Rasa itself is down. Rasa's partial replies are dropped then: they may
have promised what the lost action was to do.

One check serves every turn that starts within `REUSE_SECONDS` of it: at 20 turns a second the action server (a
single process, beside Rasa on the same cores) would otherwise answer 20 health checks a second for nothing.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from bot.gateway.backends import BackendSession, Failed, NotReached
from bot.gateway.rasa_client import RasaClient, RasaUnavailable, Turn

PROBE_SECONDS = 2.0
REUSE_SECONDS = 1.0


class ActionsWatchedRasa(RasaClient):
    """A `RasaClient` whose turns fail (RasaUnavailable) while the action server at `actions_url` does not answer."""

    def __init__(self, *args: Any, actions_url: str, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._health_url = f"{actions_url.rstrip('/')}/health"
        # The action server (Sanic's defaults) closes idle connections after 5 s: keep them for less.
        self._probe = BackendSession(connect_timeout=1.0, keepalive=4.0)
        self._check: tuple[float, asyncio.Task[str | None]] | None = None  # the latest check: when it started

    async def aclose(self) -> None:
        if self._check is not None:
            await asyncio.gather(self._check[1], return_exceptions=True)
        await self._probe.aclose()
        await super().aclose()

    async def send(self, conversation_id: str, text: str, channel: str,
                   metadata: dict[str, Any] | None = None) -> Turn:
        check = self._check_since(time.monotonic() - REUSE_SECONDS)
        turn = await super().send(conversation_id, text, channel, metadata)
        problem = await asyncio.shield(check)  # shared with other turns: never cancelled by one of them
        if problem is None and not turn.replies:
            problem = await asyncio.shield(self._check_since(time.monotonic()))  # it may have died during the turn
        if problem is not None:
            raise RasaUnavailable(problem)
        return turn

    def _check_since(self, earliest: float) -> asyncio.Task[str | None]:
        """A health check started at `earliest` or later: the latest one if it is, else a new one."""
        if self._check is None or self._check[0] < earliest:
            self._check = (time.monotonic(), asyncio.create_task(self.actions_problem()))
        return self._check[1]

    async def actions_problem(self) -> str | None:
        """None when the action server answers its health check, else a short reason (no URL: logs carry it)."""
        try:
            answer = await self._probe.request("GET", self._health_url, timeout=PROBE_SECONDS)
        except (NotReached, Failed) as error:
            return f"action server not reachable ({error})"
        if answer.status != 200:
            return f"action server answered {answer.status}"
        return None
