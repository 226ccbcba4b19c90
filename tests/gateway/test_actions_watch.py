"""A Rasa turn while the action server is down counts as Rasa being unavailable (bot/gateway/actions_watch.py)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable

import httpx
import pytest

from bot.gateway.actions_watch import ActionsWatchedRasa
from bot.gateway.rasa_client import RasaUnavailable
from bot.messages import Outbound

RASA = "http://rasa.test:5005"
ACTIONS = "http://actions.test:5055"
Health = Callable[[int], httpx.Response]  # the n-th health check (from 1) → its answer; raise for "refused"


def up(call: int) -> httpx.Response:
    return httpx.Response(200, json={"status": "ok"})


def refused(call: int) -> httpx.Response:
    raise httpx.ConnectError("connection refused")


def client(replies: list[dict[str, str]] | None, health: Health) -> tuple[ActionsWatchedRasa, list[str]]:
    """Rasa answers `replies` (None: Rasa is down); every request is recorded as 'rasa' or 'health'."""
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host == "actions.test":
            assert request.url.path == "/health"
            seen.append("health")
            return health(seen.count("health"))
        seen.append("rasa")
        if replies is None:
            raise httpx.ConnectError("connection refused")
        sender = json.loads(request.content)["sender"]
        return httpx.Response(200, json=[{"recipient_id": sender, **reply} for reply in replies])

    return ActionsWatchedRasa(RASA, 5.0, actions_url=ACTIONS, transport=httpx.MockTransport(handler)), seen


async def test_a_normal_turn_is_untouched() -> None:
    rasa, seen = client([{"text": "Chào bạn"}], up)
    assert await rasa.send("tg:1", "xin chào", "telegram") == [Outbound("Chào bạn")]
    assert sorted(seen) == ["health", "rasa"]
    await rasa.aclose()


async def test_an_empty_turn_with_the_action_server_down_is_rasa_unavailable() -> None:
    rasa, _ = client([], refused)
    with pytest.raises(RasaUnavailable, match="action server not reachable"):
        await rasa.send("tg:1", "cứu tôi", "telegram")
    await rasa.aclose()


async def test_partial_replies_with_the_action_server_down_are_dropped_for_the_degraded_path() -> None:
    # e.g. utter_distress_support answered but action_escalate was lost
    rasa, _ = client([{"text": "Bạn không một mình."}], refused)
    with pytest.raises(RasaUnavailable):
        await rasa.send("tg:1", "tôi tuyệt vọng quá", "telegram")
    await rasa.aclose()


async def test_an_action_server_that_dies_during_an_empty_turn_is_noticed_by_the_second_check() -> None:
    rasa, seen = client([], lambda call: up(call) if call == 1 else refused(call))
    with pytest.raises(RasaUnavailable):
        await rasa.send("tg:1", "cứu tôi", "telegram")
    assert seen.count("health") == 2
    await rasa.aclose()


async def test_an_empty_turn_with_the_action_server_up_stays_empty() -> None:
    rasa, seen = client([], up)
    assert await rasa.send("tg:1", "/noop", "telegram") == []
    assert seen.count("health") == 2
    await rasa.aclose()


async def test_an_action_server_error_status_counts_as_down() -> None:
    rasa, _ = client([{"text": "ok"}], lambda call: httpx.Response(503))
    with pytest.raises(RasaUnavailable, match="action server answered 503"):
        await rasa.send("tg:1", "xin chào", "telegram")
    await rasa.aclose()


async def test_rasa_down_is_still_rasa_unavailable() -> None:
    rasa, _ = client(None, up)
    with pytest.raises(RasaUnavailable, match="ConnectError"):
        await rasa.send("tg:1", "xin chào", "telegram")
    await rasa.aclose()


async def test_turns_starting_together_share_one_health_check(monkeypatch: pytest.MonkeyPatch) -> None:
    rasa, seen = client([{"text": "Chào bạn"}], up)
    turns = [rasa.send(f"tg:{n}", "xin chào", "telegram") for n in range(10)]
    assert await asyncio.gather(*turns) == [[Outbound("Chào bạn")]] * 10
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
    await rasa.aclose()
