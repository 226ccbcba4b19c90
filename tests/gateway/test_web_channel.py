"""The local web channel end to end through the gateway app, with a real Redis and a fake Rasa."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import httpx
import pytest
import redis.asyncio

from bot.console.audit import AuditLog
from bot.settings import Settings
from harness.app import gateway_app, over_asgi
from harness.rasa import FakeRasa
from tests.channels.harness import WebChat
from tests.conftest import make_settings

CONVERSATION = "web:abcdefgh12345"  # in Rasa's replies only: the gateway answers the conversation it was asked for


@pytest.fixture
def backends() -> FakeRasa:
    return FakeRasa()


@pytest.fixture
def settings(redis_url: str) -> Settings:
    return make_settings(REDIS_URL=redis_url, CAUNOI_WEB_CHANNEL="true")


@pytest.fixture
async def client(settings: Settings, backends: FakeRasa) -> AsyncIterator[httpx.AsyncClient]:
    async with over_asgi(gateway_app(settings, backends)) as app:
        yield app.client()


@pytest.fixture
def chat(client: httpx.AsyncClient) -> WebChat:
    return WebChat(client)


async def test_message_goes_to_rasa_and_replies_come_back_in_order(chat: WebChat, backends: FakeRasa) -> None:
    backends.replies = [
        {"recipient_id": CONVERSATION, "text": "Chào bạn"},
        {"recipient_id": CONVERSATION, "text": "Bạn cần gì?",
         "buttons": [{"title": "Tìm nơi hỗ trợ", "payload": "/find_service"}]},
        {"recipient_id": CONVERSATION, "text": "Hoặc gọi 111."},
    ]
    response = await chat.say(text="xin chào")
    assert response.status_code == 200
    assert response.json()["messages"] == [  # texts in a row are one message; buttons close it
        {"text": "Chào bạn\n\nBạn cần gì?", "buttons": [{"title": "Tìm nơi hỗ trợ", "payload": "/find_service"}],
         "request_location": False},
        {"text": "Hoặc gọi 111.", "buttons": [], "request_location": False},
    ]
    assert backends.received == [{"sender": chat.id, "message": "xin chào", "input_channel": "web",
                                  "metadata": {"channel": "web"}}]  # the contract: metadata names the channel


async def test_typed_slash_never_forces_an_intent(chat: WebChat, backends: FakeRasa) -> None:
    await chat.say(text=" / /report_danger{}")
    assert backends.received[0]["message"] == "report_danger{}"


async def test_rasa_down_gives_the_emergency_numbers(chat: WebChat, backends: FakeRasa) -> None:
    backends.down = True
    response = await chat.say(text="cứu tôi")
    text = response.json()["messages"][0]["text"]
    assert response.status_code == 200
    assert "111" in text and "113" in text and "+84 981 84 84 84" in text


async def test_empty_message_gets_a_gentle_answer_without_calling_rasa(chat: WebChat,
                                                                      backends: FakeRasa) -> None:
    response = await chat.say(text=" \u0000\n ")
    assert "chưa đọc được" in response.json()["messages"][0]["text"]
    assert backends.received == []


@pytest.mark.parametrize(
    ("body", "headers", "status", "reason"),
    [
        (b"{not json", {"content-type": "application/json"}, 400, "not valid UTF-8 JSON"),
        (b"\xff\xfe", {"content-type": "application/json"}, 400, "not valid UTF-8 JSON"),
        (b"[1, 2]", {"content-type": "application/json"}, 400, "must be a JSON object"),
        (b"text=hi", {"content-type": "application/x-www-form-urlencoded"}, 415, "application/json"),
        (b'{"text": "hi"}', {"content-type": "text/plain; application/json"}, 415, "application/json"),
        (b'{"conversation_id": "tg:1", "text": "hi"}', {"content-type": "application/json"}, 400, "web:"),
        (b'{"conversation_id": "web:abcdefgh12345", "text": 5}', {"content-type": "application/json"}, 400,
         "text must be a string"),
        (b'{"conversation_id": "web:abcdefgh12345", "text": "' + b"a" * 10_001 + b'"}',
         {"content-type": "application/json"}, 413, "longer than"),
        (b'{"x": "' + b"a" * 70_000 + b'"}', {"content-type": "application/json"}, 413, "larger than"),
    ],
)
async def test_bad_requests_get_a_reason_and_store_nothing(client: httpx.AsyncClient, backends: FakeRasa,
                                                           redis_client: object, body: bytes,
                                                           headers: dict[str, str], status: int, reason: str) -> None:
    response = await client.post("/webhooks/web", content=body, headers=headers)
    assert response.status_code == status
    assert reason in response.json()["error"]
    assert backends.received == []
    assert await redis_client.keys("*") == []  # type: ignore[attr-defined]


async def test_replies_wait_in_redis_until_collected(chat: WebChat, redis_client: object) -> None:
    from bot.channels.web import WebSender
    from bot.messages import Outbound

    await chat.say(text="xin chào")
    assert chat.id is not None
    sender = WebSender(redis_client)  # type: ignore[arg-type]
    await sender.send(chat.id, Outbound("Một nhân viên đã vào cuộc trò chuyện"))
    first = await chat.fetch()
    second = await chat.fetch()
    assert [m["text"] for m in first.json()["messages"]] == ["Một nhân viên đã vào cuộc trò chuyện"]
    assert second.json()["messages"] == []


async def test_a_button_press_sends_the_payload_it_was_shown(chat: WebChat, backends: FakeRasa) -> None:
    payload = '/find_service{"service_type": "shelter"}'
    backends.replies = [{"recipient_id": CONVERSATION, "text": "Bạn cần gì?",
                         "buttons": [{"title": "Nơi ở an toàn", "payload": payload}]}]
    await chat.say(text="giúp tôi")
    await chat.say(button=payload)
    assert [body["message"] for body in backends.received] == ["giúp tôi", payload]


async def test_a_button_never_shown_is_a_gentle_no_op(chat: WebChat, backends: FakeRasa) -> None:
    response = await chat.say(button="/report_danger")
    assert backends.received == []
    assert "Nút này đã cũ" in response.json()["messages"][0]["text"]


async def test_a_repeated_message_id_is_answered_once(chat: WebChat, backends: FakeRasa) -> None:
    first = await chat.say(text="xin chào", message_id="m-1")
    second = await chat.say(text="xin chào", message_id="m-1")
    assert len(backends.received) == 1
    assert len(first.json()["messages"]) == 1 and second.json()["duplicate"] is True


async def test_a_location_request_comes_with_a_hint(chat: WebChat, backends: FakeRasa) -> None:
    backends.replies = [{"recipient_id": CONVERSATION, "text": "Bạn ở đâu?"},
                        {"recipient_id": CONVERSATION, "custom": {"request_location": True}}]
    response = await chat.say(text="tìm nơi ở")
    [message] = response.json()["messages"]
    assert message["request_location"] is True and "tên tỉnh" in message["hint"]


async def test_a_shared_location_reaches_rasa_as_inform_location_with_its_point(chat: WebChat,
                                                                                backends: FakeRasa) -> None:
    assert (await chat.say(location={"latitude": 21.03, "longitude": 105.85})).status_code == 200
    assert backends.received[-1]["message"] == "/inform_location"
    assert backends.received[-1]["metadata"]["location"] == {"latitude": 21.03, "longitude": 105.85}


async def test_a_broken_location_is_refused_with_a_reason(chat: WebChat, backends: FakeRasa) -> None:
    for point in ({"latitude": 91, "longitude": 0}, {"latitude": "21"}, [21.0, 105.8], {"latitude": True,
                                                                                          "longitude": 1}):
        response = await chat.say(location=point)
        assert response.status_code == 400 and "location must be" in response.json()["error"]
    assert backends.received == []


def test_chat_reads_vitri_as_a_location() -> None:
    from bot.cli.chat import shared_point

    assert shared_point("/vitri 21.03 105.85") == (21.03, 105.85)
    assert shared_point("/vitri 21.03, 105.85") == (21.03, 105.85)
    assert shared_point("tôi ở /vitri") is None and shared_point("/vitri abc def") is None


async def test_a_waiting_person_can_withdraw_unless_the_same_message_shows_danger(
        chat: WebChat, backends: FakeRasa, redis_client: redis.asyncio.Redis) -> None:
    from bot.state.queue import Case, HandoffQueue

    await chat.say(text="xin chào")
    assert chat.id is not None
    backends.received.clear()
    queue = HandoffQueue(redis_client)
    await queue.enqueue(Case(chat.id, "web", "medium"))
    danger = await chat.say(text="không cần nữa, họ vẫn giữ hộ chiếu của tôi")
    assert await queue.mode(chat.id) == "waiting"
    assert "113" in danger.json()["messages"][0]["text"]  # the emergency numbers, not a withdrawal
    response = await chat.say(text="thoi khong can nua")
    assert await queue.mode(chat.id) == "bot" and await queue.place(chat.id) is None
    assert "rút bạn khỏi hàng chờ" in response.json()["messages"][0]["text"]
    assert backends.received == []  # neither message went to the bot
    # The operators' audit log says the person left the queue (the queue's own step, whichever process saw it).
    trail = [entry async for entry in AuditLog(redis_client, time.time).export()]
    assert [(e["actor"], e["action"], e["conversation"]) for e in trail] == [("person", "withdraw", chat.id)]
