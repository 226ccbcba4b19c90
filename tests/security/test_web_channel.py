"""Issue #24, item 1: the local web channel was open to anyone. A burst of 60 posts put 60 invented high-risk cases
at the top of the operators' queue, a page on another site could post with a CORS-simple content type, and anyone
knowing a conversation id could take the replies waiting for it. Now it is off unless set, answers only this
machine, limits each address, takes only `application/json` and serves a conversation only with its token."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator

import httpx
import pytest

from bot.channels.web import NEW_CONVERSATIONS, TOKEN_TTL_SECONDS, WebSender
from bot.gateway.parts import GatewayOptions
from bot.messages import Outbound
from bot.settings import Settings
from bot.state import keys
from harness.app import gateway_app, over_asgi
from harness.rasa import FakeRasa
from tests.channels.harness import Running, WebChat
from tests.conftest import make_settings
from tests.security.state import changed, snapshot

DANGER = "cứu tôi, họ giữ hộ chiếu của tôi ở Campuchia"


async def test_a_burst_of_new_conversations_is_cut_off_after_a_few(running: Running, rasa: FakeRasa) -> None:
    # Rasa down: every conversation that gets through is queued for a human, as the attack's 60 were.
    rasa.down = True

    async def attack() -> httpx.Response:
        return await running.http.post("/webhooks/web", json={"text": DANGER})

    answers = await asyncio.gather(*(attack() for _ in range(60)))
    statuses = [answer.status_code for answer in answers]
    assert statuses.count(200) == NEW_CONVERSATIONS.burst and statuses.count(429) == 60 - NEW_CONVERSATIONS.burst
    refused = next(answer for answer in answers if answer.status_code == 429)
    assert int(refused.headers["retry-after"]) >= 1 and "too many requests" in refused.json()["error"]
    await running.settle()
    assert await running.redis.zcard(keys.QUEUE) == NEW_CONVERSATIONS.burst


async def test_messages_of_one_conversation_are_limited_too(running: Running) -> None:
    chat = running.web_chat()
    statuses = [(await chat.say(text=f"tin {number}")).status_code for number in range(15)]
    assert statuses[:10] == [200] * 10 and 429 in statuses[10:]


@pytest.mark.parametrize("content_type", ["text/plain; application/json", "text/plain", "application/json-patch",
                                          "application/x-www-form-urlencoded; a=application/json",
                                          "application/json; charset=latin-1"])
async def test_a_cross_site_content_type_is_415_and_nothing_happens(running: Running, rasa: FakeRasa, redis_url: str,
                                                                    content_type: str) -> None:
    before = await snapshot(redis_url)
    response = await running.http.post("/webhooks/web", content=b'{"text": "' + DANGER.encode() + b'"}',
                                       headers={"content-type": content_type})
    await running.settle()
    assert response.status_code == 415 and "application/json" in response.json()["error"]
    assert changed(before, await snapshot(redis_url)) == [] and rasa.received == []


async def test_json_with_a_charset_is_still_json(running: Running) -> None:
    response = await running.http.post("/webhooks/web", content=b'{"text": "xin chao"}',
                                       headers={"content-type": "Application/JSON; charset=UTF-8"})
    assert response.status_code == 200


async def test_waiting_replies_go_only_to_the_conversations_token(running: Running, redis_url: str) -> None:
    owner = running.web_chat()
    assert (await owner.say(text="xin chào")).status_code == 200
    assert owner.id is not None
    await WebSender(running.redis).send(owner.id, Outbound("Một nhân viên đã vào cuộc trò chuyện"))
    before = await snapshot(redis_url)
    outbox = f"/webhooks/web/{owner.id}/messages"
    stranger = WebChat(running.http, owner.id, "x" * 43)
    assert (await running.http.get(outbox)).status_code == 401
    assert (await stranger.fetch()).status_code == 403
    assert (await running.http.get(outbox, headers={"Authorization": f"Basic {owner.token}"})).status_code == 401
    assert changed(before, await snapshot(redis_url)) == []  # nothing taken
    [reply] = (await owner.fetch()).json()["messages"]
    assert reply["text"] == "Một nhân viên đã vào cuộc trò chuyện"


async def test_a_conversation_takes_messages_only_with_its_token(running: Running, rasa: FakeRasa,
                                                                 redis_url: str) -> None:
    owner = running.web_chat()
    await owner.say(text="xin chào")
    await running.settle()
    before, said = await snapshot(redis_url), len(rasa.received)
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Bearer "}):
        response = await running.http.post("/webhooks/web", json={"conversation_id": owner.id, "text": DANGER},
                                           headers=headers)
        assert response.status_code in (401, 403)
    invented = await running.http.post("/webhooks/web", json={"conversation_id": "web:chosen-by-me", "text": DANGER},
                                       headers={"Authorization": f"Bearer {owner.token}"})
    assert invented.status_code == 403
    await running.settle()
    assert changed(before, await snapshot(redis_url)) == [] and len(rasa.received) == said


async def test_the_token_is_kept_hashed_for_a_day(running: Running, redis_url: str) -> None:
    chat = running.web_chat()
    await chat.say(text="xin chào")
    assert chat.id is not None
    key = keys.web_token(chat.id)
    assert await running.redis.get(key) == hashlib.sha256(chat.token.encode()).hexdigest()
    assert 0 < await running.redis.ttl(key) <= TOKEN_TTL_SECONDS
    assert not any(chat.token.encode() in (value or b"") for value in (await snapshot(redis_url)).values())
    await running.redis.expire(key, 100)
    assert (await WebChat(running.http, chat.id, "x" * 43).fetch()).status_code == 403
    assert await running.redis.ttl(key) <= 100  # a wrong guess does not keep it alive
    assert (await chat.fetch()).status_code == 200
    assert await running.redis.ttl(key) > 100  # its owner's use does


@pytest.fixture
async def default_app(redis_url: str, rasa: FakeRasa, options: GatewayOptions) -> AsyncIterator[httpx.AsyncClient]:
    settings = make_settings(REDIS_URL=redis_url)  # CAUNOI_WEB_CHANNEL unset, as in production
    async with over_asgi(gateway_app(settings, rasa, options)) as app:
        yield app.client()


async def test_the_channel_is_off_unless_a_setting_turns_it_on(default_app: httpx.AsyncClient, rasa: FakeRasa,
                                                               redis_url: str) -> None:
    before = await snapshot(redis_url)
    post = await default_app.post("/webhooks/web", json={"text": DANGER})
    fetch = await default_app.get("/webhooks/web/web:abcdefgh12345/messages")
    assert (post.status_code, fetch.status_code) == (404, 404)
    assert "off" in post.json()["error"]
    assert changed(before, await snapshot(redis_url)) == [] and rasa.received == []


def test_the_setting_defaults_to_off() -> None:
    assert make_settings().web_channel is False
    assert make_settings(CAUNOI_WEB_CHANNEL="true").web_channel is True


@pytest.mark.parametrize(("client", "headers"), [
    (("203.0.113.7", 40000), {}),  # straight from the internet
    (("192.168.1.20", 40000), {}),  # the local network
    (("127.0.0.1", 40000), {"X-Forwarded-For": "203.0.113.7"}),  # through a reverse proxy on this machine
    (("127.0.0.1", 40000), {"Forwarded": "for=203.0.113.7"}),
    (("::1", 40000), {"X-Real-IP": "203.0.113.7"}),
])
async def test_even_on_it_answers_only_this_machine(channel_settings: Settings, rasa: FakeRasa,
                                                    options: GatewayOptions, redis_url: str,
                                                    client: tuple[str, int], headers: dict[str, str]) -> None:
    async with over_asgi(gateway_app(channel_settings, rasa, options)) as app:
        http = app.client(peer=client)
        before = await snapshot(redis_url)
        post = await http.post("/webhooks/web", json={"text": DANGER}, headers=headers)
        fetch = await http.get("/webhooks/web/web:abcdefgh12345/messages", headers=headers)
        assert (post.status_code, fetch.status_code) == (403, 403)
        assert "only on this machine" in post.json()["error"]
        assert changed(before, await snapshot(redis_url)) == [] and rasa.received == []


async def test_loopback_over_ipv6_is_this_machine(channel_settings: Settings, rasa: FakeRasa,
                                                  options: GatewayOptions, redis_url: str) -> None:
    async with over_asgi(gateway_app(channel_settings, rasa, options)) as app:
        assert (await app.client(peer=("::1", 40000)).post("/webhooks/web", json={"text": "xin chào"})).status_code \
            == 200
