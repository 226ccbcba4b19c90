"""Several Rasa servers (CAUNOI_RASA_URLS): each conversation sticks to one, chosen by rendezvous hashing."""

from __future__ import annotations

import re
from collections import Counter

import httpx
import pytest

from bot.gateway.rasa_client import RasaClient, RasaUnavailable, ranking
from bot.settings import PROJECT_ROOT, SettingsError, from_environment

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


def recording(fail: dict[str, type[Exception]] | None = None) -> tuple[httpx.MockTransport, list[str]]:
    hosts: list[str] = []

    def handle(request: httpx.Request) -> httpx.Response:
        hosts.append(request.url.host)
        error = (fail or {}).get(request.url.host)
        if error is not None:
            raise error("simulated", request=request)
        if request.url.path == "/status":
            return httpx.Response(200, json={})
        return httpx.Response(200, json=[{"recipient_id": "x", "text": f"from {request.url.host}"}])

    return httpx.MockTransport(handle), hosts


async def test_turns_of_a_conversation_go_to_its_server() -> None:
    transport, hosts = recording()
    client = RasaClient(SERVERS[0], 5.0, transport=transport, servers=SERVERS)
    try:
        for conversation in IDS[:30]:
            replies = await client.send(conversation, "xin chào", "telegram")
            expected = httpx.URL(ranking(conversation, SERVERS)[0]).host
            assert replies[0].text == f"from {expected}"
            assert hosts[-1] == expected
    finally:
        await client.aclose()


async def test_a_server_that_refuses_the_connection_is_skipped_for_the_next_in_the_ranking() -> None:
    conversation = "tg:42"
    first, second = (httpx.URL(url).host for url in ranking(conversation, SERVERS)[:2])
    transport, hosts = recording({first: httpx.ConnectError})
    client = RasaClient(SERVERS[0], 5.0, transport=transport, servers=SERVERS)
    try:
        replies = await client.send(conversation, "xin chào", "telegram")
    finally:
        await client.aclose()
    assert hosts == [first, second]
    assert replies[0].text == f"from {second}"


async def test_a_server_that_timed_out_is_not_asked_again_elsewhere() -> None:
    # It may still be running the turn: a second server would run it twice, at the same time.
    conversation = "tg:42"
    first = httpx.URL(ranking(conversation, SERVERS)[0]).host
    transport, hosts = recording({first: httpx.ReadTimeout})
    client = RasaClient(SERVERS[0], 5.0, transport=transport, servers=SERVERS)
    try:
        with pytest.raises(RasaUnavailable):
            await client.send(conversation, "xin chào", "telegram")
    finally:
        await client.aclose()
    assert hosts == [first]


async def test_every_server_refusing_means_rasa_is_unavailable() -> None:
    transport, _ = recording({httpx.URL(url).host: httpx.ConnectError for url in SERVERS})
    client = RasaClient(SERVERS[0], 5.0, transport=transport, servers=SERVERS)
    try:
        with pytest.raises(RasaUnavailable):
            await client.send("tg:1", "xin chào", "telegram")
    finally:
        await client.aclose()


async def test_readiness_names_the_server_that_is_down() -> None:
    transport, _ = recording({"rasa-b": httpx.ConnectError})
    client = RasaClient(SERVERS[0], 5.0, transport=transport, servers=SERVERS)
    try:
        problem = await client.problem()
    finally:
        await client.aclose()
    assert problem is not None and "rasa-b" in problem and "rasa-a" not in problem


async def test_one_server_is_the_old_behaviour() -> None:
    transport, hosts = recording()
    client = RasaClient("http://only:5005", 5.0, transport=transport)
    try:
        await client.send("tg:1", "xin chào", "telegram")
        assert await client.problem() is None
    finally:
        await client.aclose()
    assert client.servers == ["http://only:5005"]
    assert hosts == ["only", "only"]


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
