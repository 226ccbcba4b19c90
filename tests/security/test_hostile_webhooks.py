"""Issue #8, hostile input on the webhooks: each bad request gets its 4xx (a replay: 200 and ignored, as the
platforms need), and Redis, Rasa and the Bot API see nothing of it."""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from harness.botapi import FakeBotAPI, text_update
from harness.rasa import FakeRasa
from tests.channels.harness import WEBHOOK_SECRET, ZALO_APP_ID, Running
from tests.channels.test_zalo import event, signed
from tests.security.state import changed, snapshot

JSON = {"content-type": "application/json"}
SECRET = {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}
VALID = json.dumps(text_update(5150, "cứu tôi")).encode()
BIG = 2 * 1024 * 1024  # past the default CAUNOI_MAX_WEBHOOK_BYTES (1 MB)


async def chunks(total: int, size: int = 64 * 1024) -> AsyncIterator[bytes]:
    """A body sent chunked, with no Content-Length to refuse it by."""
    for _ in range(total // size):
        yield b" " * size


TELEGRAM_CASES: list[tuple[str, dict[str, str], Any, int]] = [
    ("malformed JSON", {**SECRET, **JSON}, b'{"update_id": 1, "message": {', 400),
    ("JSON array", {**SECRET, **JSON}, b"[1, 2, 3]", 400),
    ("JSON string", {**SECRET, **JSON}, b'"update"', 400),
    ("JSON number", {**SECRET, **JSON}, b"12345", 400),
    ("JSON null", {**SECRET, **JSON}, b"null", 400),
    ("empty body", {**SECRET, **JSON}, b"", 400),
    ("not UTF-8", {**SECRET, **JSON}, b'{"text": "\xff\xfe"}', 400),
    ("text/plain", {**SECRET, "content-type": "text/plain"}, VALID, 415),
    ("form", {**SECRET, "content-type": "application/x-www-form-urlencoded"}, b"update_id=1", 415),
    ("no content type", SECRET, VALID, 415),
    ("huge, declared", {**SECRET, **JSON}, b" " * BIG, 413),
    ("no secret", JSON, VALID, 403),
    ("empty secret", {"X-Telegram-Bot-Api-Secret-Token": "", **JSON}, VALID, 403),
    ("wrong secret", {"X-Telegram-Bot-Api-Secret-Token": "test-secret_0124", **JSON}, VALID, 403),
    ("secret in other case", {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET.upper(), **JSON}, VALID, 403),
    ("secret prefix", {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET[:-1], **JSON}, VALID, 403),
    ("very long secret", {"X-Telegram-Bot-Api-Secret-Token": "a" * 8000, **JSON}, VALID, 403),
    ("forged and huge", JSON, b" " * BIG, 413),
]


@pytest.mark.parametrize(("headers", "body", "status"), [case[1:] for case in TELEGRAM_CASES],
                         ids=[case[0] for case in TELEGRAM_CASES])
async def test_a_bad_telegram_request_is_refused_and_stores_nothing(
        running: Running, rasa: FakeRasa, bot_api: FakeBotAPI, redis_url: str,
        headers: dict[str, str], body: bytes, status: int) -> None:
    before = await snapshot(redis_url)
    response = await running.http.post("/webhooks/telegram", content=body, headers=headers)
    await running.settle()
    assert response.status_code == status, response.text
    assert isinstance(response.json()["error"], str) and response.json()["error"]
    assert changed(before, await snapshot(redis_url)) == []
    assert rasa.received == [] and bot_api.called("sendMessage") == []


@pytest.mark.parametrize("path", ["/webhooks/telegram", "/webhooks/zalo", "/webhooks/web"])
async def test_a_huge_chunked_body_with_no_length_is_413(running: Running, redis_url: str, path: str) -> None:
    before = await snapshot(redis_url)
    response = await running.http.post(path, content=chunks(BIG), headers={**SECRET, **JSON})
    assert response.status_code == 413
    assert changed(before, await snapshot(redis_url)) == []


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH"])
@pytest.mark.parametrize("path", ["/webhooks/telegram", "/webhooks/zalo", "/webhooks/web"])
async def test_webhooks_take_only_post(running: Running, redis_url: str, method: str, path: str) -> None:
    before = await snapshot(redis_url)
    response = await running.http.request(method, path, content=VALID, headers={**SECRET, **JSON})
    assert response.status_code == 405
    assert changed(before, await snapshot(redis_url)) == []


async def test_a_replayed_telegram_update_is_acknowledged_and_ignored(running: Running, rasa: FakeRasa) -> None:
    update = text_update(5151, "lần một")
    first = await running.telegram(update)
    await running.settle()
    replay = await running.telegram(update)
    await running.settle()
    assert (first.status_code, replay.status_code) == (200, 200)  # an error would make Telegram redeliver for hours
    assert [body["message"] for body in rasa.received] == ["lần một"]


def zalo_text(text: str = "xin chào", msg_id: str = "hostile-1") -> dict[str, Any]:
    return event("user_send_text", text=text, msg_id=msg_id)


def mac(body: bytes, timestamp: str, secret: str, app_id: str = ZALO_APP_ID) -> str:
    return "mac=" + hashlib.sha256(app_id.encode() + body + timestamp.encode() + secret.encode()).hexdigest()


def zalo_cases() -> list[tuple[str, bytes, str | None, int]]:
    data = zalo_text()
    body, good = signed(data)
    stamp = str(data["timestamp"])
    no_stamp = {k: v for k, v in data.items() if k != "timestamp"}
    no_stamp_body = json.dumps(no_stamp).encode()
    tampered = body.replace(b"xin ch", b"XIN CH")
    return [
        ("no signature", body, None, 403),
        ("empty signature", body, "", 403),
        ("garbage signature", body, "mac=zzzz", 403),
        ("signed with another secret", body, mac(body, stamp, "not-the-oa-secret"), 403),
        ("signed for another app", body, mac(body, stamp, "fake-oa-secret-key", app_id="9999"), 403),
        ("body changed after signing", tampered, good, 403),
        ("no timestamp", no_stamp_body, mac(no_stamp_body, "", "fake-oa-secret-key"), 403),
        ("malformed JSON", b'{"event_name": "user_send_text", ', good, 403),
        ("JSON array", b"[]", mac(b"[]", "", "fake-oa-secret-key"), 403),
        ("not UTF-8", b"\xff\xfe\xfd", good, 403),
        ("huge", b" " * BIG, good, 413),
    ]


@pytest.mark.parametrize(("body", "signature", "status"), [case[1:] for case in zalo_cases()],
                         ids=[case[0] for case in zalo_cases()])
async def test_a_bad_zalo_request_is_refused_and_stores_nothing(
        running: Running, rasa: FakeRasa, redis_url: str, body: bytes, signature: str | None, status: int) -> None:
    before = await snapshot(redis_url)
    response = await running.zalo(body, signature)
    await running.settle()
    assert response.status_code == status, response.text
    assert changed(before, await snapshot(redis_url)) == []
    assert rasa.received == []


async def test_a_replayed_zalo_event_is_acknowledged_and_ignored(running: Running, rasa: FakeRasa) -> None:
    body, signature = signed(zalo_text("chỉ một lần", "replayed-1"))
    assert (await running.zalo(body, signature)).status_code == 200
    await running.settle()
    assert (await running.zalo(body, signature)).status_code == 200
    await running.settle()
    assert [body["message"] for body in rasa.received] == ["chỉ một lần"]


WEB_CASES: list[tuple[str, Any, int]] = [
    ("id null", {"conversation_id": None, "text": "hi"}, 400),  # leaving it out starts a conversation
    ("id a number", {"conversation_id": 12345678, "text": "hi"}, 400),
    ("id of another channel", {"conversation_id": "tg:12345", "text": "hi"}, 400),
    ("path in the id", {"conversation_id": "web:../../etc/passwd", "text": "hi"}, 400),
    ("script in the id", {"conversation_id": "web:<script>alert(1)</script>", "text": "hi"}, 400),
    ("very long id", {"conversation_id": "web:" + "a" * 5000, "text": "hi"}, 400),
    ("text not a string", {"conversation_id": "web:abcdefgh12", "text": ["hi"]}, 400),
    ("text too long", {"conversation_id": "web:abcdefgh12", "text": "a" * 10_001}, 413),
    ("button not a string", {"conversation_id": "web:abcdefgh12", "button": {"x": 1}}, 400),
    ("location out of range", {"conversation_id": "web:abcdefgh12", "location": {"latitude": 91, "longitude": 0}},
     400),
    ("location not numbers", {"conversation_id": "web:abcdefgh12", "location": {"latitude": "1", "longitude": "2"}},
     400),
]


@pytest.mark.parametrize(("body", "status"), [case[1:] for case in WEB_CASES], ids=[case[0] for case in WEB_CASES])
async def test_a_bad_web_channel_request_is_refused_and_stores_nothing(
        running: Running, rasa: FakeRasa, redis_url: str, body: Any, status: int) -> None:
    before = await snapshot(redis_url)
    response = await running.http.post("/webhooks/web", json=body)
    assert response.status_code == status, response.text
    assert changed(before, await snapshot(redis_url)) == []
    assert rasa.received == []


async def test_the_snapshot_does_see_what_a_good_request_stores(running: Running, redis_url: str) -> None:
    before = await snapshot(redis_url)
    assert (await running.telegram(text_update(5152, "xin chào"))).status_code == 200
    await running.settle()
    assert changed(before, await snapshot(redis_url)) != []  # the checks above could fail
