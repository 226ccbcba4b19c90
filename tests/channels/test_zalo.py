"""Zalo OA end to end: signed webhook events (recorded payloads with fake ids) in, customer-service messages out."""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis.asyncio

from bot.channels.zalo import find_location, timestamp_problem
from bot.channels.zalo_auth import TokenUnavailable, ZaloTokens
from bot.gateway.parts import GatewayOptions
from bot.messages import Location, Outbound
from bot.settings import Secret, Settings
from bot.state import keys
from bot.state.sealed import Sealer, is_sealed, new_key
from harness.rasa import FakeRasa
from tests.channels.fakes import FakeZalo
from tests.channels.harness import ZALO_APP_ID, ZALO_OA_SECRET, Running, Sleeps, run_gateway

FIXTURES = Path(__file__).parent / "fixtures"
USER = "7770000000000000001"
CONVERSATION = f"zalo:{USER}"
SHELTER = '/find_service{"service_type": "shelter"}'


def now_ms(later_seconds: float = 0.0) -> str:
    return str(int((time.time() + later_seconds) * 1000))


def event(name: str, **changes: Any) -> dict[str, Any]:
    """A recorded event as Zalo would send it now (signed events older than two days are refused)."""
    data: dict[str, Any] = json.loads((FIXTURES / f"zalo_{name}.json").read_text(encoding="utf-8"))
    data["timestamp"] = now_ms()
    for key, value in changes.items():
        if key == "text":
            data["message"]["text"] = value
        elif key == "msg_id":
            data["message"]["msg_id"] = value
        else:
            data[key] = value
    return data


def signed(data: dict[str, Any]) -> tuple[bytes, str]:
    body = json.dumps(data, ensure_ascii=False).encode()
    mac = hashlib.sha256(ZALO_APP_ID.encode() + body + str(data["timestamp"]).encode() + ZALO_OA_SECRET.encode())
    return body, f"mac={mac.hexdigest()}"


async def deliver(running: Running, data: dict[str, Any]) -> httpx.Response:
    return await running.zalo(*signed(data))


async def test_text_goes_to_rasa_and_the_reply_to_the_cs_endpoint(running: Running, rasa: FakeRasa,
                                                                  zalo_api: FakeZalo) -> None:
    response = await deliver(running, event("user_send_text"))
    assert response.status_code == 200
    await running.settle()
    assert rasa.received == [{"sender": CONVERSATION, "message": "Chào bạn, mình muốn hỏi về việc làm ở nước ngoài",
                              "input_channel": "zalo", "metadata": {"channel": "zalo"}}]
    [sent] = zalo_api.sends
    assert sent.url == "http://zalo.test/v3.0/oa/message/cs"
    assert sent.headers["access_token"] == "fake-access-1"
    assert sent.headers["content-type"] == "application/json"
    assert sent.json == {"recipient": {"user_id": USER},
                         "message": {"text": "Đã nhận: Chào bạn, mình muốn hỏi về việc làm ở nước ngoài"}}


@pytest.mark.parametrize("tamper", ["body", "signature", "missing", "secret"])
async def test_forged_events_are_refused_and_store_nothing(running: Running, rasa: FakeRasa, zalo_api: FakeZalo,
                                                           tamper: str) -> None:
    data = event("user_send_text")
    body, signature = signed(data)
    if tamper == "body":
        body = body.replace(b"fake-msg-text-0001", b"fake-msg-text-0002")
    elif tamper == "signature":
        signature = "mac=" + "0" * 64
    elif tamper == "secret":
        mac = hashlib.sha256(ZALO_APP_ID.encode() + body + str(data["timestamp"]).encode() + b"wrong-secret")
        signature = f"mac={mac.hexdigest()}"
    response = await running.zalo(body, None if tamper == "missing" else signature)
    assert response.status_code == 403
    await running.settle()
    assert await running.redis.keys("*") == []
    assert rasa.received == [] and zalo_api.sends == []


