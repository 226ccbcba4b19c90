"""bot/gateway/backends.py against a real HTTP server, and a Rasa client on it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from bot.gateway.backends import BackendSession, Failed, NotReached
from bot.gateway.rasa_client import RasaClient, RasaUnavailable
from bot.state.store import free_port
from harness.rasa import Failure, FakeRasa


def written(turn: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"recipient_id": turn["sender"], "text": f"Bạn viết: {turn['message']}"}]


@pytest.fixture
def server() -> Iterator[str]:
    """Rasa on a real port: slow to answer "chậm", failing "hỏng", answering "rác" with a page that is not JSON."""
    rasa = FakeRasa(replies=written, token="t", failures={
        "chậm": Failure(pause=2.0), "hỏng": Failure(status=500), "rác": Failure(body="<html>not json</html>")})
    rasa.start()
    yield rasa.url
    rasa.stop()


async def test_an_answer_comes_back_whole(server: str) -> None:
    session = BackendSession(connect_timeout=1.0, keepalive=4.0)
    try:
        answer = await session.request("POST", f"{server}/webhooks/rest/webhook", timeout=2.0,
                                    json={"sender": "tg:1", "message": "xin chào"})
        assert answer.status == 200
        assert answer.json() == [{"recipient_id": "tg:1", "text": "Bạn viết: xin chào"}]
        assert (await session.request("GET", f"{server}/status", timeout=2.0, params={"token": "t"})).status == 200
    finally:
        await session.aclose()


async def test_refused_is_not_reached_and_slow_is_failed(server: str) -> None:
    session = BackendSession(connect_timeout=1.0, keepalive=4.0)
    try:
        with pytest.raises(NotReached):
            await session.request("GET", f"http://127.0.0.1:{free_port()}/status", timeout=2.0)
        with pytest.raises(Failed, match="Timeout"):
            await session.request("POST", f"{server}/webhooks/rest/webhook", timeout=0.3,
                               json={"sender": "tg:1", "message": "chậm"})
    finally:
        await session.aclose()


async def test_rasa_over_aiohttp(server: str) -> None:
    client = RasaClient(server, 0.5, token="t")
    try:
        [reply] = (await client.send("tg:1", "xin chào", "telegram")).replies
        assert reply.text == "Bạn viết: xin chào"
        assert await client.problem() is None
        for text, reason in (("chậm", "Timeout"), ("hỏng", "HTTP 500"), ("rác", "not JSON")):
            with pytest.raises(RasaUnavailable, match=reason):
                await client.send("tg:1", text, "telegram")
    finally:
        await client.aclose()


async def test_a_refused_server_is_skipped_for_the_next(server: str) -> None:
    down = f"http://127.0.0.1:{free_port()}"
    client = RasaClient(down, 2.0, servers=[down, server])
    try:
        for conversation in (f"tg:{n}" for n in range(6)):  # whichever server each one ranks first
            [reply] = (await client.send(conversation, "alo", "telegram")).replies
            assert reply.text == "Bạn viết: alo"
        assert (await client.problem() or "").startswith(f"{down}: Rasa not reachable (ClientConnector")
    finally:
        await client.aclose()
