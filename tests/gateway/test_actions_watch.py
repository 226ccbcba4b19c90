"""A Rasa turn while the action server is down counts as Rasa being unavailable (bot/gateway/actions_watch.py)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable

import pytest
from aiohttp import web

from bot.gateway.actions_watch import ActionsWatchedRasa
from bot.gateway.rasa_client import RasaUnavailable, Turn
from bot.messages import Outbound
from bot.state.store import free_port
from harness.servers import answering, dropped

Health = Callable[[int], int]  # the n-th health check (from 1) → its HTTP status; 0: the connection drops


def up(call: int) -> int:
    return 200


def refused(call: int) -> int:
    return 0


@contextlib.asynccontextmanager
async def client(replies: list[dict[str, str]] | None,
                 health: Health) -> AsyncIterator[tuple[ActionsWatchedRasa, list[str]]]:
    """Rasa answers `replies` (None: nothing listens at its address); every request is recorded as 'rasa' or
    'health'. Both are real local servers: the client is the aiohttp one production runs."""
    seen: list[str] = []

    async def actions(request: web.BaseRequest) -> web.Response:
        assert request.path == "/health"
        seen.append("health")
        status = health(seen.count("health"))
        return web.json_response({"status": "ok"}, status=status) if status else dropped(request)

    async def rasa(request: web.BaseRequest) -> web.Response:
        seen.append("rasa")
        sender = (await request.json())["sender"]
        return web.json_response([{"recipient_id": sender, **reply} for reply in (replies or [])])

    async with answering(actions) as actions_url, contextlib.AsyncExitStack() as stack:
        rasa_url = await stack.enter_async_context(answering(rasa)) if replies is not None \
            else f"http://127.0.0.1:{free_port()}"
        watched = ActionsWatchedRasa(rasa_url, 5.0, actions_url=actions_url)
        try:
            yield watched, seen
        finally:
            await watched.aclose()


async def test_a_normal_turn_is_untouched() -> None:
    async with client([{"text": "Chào bạn"}], up) as (rasa, seen):
        assert await rasa.send("tg:1", "xin chào", "telegram") == Turn([Outbound("Chào bạn")])
        assert sorted(seen) == ["health", "rasa"]


async def test_an_empty_turn_with_the_action_server_down_is_rasa_unavailable() -> None:
    async with client([], refused) as (rasa, _):
        with pytest.raises(RasaUnavailable, match="action server not reachable"):
            await rasa.send("tg:1", "cứu tôi", "telegram")


async def test_partial_replies_with_the_action_server_down_are_dropped_for_the_degraded_path() -> None:
    # e.g. utter_distress_support answered but action_escalate was lost
    async with client([{"text": "Bạn không một mình."}], refused) as (rasa, _):
        with pytest.raises(RasaUnavailable):
            await rasa.send("tg:1", "tôi tuyệt vọng quá", "telegram")


async def test_an_action_server_that_dies_during_an_empty_turn_is_noticed_by_the_second_check() -> None:
    async with client([], lambda call: up(call) if call == 1 else refused(call)) as (rasa, seen):
        with pytest.raises(RasaUnavailable):
            await rasa.send("tg:1", "cứu tôi", "telegram")
        assert seen.count("health") == 2


async def test_an_empty_turn_with_the_action_server_up_stays_empty() -> None:
    async with client([], up) as (rasa, seen):
        assert await rasa.send("tg:1", "/noop", "telegram") == Turn([])
        assert seen.count("health") == 2


async def test_an_action_server_error_status_counts_as_down() -> None:
    async with client([{"text": "ok"}], lambda call: 503) as (rasa, _):
        with pytest.raises(RasaUnavailable, match="action server answered 503"):
            await rasa.send("tg:1", "xin chào", "telegram")


async def test_rasa_down_is_still_rasa_unavailable() -> None:
    async with client(None, up) as (rasa, _):
        with pytest.raises(RasaUnavailable, match="ClientConnectorError"):
            await rasa.send("tg:1", "xin chào", "telegram")


async def test_turns_starting_together_share_one_health_check(monkeypatch: pytest.MonkeyPatch) -> None:
    async with client([{"text": "Chào bạn"}], up) as (rasa, seen):
        turns = [rasa.send(f"tg:{n}", "xin chào", "telegram") for n in range(10)]
        assert await asyncio.gather(*turns) == [Turn([Outbound("Chào bạn")])] * 10
        assert seen.count("health") == 1
        clock = [time.monotonic() + 100]  # later than the first check by far
        monkeypatch.setattr("bot.gateway.actions_watch.time.monotonic", lambda: clock[0])
        await rasa.send("tg:1", "xin chào", "telegram")
        clock[0] += 0.5
        await rasa.send("tg:1", "xin chào", "telegram")  # the check half a second ago still counts
        assert seen.count("health") == 2
        clock[0] += 1.5
        await rasa.send("tg:1", "xin chào", "telegram")  # one from two seconds ago does not
        assert seen.count("health") == 3