@pytest.mark.parametrize(("age_hours", "status"), [(72, 403), (47.5, 403), (46, 200), (-0.05, 200)])
async def test_a_signed_event_is_refused_once_older_than_its_dedupe_memory(
        running: Running, rasa: FakeRasa, zalo_api: FakeZalo, age_hours: float, status: int) -> None:
    # The signature says who made an event, not when: a captured one sent again days later must not count.
    response = await deliver(running, event("user_send_text", timestamp=now_ms(-age_hours * 3600)))
    assert response.status_code == status
    await running.settle()
    if status == 403:
        assert response.json() == {"error": "event too old"}
        assert await running.redis.keys("*") == [] and rasa.received == []
    else:  # late by Zalo's retries, or from a clock a little ahead
        assert len(rasa.received) == 1


def test_a_timestamp_that_is_not_a_number_is_refused() -> None:
    for stamp in ("", "1.7e12", "²", "-1"):
        assert timestamp_problem(stamp, time.time(), 3600, 300) == "event timestamp is not a number"
    assert timestamp_problem(now_ms(), time.time(), 3600, 300) is None
    assert timestamp_problem(now_ms(-3601), time.time(), 3600, 300) == "event too old"
    assert timestamp_problem(now_ms(301), time.time(), 3600, 300) == "event timestamp is in the future"


async def test_redelivered_event_is_processed_once(running: Running, rasa: FakeRasa, zalo_api: FakeZalo) -> None:
    for _ in range(3):
        assert (await deliver(running, event("user_send_text"))).status_code == 200
    await running.settle()
    assert len(rasa.received) == 1 and len(zalo_api.sends) == 1


@pytest.mark.parametrize("fixture", ["user_send_location", "user_send_location_flat", "user_send_location_latlong",
                                     "user_send_location_string"])
async def test_locations_in_several_shapes(running: Running, rasa: FakeRasa, fixture: str) -> None:
    await deliver(running, event(fixture))
    await running.settle()
    assert rasa.received[0]["message"] == "/inform_location"
    assert rasa.received[0]["metadata"] == {"channel": "zalo",
                                            "location": {"latitude": 21.0285, "longitude": 105.8542}}


async def test_an_unreadable_location_asks_for_the_province(running: Running, rasa: FakeRasa,
                                                            zalo_api: FakeZalo) -> None:
    await deliver(running, event("user_send_location_broken"))
    await running.settle()
    assert rasa.received == []
    assert "tên tỉnh" in zalo_api.texts()[0]


@pytest.mark.parametrize(("node", "expected"), [
    ({"coordinates": {"latitude": "10.5", "longitude": "106.1"}}, Location(10.5, 106.1)),
    ([{"payload": {"lat": 10.5, "lng": 106.1}}], Location(10.5, 106.1)),
    ({"coordinates": {"latitude": "91", "longitude": "106.1"}}, None),
    ({"coordinates": {"latitude": "0", "longitude": "0"}}, None),
    ({"latitude": True}, None),
    ("10.5,106.1", None),
])
def test_find_location_is_lenient_but_checks_ranges(node: Any, expected: Location | None) -> None:
    assert find_location(node) == expected


async def test_an_image_that_cannot_be_fetched_asks_for_words(running: Running, rasa: FakeRasa,
                                                               zalo_api: FakeZalo) -> None:
    await deliver(running, event("user_send_image"))  # the CDN answers 404 (tests/channels/test_pictures.py reads)
    await running.settle()
    assert rasa.received == []
    assert "chưa đọc được chữ nào trong ảnh" in zalo_api.texts()[0]
    assert (await running.gateway.transcript.read(CONVERSATION))[0]["text"] == "[ảnh]"


async def test_follow_greets_and_unfollow_stops_every_message(running: Running, rasa: FakeRasa,
                                                              zalo_api: FakeZalo) -> None:
    await deliver(running, event("follow"))
    await running.settle()
    assert rasa.messages() == ["/greet"] and len(zalo_api.sends) == 1

    await deliver(running, event("unfollow"))
    await running.settle()
    delivered = await running.gateway.send(CONVERSATION, Outbound("Chào bạn, mình là nhân viên hỗ trợ."))
    assert delivered is False and len(zalo_api.sends) == 1
    last = (await running.gateway.transcript.read(CONVERSATION))[-1]
    assert (last["from"], last["undeliverable"], last["reason"]) == ("operator", True, "unfollowed")

    await deliver(running, event("follow", timestamp=now_ms(1)))  # following again, a moment later
    await running.settle()
    assert len(zalo_api.sends) == 2


