"""Issue #24, item 6: every JSON route takes `application/json` only (a CORS-simple type such as
`text/plain; application/json` let any site make its visitors' browsers try logins and lock operator accounts),
and deeply nested JSON is a 400 with a reason on every webhook and the console (it was an unhandled 500)."""

from __future__ import annotations

import json

import pytest

from bot.console.operators import OperatorStore
from bot.json_body import MAX_DEPTH, is_json
from harness.botapi import FakeBotAPI
from harness.rasa import FakeRasa
from tests.channels.harness import WEBHOOK_SECRET, Running
from tests.channels.test_zalo import now_ms, signed
from tests.console.harness import CHEAP_HASHER
from tests.security.state import changed, snapshot

PASSWORD = "mat-khau-rat-dai-123"
CROSS_SITE = "text/plain; application/json"  # what a form or fetch() on another site may send without asking
# Far past Python's recursion limit, still well under every body limit (the console's is 16 KB).
DEEP = b'{"a": ' + b"[" * 5000 + b"]" * 5000 + b"}"
# Under the recursion limit, over MAX_DEPTH: refused by the depth check, not by luck.
NESTED = json.dumps({"a": json.loads("[" * (MAX_DEPTH + 5) + "]" * (MAX_DEPTH + 5))}).encode()


@pytest.mark.parametrize(("content_type", "taken"), [
    ("application/json", True), ("application/json; charset=utf-8", True), ("APPLICATION/JSON ; charset=UTF-8", True),
    ("application/json;charset=\"utf-8\"", True),
    (CROSS_SITE, False), ("text/plain", False), ("", False), ("application/jsonp", False),
    ("multipart/form-data; boundary=application/json", False), ("application/json; charset=utf-16", False),
])
def test_only_json_is_json(content_type: str, taken: bool) -> None:
    assert is_json(content_type) is taken


async def test_login_with_a_cross_site_content_type_is_415_and_locks_nobody(running: Running,
                                                                           redis_url: str) -> None:
    operators = OperatorStore(running.redis, running.gateway.settings.secret_key, CHEAP_HASHER)
    await operators.add("lan", "operator", PASSWORD)
    before = await snapshot(redis_url)
    for attempt in range(12):  # more than the lockout's 5 failures
        body = json.dumps({"username": "lan", "password": f"sai-{attempt}"}).encode()
        refused = await running.http.post("/api/login", content=body, headers={"content-type": CROSS_SITE})
        assert refused.status_code == 415 and "application/json" in refused.json()["error"]
    assert changed(before, await snapshot(redis_url)) == []  # no failure counted, no audit line
    login = await running.http.post("/api/login", json={"username": "lan", "password": PASSWORD})
    assert login.status_code == 200, login.text


@pytest.mark.parametrize("body", [DEEP, NESTED], ids=["past the recursion limit", "past MAX_DEPTH"])
async def test_nested_json_on_the_telegram_webhook_is_400(running: Running, rasa: FakeRasa, bot_api: FakeBotAPI,
                                                          redis_url: str, body: bytes) -> None:
    before = await snapshot(redis_url)
    response = await running.http.post("/webhooks/telegram", content=body,
                                       headers={"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET,
                                                "content-type": "application/json"})
    assert response.status_code == 400 and "nested" in response.json()["error"]
    assert changed(before, await snapshot(redis_url)) == [] and rasa.received == []


@pytest.mark.parametrize("body", [DEEP, NESTED], ids=["past the recursion limit", "past MAX_DEPTH"])
async def test_nested_json_on_the_web_channel_is_400(running: Running, rasa: FakeRasa, redis_url: str,
                                                     body: bytes) -> None:
    before = await snapshot(redis_url)
    response = await running.http.post("/webhooks/web", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 400 and "nested" in response.json()["error"]
    assert changed(before, await snapshot(redis_url)) == [] and rasa.received == []


@pytest.mark.parametrize("body", [DEEP, NESTED], ids=["past the recursion limit", "past MAX_DEPTH"])
async def test_nested_json_on_the_console_is_400(running: Running, redis_url: str, body: bytes) -> None:
    before = await snapshot(redis_url)
    response = await running.http.post("/api/login", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 400 and "nested" in response.json()["error"]
    assert changed(before, await snapshot(redis_url)) == []


async def test_nested_json_on_the_zalo_webhook_unsigned_is_403_signed_is_400(running: Running, rasa: FakeRasa,
                                                                             redis_url: str) -> None:
    before = await snapshot(redis_url)
    # Unsigned: refused on the signature, before anything parses the body (it was a 500 from json.loads).
    unsigned = await running.zalo(DEEP, "mac=" + "0" * 64)
    assert unsigned.status_code == 403 and unsigned.json() == {"error": "forbidden"}
    # Signed (only Zalo could send it): unreadable, and said so.
    data = {"app_id": "1", "event_name": "user_send_text", "timestamp": now_ms(),
            "deep": json.loads("[" * (MAX_DEPTH + 5) + "]" * (MAX_DEPTH + 5))}
    answer = await running.zalo(*signed(data))
    assert answer.status_code == 400 and "nested" in answer.json()["error"]
    assert changed(before, await snapshot(redis_url)) == [] and rasa.received == []
