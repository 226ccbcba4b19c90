"""Several Rasa servers (CAUNOI_RASA_URLS): each conversation sticks to one, chosen by rendezvous hashing. The
servers are real local ones: the client is the aiohttp one production runs."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import re
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
from aiohttp import web

from bot.gateway.rasa_client import RasaClient, RasaUnavailable, ranking
from bot.settings import PROJECT_ROOT, SettingsError, from_environment
from bot.state.store import free_port
from harness.servers import answering

SERVERS = ["http://rasa-a:5005", "http://rasa-b:5005", "http://rasa-c:5005"]
IDS = [f"tg:{n}" for n in range(3000)]


def test_a_conversation_always_ranks_the_servers_the_same_way_whatever_their_order() -> None:
    for conversation in IDS[:50]:
        assert ranking(conversation, SERVERS) == ranking(conversation, list(reversed(SERVERS)))
        assert sorted(ranking(conversation, SERVERS)) == sorted(SERVERS)


def test_conversations_spread_over_the_servers() -> None:
    counts = Counter(ranking(conversation, SERVERS)[0] for conversation in IDS)
    assert set(counts) == set(SERVERS)
    assert all(800 < count < 1200 for count in counts.values()), counts


def test_removing_a_server_moves_only_its_own_conversations() -> None:
    before = {conversation: ranking(conversation, SERVERS)[0] for conversation in IDS}
    after = {conversation: ranking(conversation, SERVERS[:2])[0] for conversation in IDS}
    moved = [c for c in IDS if before[c] != after[c]]
    assert moved and all(before[c] == SERVERS[2] for c in moved)
    # and they move to the server next in their own ranking
    assert all(after[c] == ranking(c, SERVERS)[1] for c in moved)


@dataclass
class Farm:
    """Rasa servers a, b and c on real sockets; `reached` names them in the order requests came in."""

    urls: dict[str, str] = field(default_factory=lambda: {name: f"http://127.0.0.1:{free_port()}" for name in "abc"})
    reached: list[str] = field(default_factory=list)

    @property
    def servers(self) -> list[str]:
        return list(self.urls.values())

    def ranked(self, conversation_id: str) -> list[str]:
        """The names of the servers in the conversation's order."""
        return [next(name for name, url in self.urls.items() if url == server)
                for server in ranking(conversation_id, self.servers)]

    @contextlib.asynccontextmanager
    async def running(self, refusing: tuple[str, ...] = (), stalling: tuple[str, ...] = ()) -> AsyncIterator[None]:
        """`refusing`: nothing listens at that one's address; `stalling`: that one answers after a second."""
        async with contextlib.AsyncExitStack() as stack:
            for name, url in self.urls.items():
                if name not in refusing:
                    await stack.enter_async_context(answering(functools.partial(self._handle, name, name in stalling),
                                                              port=int(url.rsplit(":", 1)[1])))
            yield

    async def _handle(self, name: str, stalling: bool, request: web.BaseRequest) -> web.Response:
        self.reached.append(name)
        if stalling:
            await asyncio.sleep(1.0)
        if request.path == "/status":
            return web.json_response({})
        return web.json_response([{"recipient_id": "x", "text": f"from {name}"}])


async def test_turns_of_a_conversation_go_to_its_server() -> None:
    farm = Farm()
    client = RasaClient(farm.servers[0], 5.0, servers=farm.servers)
    async with farm.running():
        try:
            for conversation in IDS[:30]:
                replies = (await client.send(conversation, "xin chào", "telegram")).replies
                expected = farm.ranked(conversation)[0]
                assert replies[0].text == f"from {expected}"
                assert farm.reached[-1] == expected
        finally:
            await client.aclose()


async def test_a_server_that_refuses_the_connection_is_skipped_for_the_next_in_the_ranking() -> None:
    farm = Farm()
    first, second, _ = farm.ranked("tg:42")
    client = RasaClient(farm.servers[0], 5.0, servers=farm.servers)
    async with farm.running(refusing=(first,)):
        try:
            replies = (await client.send("tg:42", "xin chào", "telegram")).replies
        finally:
            await client.aclose()
    assert farm.reached == [second]
    assert replies[0].text == f"from {second}"


async def test_a_server_that_timed_out_is_not_asked_again_elsewhere() -> None:
    # It may still be running the turn: a second server would run it twice, at the same time.
    farm = Farm()
    client = RasaClient(farm.servers[0], 0.3, servers=farm.servers)
    async with farm.running(stalling=("a", "b", "c")):
        try:
            with pytest.raises(RasaUnavailable, match="Timeout"):
                await client.send("tg:42", "xin chào", "telegram")
        finally:
            await client.aclose()
    assert farm.reached == farm.ranked("tg:42")[:1]


async def test_every_server_refusing_means_rasa_is_unavailable() -> None:
    farm = Farm()
    client = RasaClient(farm.servers[0], 5.0, servers=farm.servers)
    async with farm.running(refusing=("a", "b", "c")):
        try:
            with pytest.raises(RasaUnavailable, match="ClientConnectorError"):
                await client.send("tg:1", "xin chào", "telegram")
        finally:
            await client.aclose()


async def test_readiness_names_the_server_that_is_down() -> None:
    farm = Farm()
    client = RasaClient(farm.servers[0], 5.0, servers=farm.servers)
    async with farm.running(refusing=("b",)):
        try:
            problem = await client.problem()
        finally:
            await client.aclose()
    assert problem is not None and farm.urls["b"] in problem and farm.urls["a"] not in problem


async def test_one_server_is_the_old_behaviour() -> None:
    farm = Farm()
    client = RasaClient(farm.urls["a"], 5.0)
    async with farm.running():
        try:
            await client.send("tg:1", "xin chào", "telegram")
            assert await client.problem() is None
        finally:
            await client.aclose()
    assert client.servers == [farm.urls["a"]]
    assert farm.reached == ["a", "a"]


def test_settings_read_the_server_list_and_the_telegram_rate() -> None:
    settings = from_environment({"CAUNOI_RASA_URLS": "http://r1:5005/, http://r2:5005",
                                 "CAUNOI_TELEGRAM_MESSAGES_PER_SECOND": "120"})
    assert settings.rasa_urls == ("http://r1:5005", "http://r2:5005")
    assert settings.telegram_messages_per_second == 120.0
    defaults = from_environment({})
    assert defaults.rasa_urls == ()
    assert defaults.telegram_messages_per_second == 30.0


@pytest.mark.parametrize(("name", "value", "says"), [
    ("CAUNOI_RASA_URLS", "http://r1:5005,http://r1:5005", "twice"),
    ("CAUNOI_RASA_URLS", "http://r1:5005,r2:5005", "http(s) URL"),
    ("CAUNOI_TELEGRAM_MESSAGES_PER_SECOND", "0", "positive"),
    ("CAUNOI_TELEGRAM_MESSAGES_PER_SECOND", "many", "number"),
])
def test_bad_values_stop_the_process_with_the_reason(name: str, value: str, says: str) -> None:
    with pytest.raises(SettingsError, match=name) as error:
        from_environment({name: value})
    assert says in str(error.value)


def test_both_settings_are_listed_in_env_example() -> None:
    listed = set(re.findall(r"^([A-Z_]+)=", (PROJECT_ROOT / ".env.example").read_text(encoding="utf-8"), re.M))
    assert {"CAUNOI_RASA_URLS", "CAUNOI_TELEGRAM_MESSAGES_PER_SECOND"} <= listed