async def test_with_numbers_buttons_become_numbers_and_a_number_sends_the_payload(
        channel_settings: Settings, options: GatewayOptions, redis_client: redis.asyncio.Redis, rasa: FakeRasa,
        zalo_api: FakeZalo) -> None:
    # CAUNOI_ZALO_CHOICES=numbers, the fallback (buttons: tests/channels/test_zalo_buttons.py).
    numbers = replace(channel_settings, zalo_choices="numbers")
    async with run_gateway(numbers, rasa, options, redis_client) as running:
        rasa.replies = lambda message: [{"recipient_id": message["sender"], "text": "Bạn cần gì?", "buttons": [
            {"title": "Nơi ở an toàn", "payload": SHELTER}, {"title": "Tư vấn pháp lý", "payload": "/find_service"}]}]
        await deliver(running, event("user_send_text"))
        await running.settle()
        text = zalo_api.texts()[0]
        assert "Bạn cần gì?\n\n1. Nơi ở an toàn\n2. Tư vấn pháp lý\n\n" in text and "trả lời bằng số" in text
        assert "attachment" not in zalo_api.sends[0].json["message"]  # type: ignore[index]

        rasa.replies = lambda message: []
        await deliver(running, event("user_send_text", text=" 1 ", msg_id="fake-msg-text-0002"))
        await deliver(running, event("user_send_text", text="2", msg_id="fake-msg-text-0003"))  # the offer is over
        await running.settle()
        assert rasa.messages()[1:] == [SHELTER, "2"]


async def test_xoa_asks_to_delete_the_data(running: Running, rasa: FakeRasa) -> None:
    await deliver(running, event("user_send_text", text="/xoa"))
    await running.settle()
    assert rasa.messages() == ["/delete_my_data"]


async def test_receipts_are_ignored(running: Running, rasa: FakeRasa) -> None:
    assert (await deliver(running, event("user_seen_message"))).status_code == 200
    await running.settle()
    assert rasa.received == [] and await running.redis.keys("*") == []


async def test_an_expired_token_is_refreshed_and_the_message_sent_again(running: Running,
                                                                        zalo_api: FakeZalo) -> None:
    zalo_api.valid_tokens = {"fake-access-2"}  # Zalo expired the first token early
    await deliver(running, event("user_send_text"))
    await running.settle()
    [refresh] = zalo_api.refreshes
    assert refresh.url == "http://oauth.zalo.test/v4/oa/access_token"
    assert refresh.headers["secret_key"] == "fake-app-secret"
    assert refresh.form == {"refresh_token": "fake-refresh-1", "app_id": ZALO_APP_ID, "grant_type": "refresh_token"}
    assert [s.headers["access_token"] for s in zalo_api.sends] == ["fake-access-1", "fake-access-2"]
    stored = await running.redis.hgetall(keys.ZALO_TOKENS)
    # Sealed at rest: reading Redis is not enough to write to people as the OA.
    assert is_sealed(stored["access_token"]) and is_sealed(stored["refresh_token"])
    assert "fake-access-2" not in json.dumps(stored) and "fake-refresh-2" not in json.dumps(stored)
    assert float(stored["expires_at"]) > 0
    assert await running.gateway.zalo_tokens.access_token() == "fake-access-2"  # type: ignore[union-attr]


async def test_a_pair_stored_before_sealing_still_works_and_is_sealed_at_its_refresh(
        redis_client: redis.asyncio.Redis, zalo_api: FakeZalo) -> None:
    await redis_client.hset(keys.ZALO_TOKENS, mapping={"access_token": "fake-access-1",
                                                       "refresh_token": "fake-refresh-1", "expires_at": "0"})
    async with httpx.AsyncClient(transport=zalo_api.transport()) as http:
        tokens = ZaloTokens(redis_client, http, "http://oauth.zalo.test", ZALO_APP_ID, Secret("fake-app-secret"),
                            Secret(""), Secret(""))
        assert await tokens.access_token() == "fake-access-1"
        assert await tokens.refresh("fake-access-1") == "fake-access-2"
    assert [refresh.form["refresh_token"] for refresh in zalo_api.refreshes] == ["fake-refresh-1"]
    stored = await redis_client.hgetall(keys.ZALO_TOKENS)
    assert is_sealed(stored["access_token"]) and is_sealed(stored["refresh_token"])


