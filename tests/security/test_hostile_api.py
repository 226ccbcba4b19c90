"""Issue #8, hostile input on the operator API: no session, no or wrong CSRF, another operator's conversation,
markup and SQL in every text field, path tricks, wrong methods, bad bodies. Each gets its 4xx with a reason and
changes nothing (beyond what any request changes by design: the session's last use, presence, the audit line)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher

from bot.console.operators import OperatorStore
from bot.state.queue import Case
from tests.channels.harness import Running
from tests.security.state import VOLATILE, changed, snapshot

PASSWORD = "mat-khau-rat-dai-1"
HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
HELD = "tg:111"  # lan holds it
WAITING = "tg:222"  # in the queue
BASE = f"/api/conversations/{HELD}"
PAYLOADS = ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "'; DROP TABLE users; --",
            "\" OR 1=1 --", "{{7*7}}${7*7}", "../../../etc/passwd", "\u202egnp.exe", "caunoi:conv:tg:111:mode"]


@dataclass
class Operator:
    http: httpx.AsyncClient
    csrf: str

    def headers(self, csrf: str | None = "") -> dict[str, str]:
        value = self.csrf if csrf == "" else csrf
        return {"X-CSRF-Token": value} if value is not None else {}


async def login(running: Running, username: str, role: str = "operator") -> Operator:
    store = OperatorStore(running.gateway.redis, running.gateway.settings.secret_key, HASHER)
    await store.add(username, role, PASSWORD)
    http = httpx.AsyncClient(transport=running.http._transport, base_url="http://gateway")
    response = await http.post("/api/login", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return Operator(http, response.json()["csrf_token"])


@pytest.fixture
async def team(running: Running) -> AsyncIterator[tuple[Operator, Operator]]:
    lan, minh = await login(running, "lan"), await login(running, "minh")
    for cid in (HELD, WAITING):
        await running.gateway.transcript.append(cid, "person", "cứu tôi", "text")
        await running.gateway.queue.enqueue(Case(cid, "telegram", "high", ("held",), "tóm tắt"))
    assert (await lan.http.post(f"{BASE}/claim", headers=lan.headers())).status_code == 200
    yield lan, minh
    await lan.http.aclose()
    await minh.http.aclose()


MUTATIONS: list[tuple[str, dict[str, Any]]] = [
    (f"{BASE}/claim", {}), (f"{BASE}/messages", {"text": "chào em"}), (f"{BASE}/release", {}),
    (f"{BASE}/transfer", {"operator": "minh"}), (f"{BASE}/notes", {"text": "ghi chú"}),
    (f"{BASE}/close", {"outcome": "informed"}), (f"/api/conversations/{WAITING}/claim", {}),
    ("/api/campaigns", {"code": "truong-b", "name": "Trường B"}), ("/api/logout", {}),
]


async def assert_unchanged(redis_url: str, before: dict[bytes, bytes | None]) -> None:
    assert changed(before, await snapshot(redis_url, VOLATILE)) == []


@pytest.mark.parametrize(("path", "body"), MUTATIONS, ids=[m[0].rsplit("/", 1)[-1] for m in MUTATIONS])
async def test_without_a_session_nothing_is_done(running: Running, team: tuple[Operator, Operator],
                                                 redis_url: str, path: str, body: dict[str, Any]) -> None:
    lan, _ = team
    before = await snapshot(redis_url, VOLATILE)
    response = await running.http.post(path, json=body, headers=lan.headers())  # lan's CSRF, but no cookie
    assert response.status_code == 401 and "log in" in response.json()["error"]
    await assert_unchanged(redis_url, before)


@pytest.mark.parametrize("csrf", [None, "", "wrong", "x" * 5000], ids=["missing", "empty", "wrong", "huge"])
@pytest.mark.parametrize(("path", "body"), MUTATIONS, ids=[m[0].rsplit("/", 1)[-1] for m in MUTATIONS])
async def test_without_the_csrf_token_nothing_is_done(team: tuple[Operator, Operator], redis_url: str,
                                                      path: str, body: dict[str, Any], csrf: str | None) -> None:
    lan, _ = team
    before = await snapshot(redis_url, VOLATILE)
    headers = {} if csrf is None else {"X-CSRF-Token": csrf}
    response = await lan.http.post(path, json=body, headers=headers)
    assert response.status_code == 403 and "CSRF" in response.json()["error"]
    await assert_unchanged(redis_url, before)


async def test_another_sessions_csrf_token_does_not_count(team: tuple[Operator, Operator], redis_url: str) -> None:
    lan, minh = team
    before = await snapshot(redis_url, VOLATILE)
    response = await lan.http.post(f"{BASE}/messages", json={"text": "x"}, headers={"X-CSRF-Token": minh.csrf})
    assert response.status_code == 403
    await assert_unchanged(redis_url, before)


@pytest.mark.parametrize(("path", "body"), [
    (f"{BASE}/messages", {"text": "tôi trả lời thay"}), (f"{BASE}/release", {}),
    (f"{BASE}/transfer", {"operator": "minh"}), (f"{BASE}/close", {"outcome": "false_alarm"}),
    (f"{BASE}/claim", {}),
], ids=["reply", "release", "transfer", "close", "claim"])
async def test_another_operators_conversation_cannot_be_acted_on(team: tuple[Operator, Operator], redis_url: str,
                                                                 path: str, body: dict[str, Any]) -> None:
    _, minh = team
    before = await snapshot(redis_url, VOLATILE)
    response = await minh.http.post(path, json=body, headers=minh.headers())
    assert response.status_code == 409, response.text
    assert response.json()["error"]
    await assert_unchanged(redis_url, before)


@pytest.mark.parametrize("path", ["/api/stats", "/api/audit", "/api/campaigns"])
async def test_supervisor_routes_refuse_an_operator(team: tuple[Operator, Operator], path: str) -> None:
    _, minh = team
    assert (await minh.http.get(path)).status_code == 403
    assert (await minh.http.post(path, json={"code": "x"}, headers=minh.headers())).status_code in (403, 405)


# 405: a POST to a GET route (the id is not even looked at). Dot segments (`/../`) are not in the table: clients
# resolve them before sending, as httpx does; encoded ones (%2f, %2e) reach the server and are tested here.
PATHS = [
    ("/api/conversations/..%2f..%2fqueue", (400, 404, 405)),
    ("/api/conversations/..%2F..%2Foperators/claim", (400, 404, 405)),
    ("/api/conversations/tg:111%2f..%2f..%2fqueue", (400, 404, 405)),
    ("/api/conversations/tg:111%00", (400, 404, 405)),
    ("/api/conversations/tg:" + "1" * 5000, (400, 404, 405)),
    ("/api/conversations/zalo:%3Cscript%3E", (400, 404, 405)),
    ("/api/conversations/tg:1%20OR%201=1", (400, 404, 405)),
    ("/api/conversations/web:" + "a" * 65, (400, 404, 405)),
    ("/api/conversations/", (400, 404, 405)),
    ("/api/../bot/settings.py", (400, 404, 405)),
    ("/console/../bot/settings.py", (404, 405)),
    ("/console/%2e%2e/%2e%2e/bot/settings.py", (404, 405)),
    ("/console/..%2f..%2fbot%2fsettings.py", (404, 405)),
]


@pytest.mark.parametrize(("path", "statuses"), PATHS, ids=[p[0][:60] for p in PATHS])
async def test_path_tricks_find_nothing(team: tuple[Operator, Operator], redis_url: str, path: str,
                                        statuses: tuple[int, ...]) -> None:
    lan, _ = team
    before = await snapshot(redis_url, VOLATILE)
    for response in (await lan.http.get(path), await lan.http.post(path, json={}, headers=lan.headers())):
        assert response.status_code in statuses, (path, response.status_code, response.text[:200])
        assert b"SettingsError" not in response.content and b"import" not in response.content
    await assert_unchanged(redis_url, before)


async def test_an_encoded_colon_is_the_same_conversation(team: tuple[Operator, Operator]) -> None:
    lan, _ = team
    response = await lan.http.get("/api/conversations/tg%3A111")
    assert response.status_code == 200 and response.json()["id"] == HELD


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
@pytest.mark.parametrize("path", ["/api/queue", BASE, f"{BASE}/messages", "/api/login"])
async def test_wrong_methods_are_405(team: tuple[Operator, Operator], redis_url: str, path: str, method: str) -> None:
    lan, _ = team
    before = await snapshot(redis_url, VOLATILE)
    response = await lan.http.request(method, path, json={"text": "x"}, headers=lan.headers())
    assert response.status_code == 405
    await assert_unchanged(redis_url, before)


BODIES: list[tuple[str, dict[str, str], bytes, int]] = [
    ("not JSON", {"content-type": "application/json"}, b"text=hello", 400),
    ("JSON array", {"content-type": "application/json"}, b'["text"]', 400),
    ("not UTF-8", {"content-type": "application/json"}, b'{"text": "\xff"}', 400),
    ("text/plain", {"content-type": "text/plain"}, b'{"text": "hello"}', 415),
    ("form", {"content-type": "application/x-www-form-urlencoded"}, b"text=hello", 415),
    ("text a number", {"content-type": "application/json"}, b'{"text": 42}', 400),
    ("text a list", {"content-type": "application/json"}, b'{"text": ["a"]}', 400),
    ("text empty", {"content-type": "application/json"}, b'{"text": "   "}', 400),
    ("text too long", {"content-type": "application/json"}, json.dumps({"text": "a" * 4001}).encode(), 413),
    ("body too big", {"content-type": "application/json"}, json.dumps({"text": "a" * 200_000}).encode(), 413),
]


@pytest.mark.parametrize(("headers", "body", "status"), [b[1:] for b in BODIES], ids=[b[0] for b in BODIES])
async def test_a_bad_body_is_refused_with_a_reason(team: tuple[Operator, Operator], redis_url: str,
                                                   headers: dict[str, str], body: bytes, status: int) -> None:
    lan, _ = team
    before = await snapshot(redis_url, VOLATILE)
    response = await lan.http.post(f"{BASE}/messages", content=body, headers={**headers, **lan.headers()})
    assert response.status_code == status, response.text
    assert response.json()["error"]
    await assert_unchanged(redis_url, before)


@pytest.mark.parametrize("payload", PAYLOADS)
async def test_markup_and_sql_in_text_fields_are_kept_as_text_and_never_served_as_markup(
        team: tuple[Operator, Operator], running: Running, payload: str) -> None:
    lan, _ = team
    assert (await lan.http.post(f"{BASE}/messages", json={"text": payload}, headers=lan.headers())).status_code == 200
    assert (await lan.http.post(f"{BASE}/notes", json={"text": payload}, headers=lan.headers())).status_code == 201
    shown = await lan.http.get(BASE)
    assert shown.headers["content-type"].startswith("application/json")
    assert shown.headers["x-content-type-options"] == "nosniff"
    assert b"<" not in shown.content and b">" not in shown.content  # escaped as \u003c, \u003e
    data = shown.json()
    assert payload in [entry["text"] for entry in data["transcript"]]  # stored exactly, nothing interpreted
    assert payload in [note["text"] for note in data["notes"]]
    assert await running.gateway.redis.exists("users") == 0  # and it is Redis: nothing is a query
    closed = await lan.http.post(f"{BASE}/close", json={"outcome": "referred", "referral": {"agency": payload}},
                                 headers=lan.headers())
    assert closed.status_code == 200
    history = (await lan.http.get(BASE)).json()["history"]
    assert history[-1]["referral"]["agency"] == payload.strip()


@pytest.mark.parametrize("payload", PAYLOADS)
async def test_markup_in_login_and_transfer_names_is_refused_plainly(team: tuple[Operator, Operator],
                                                                     running: Running, payload: str) -> None:
    lan, _ = team
    login = await running.http.post("/api/login", json={"username": payload, "password": payload})
    assert login.status_code == 401 and b"<" not in login.content
    moved = await lan.http.post(f"{BASE}/transfer", json={"operator": payload}, headers=lan.headers())
    assert moved.status_code == 404 and b"<" not in moved.content


async def test_every_answer_carries_the_security_headers(team: tuple[Operator, Operator],
                                                         running: Running) -> None:
    lan, _ = team
    for response in (await lan.http.get("/api/queue"), await running.http.get("/api/queue"),
                     await running.http.get("/console/"), await running.http.get("/healthz"),
                     await running.http.get("/api/nothing-here")):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    console = await running.http.get("/console/")
    assert "script-src 'self'" in console.headers["content-security-policy"]  # the console's own, fuller policy


async def test_api_answers_are_attachments_and_https_gets_hsts(team: tuple[Operator, Operator],
                                                               running: Running) -> None:
    lan, _ = team
    queue = await lan.http.get("/api/queue")
    assert queue.headers["content-disposition"].startswith("attachment")
    assert "strict-transport-security" not in queue.headers  # plain http: the header would mean nothing
    secure = httpx.AsyncClient(transport=running.http._transport, base_url="https://gateway")
    async with secure:
        assert (await secure.get("/healthz")).headers["strict-transport-security"].startswith("max-age=")
    proxied = await running.http.get("/healthz", headers={"X-Forwarded-Proto": "https"})
    assert proxied.headers["strict-transport-security"].startswith("max-age=")