async def test_tokens_sealed_with_a_dropped_key_ask_for_a_new_pair(redis_client: redis.asyncio.Redis,
                                                                   zalo_api: FakeZalo) -> None:
    lost = Sealer([Secret(new_key())])
    await redis_client.hset(keys.ZALO_TOKENS, mapping={"access_token": lost.seal("fake-access-1"),
                                                       "refresh_token": lost.seal("fake-refresh-1")})
    async with httpx.AsyncClient(transport=zalo_api.transport()) as http:
        tokens = ZaloTokens(redis_client, http, "http://oauth.zalo.test", ZALO_APP_ID, Secret("fake-app-secret"),
                            Secret(""), Secret(""))
        with pytest.raises(TokenUnavailable) as raised:
            await tokens.access_token()
    assert raised.value.permanent and "set a new token pair" in raised.value.reason
    assert zalo_api.refreshes == []


async def test_two_workers_refreshing_at_once_make_one_call(redis_url: str, zalo_api: FakeZalo) -> None:
    zalo_api.refresh_delay = 0.1
    clients = [redis.asyncio.Redis.from_url(redis_url, decode_responses=True) for _ in range(2)]
    async with httpx.AsyncClient(transport=zalo_api.transport()) as http:
        workers = [ZaloTokens(client, http, "http://oauth.zalo.test", ZALO_APP_ID, Secret("fake-app-secret"),
                              Secret("fake-access-1"), Secret("fake-refresh-1")) for client in clients]
        assert await workers[0].access_token() == "fake-access-1"
        tokens = await asyncio.gather(*(worker.refresh("fake-access-1") for worker in workers))
    for client in clients:
        await client.close()
    assert tokens == ["fake-access-2", "fake-access-2"]
    assert len(zalo_api.refreshes) == 1


async def test_a_new_pair_in_the_environment_replaces_the_stored_one(redis_client: redis.asyncio.Redis,
                                                                     zalo_api: FakeZalo) -> None:
    async with httpx.AsyncClient(transport=zalo_api.transport()) as http:
        def tokens(access: str, refresh: str) -> ZaloTokens:
            return ZaloTokens(redis_client, http, "http://oauth.zalo.test", ZALO_APP_ID, Secret("fake-app-secret"),
                              Secret(access), Secret(refresh))
        assert await tokens("fake-access-1", "fake-refresh-1").access_token() == "fake-access-1"
        await tokens("fake-access-1", "fake-refresh-1").refresh("fake-access-1")
        # A restart with the same environment keeps the refreshed pair; a new pair from the deployer wins.
        assert await tokens("fake-access-1", "fake-refresh-1").access_token() == "fake-access-2"
        assert await tokens("fake-access-9", "fake-refresh-9").access_token() == "fake-access-9"


@pytest.mark.parametrize("code", [-230, -213, -305])
async def test_outside_the_reply_window_the_message_is_kept_for_the_operator(running: Running, zalo_api: FakeZalo,
                                                                            code: int) -> None:
    zalo_api.errors.append(code)
    await deliver(running, event("user_send_text"))
    await running.settle()
    assert len(zalo_api.sends) == 1  # no retries: Zalo will not deliver it
    [letter] = await running.gateway.dead_letters.read()
    assert letter["conversation_id"] == CONVERSATION and letter["channel"] == "zalo"
    assert letter["reason"].startswith(f"undeliverable: zalo {code}") and letter["text"].startswith("Đã nhận")
    last = (await running.gateway.transcript.read(CONVERSATION))[-1]
    assert last["undeliverable"] is True and last["from"] == "bot"


async def test_rate_limited_backs_off_then_delivers(running: Running, zalo_api: FakeZalo, sleeps: Sleeps) -> None:
    zalo_api.errors.extend([-32, -32])
    await deliver(running, event("user_send_text"))
    await running.settle()
    assert len(zalo_api.sends) == 3
    assert sum(1 for delay in sleeps.delays if delay >= 1.0) == 2  # -32 waits at least a second each time
    assert await running.gateway.dead_letters.read() == []


async def test_server_errors_end_in_the_dead_letters(running: Running, zalo_api: FakeZalo) -> None:
    zalo_api.statuses.extend([503, 503, 503])
    await deliver(running, event("user_send_text"))
    await running.settle()
    [letter] = await running.gateway.dead_letters.read()
    assert letter["reason"] == "zalo HTTP 503 (after 3 attempts)"
