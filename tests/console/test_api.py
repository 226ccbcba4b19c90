"""The operator API against a real Redis, mounted next to the real gateway pieces, reached over ASGI."""

from __future__ import annotations

import asyncio
import json
import time

import pytest

from bot.console.http import COOKIE
from bot.console.operators import Operator
from bot.console.sessions import digest
from bot.state import keys
from bot.state.queue import Case
from harness.botapi import FakeBotAPI, text_update
from harness.rasa import FakeRasa
from tests.console.conftest import WEBHOOK_SECRET
from tests.console.harness import CHEAP_HASHER, PASSWORD, Console

PERSON = "tg:424242"
XSS = '<script>alert("x")</script><img src=x onerror="alert(1)"> & "quotes"'


async def queued(console: Console, conversation_id: str = PERSON, risk: str = "high", at: float | None = None) -> None:
    case = Case(conversation_id, "telegram", risk, ("Bị giữ giấy tờ", "Bị đe doạ"),
                "Người dùng nói bị giữ ở nước ngoài.", "qn-2026", at or time.time())
    await console.gateway.queue.enqueue(case)


async def test_login_sets_a_strict_session_cookie_and_returns_a_csrf_token(console: Console) -> None:
    await console.operator("hoa", alias="Hoa")
    http = console.client()
    response = await http.post("/api/login", json={"username": "hoa", "password": PASSWORD})
    assert response.status_code == 200
    body = response.json()
    assert body["username"] == "hoa" and body["role"] == "operator" and len(body["csrf_token"]) > 30
    cookie = response.headers["set-cookie"]
    assert "caunoi_session=" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert "Path=/api" in cookie and "Secure" not in cookie  # plain http here
    # A browser-session cookie: gone when the browser closes (the server's idle and maximum times still apply).
    assert "max-age" not in cookie.lower() and "expires" not in cookie.lower()
    assert (await http.get("/api/me")).json()["csrf_token"] == body["csrf_token"]
    behind_tls = await console.client().post("/api/login", json={"username": "hoa", "password": PASSWORD},
                                              headers={"X-Forwarded-Proto": "https"})
    assert "Secure" in behind_tls.headers["set-cookie"]


async def test_every_route_but_login_needs_a_session(console: Console) -> None:
    http = console.client()
    for method, path in [("GET", "/api/queue"), ("GET", f"/api/conversations/{PERSON}"), ("GET", "/api/events"),
                         ("POST", f"/api/conversations/{PERSON}/claim"), ("GET", "/api/stats"), ("GET", "/api/me")]:
        response = await http.request(method, path)
        assert response.status_code == 401, path
        assert "error" in response.json()
    assert (await http.get("/api/nothing-here")).status_code == 404
    assert (await http.get("/api/nothing-here")).json() == {"error": "no such API route"}


async def test_state_changes_without_the_csrf_token_are_refused(console: Console) -> None:
    await queued(console)
    hoa = await console.login("hoa")
    for path in [f"/api/conversations/{PERSON}/claim", f"/api/conversations/{PERSON}/notes", "/api/logout"]:
        response = await hoa.post(path, {"text": "ghi chú"}, csrf=False)
        assert response.status_code == 403, path
        assert "CSRF" in response.json()["error"]
    wrong = await hoa.http.post(f"/api/conversations/{PERSON}/claim", headers={"X-CSRF-Token": "x" * 43})
    assert wrong.status_code == 403
    assert await console.gateway.queue.mode(PERSON) == "waiting"


async def test_the_queue_lists_waiting_people_by_risk_then_waiting_time(console: Console) -> None:
    await queued(console, "web:lowrisk-0001", "low", at=100.0)
    await queued(console, "zalo:5555", "medium", at=50.0)
    await queued(console, PERSON, "high", at=300.0)
    hoa = await console.login("hoa")
    body = (await hoa.get("/api/queue")).json()
    assert [item["id"] for item in body["waiting"]] == [PERSON, "zalo:5555", "web:lowrisk-0001"]
    first = body["waiting"][0]
    assert first["risk"] == "high" and first["reasons"] == ["Bị giữ giấy tờ", "Bị đe doạ"]
    assert first["campaign"] == "qn-2026" and first["summary"].startswith("Người dùng")
    assert first["channel"] == "telegram" and first["waiting_since"] == "1970-01-01T07:05:00+07:00"
    assert body["held"] == []


async def test_fifty_concurrent_claims_have_exactly_one_winner(console: Console, bot_api: FakeBotAPI) -> None:
    await queued(console)
    sessions = [await console.login(f"op{n}", alias="Lan") for n in range(10)]
    responses = await asyncio.gather(*(session.post(f"/api/conversations/{PERSON}/claim")
                                       for session in sessions for _ in range(5)))
    statuses = sorted(response.status_code for response in responses)
    assert statuses == [200] + [409] * 49
    winner = next(r for r in responses if r.status_code == 200).json()["operator"]
    assert await console.gateway.queue.holder(PERSON) == winner
    assert await console.gateway.redis.zcard(keys.QUEUE) == 0
    # The person is told once, by alias only.
    sent = await bot_api.wait_for("sendMessage")
    assert len(sent) == 1 and "Lan" in sent[0]["text"] and winner not in sent[0]["text"]


async def test_another_operators_conversation_is_a_conflict(console: Console, bot_api: FakeBotAPI) -> None:
    await queued(console)
    hoa, minh = await console.login("hoa", alias="Hoa"), await console.login("minh")
    assert (await hoa.post(f"/api/conversations/{PERSON}/claim")).status_code == 200
    for path, body in [("claim", {}), ("messages", {"text": "Chào bạn"}), ("release", {}),
                       ("transfer", {"operator": "minh"}), ("close", {"outcome": "informed"})]:
        response = await minh.post(f"/api/conversations/{PERSON}/{path}", body)
        assert response.status_code == 409, path
        assert response.json()["error"]
    again = await hoa.post(f"/api/conversations/{PERSON}/claim")
    assert again.status_code == 409 and again.json() == {"error": "you already hold this conversation"}


async def test_reply_reaches_the_channel_and_the_transcript(console: Console, bot_api: FakeBotAPI) -> None:
    await queued(console)
    hoa = await console.login("hoa", alias="Hoa")
    await hoa.post(f"/api/conversations/{PERSON}/claim")
    response = await hoa.post(f"/api/conversations/{PERSON}/messages", {"text": "Bạn có an toàn không?"})
    assert response.status_code == 200 and response.json() == {"delivered": True}
    texts = [call["text"] for call in await bot_api.wait_for("sendMessage", 2)]
    assert texts[1] == "Bạn có an toàn không?" and texts[0].startswith("Chào bạn, mình là Hoa")
    transcript = await console.gateway.transcript.read(PERSON)
    assert [(e["from"], e["text"]) for e in transcript][-1] == ("operator", "Bạn có an toàn không?")


async def test_release_puts_it_back_with_its_original_waiting_time(console: Console) -> None:
    await queued(console, PERSON, "high", at=1000.0)
    await queued(console, "tg:2", "high", at=2000.0)
    hoa = await console.login("hoa")
    await hoa.post(f"/api/conversations/{PERSON}/claim")
    assert [c.conversation_id for c in await console.gateway.queue.waiting()] == ["tg:2"]
    response = await hoa.post(f"/api/conversations/{PERSON}/release")
    assert response.status_code == 200 and response.json() == {"state": "waiting", "place": 1}
    waiting = await console.gateway.queue.waiting()
    assert [c.conversation_id for c in waiting] == [PERSON, "tg:2"] and waiting[0].enqueued_at == 1000.0


async def test_transfer_to_a_named_operator_who_then_holds_it(console: Console, bot_api: FakeBotAPI) -> None:
    await queued(console)
    hoa, minh = await console.login("hoa", alias="Hoa"), await console.login("minh", alias="Minh")
    await hoa.post(f"/api/conversations/{PERSON}/claim")
    assert (await hoa.post(f"/api/conversations/{PERSON}/transfer", {"operator": "nobody"})).status_code == 404
    response = await hoa.post(f"/api/conversations/{PERSON}/transfer", {"operator": "minh", "note": "Đã hỏi vị trí."})
    assert response.status_code == 200 and response.json()["operator"] == "minh"
    assert (await minh.post(f"/api/conversations/{PERSON}/messages", {"text": "Mình là Minh"})).status_code == 200
    assert (await hoa.post(f"/api/conversations/{PERSON}/messages", {"text": "x"})).status_code == 409
    texts = [call["text"] for call in await bot_api.wait_for("sendMessage", 3)]
    assert "mình là Minh" in texts[1]


async def test_close_returns_to_the_bot_records_the_outcome_and_resets_the_slot(console: Console, rasa: FakeRasa,
                                                                                bot_api: FakeBotAPI) -> None:
    await queued(console)
    hoa = await console.login("hoa")
    await hoa.post(f"/api/conversations/{PERSON}/claim")
    await hoa.post(f"/api/conversations/{PERSON}/notes", {"text": "Đã gọi 111 giúp."})
    bad = await hoa.post(f"/api/conversations/{PERSON}/close", {"outcome": "referred"})
    assert bad.status_code == 400 and "referral" in bad.json()["error"]
    unknown = await hoa.post(f"/api/conversations/{PERSON}/close", {"outcome": "referred",
                                                                    "referral": {"entry_id": "khong-co"}})
    assert unknown.status_code == 400
    response = await hoa.post(f"/api/conversations/{PERSON}/close", {"outcome": "referred",
                                                                     "referral": {"entry_id": "tong-dai-111"}})
    assert response.status_code == 200 and response.json() == {"state": "bot"}
    assert await console.gateway.queue.mode(PERSON) == "bot"
    await console.services.handoffs.idle()
    assert rasa.tracker_events == [(PERSON, [{"event": "slot", "name": "escalated", "value": None}],
                                    {"token": "rasa-test-token"})]
    closing = (await bot_api.wait_for("sendMessage", 2))[-1]["text"]
    assert closing.startswith("Cuộc trò chuyện với người hỗ trợ đã kết thúc")
    detail = (await hoa.get(f"/api/conversations/{PERSON}")).json()
    assert detail["state"] == "bot" and detail["notes"][0]["text"] == "Đã gọi 111 giúp."
    assert detail["history"][0]["outcome"] == "referred"
    assert detail["history"][0]["referral"] == {"entry_id": "tong-dai-111",
                                                "name": detail["history"][0]["referral"]["name"]}
    # Notes persist across handoffs: the next operator reads them.
    await queued(console)
    minh = await console.login("minh")
    assert (await minh.get(f"/api/conversations/{PERSON}")).json()["notes"][0]["operator"] == "hoa"


async def test_conversation_detail_has_both_sides_location_and_the_holder(console: Console, rasa: FakeRasa) -> None:
    await console.gateway.transcript.append(PERSON, "person", XSS, at=1_700_000_000.0)
    await console.gateway.transcript.append(PERSON, "person", "[vị trí] 21.00000, 107.30000", "location")
    await console.gateway.transcript.append(PERSON, "bot", "Cảm ơn bạn")
    await queued(console)
    hoa = await console.login("hoa", alias="Hoa")
    await hoa.post(f"/api/conversations/{PERSON}/claim")
    response = await hoa.get(f"/api/conversations/{PERSON}")
    assert response.headers["content-type"] == "application/json"
    detail = response.json()
    assert detail["state"] == "human" and detail["mine"] is True
    assert detail["operator"] == {"username": "hoa", "alias": "Hoa", "role": "operator"}
    assert detail["transcript"][0] == {"at": "2023-11-15T05:13:20+07:00", "from": "person", "text": XSS,
                                       "kind": "text"}
    assert [e["from"] for e in detail["transcript"]][-1] == "bot"  # the join message, as the bot's
    assert detail["location"]["province"] == "Quảng Ninh"
    assert detail["location"]["map_url"].startswith("https://www.openstreetmap.org/?mlat=21.00000&mlon=107.30000")
    assert detail["case"]["risk"] == "high"


async def test_a_province_from_the_tracker_when_no_gps_was_shared(console: Console, rasa: FakeRasa) -> None:
    rasa.slots[PERSON] = {"province": "Lào Cai", "escalated": True}
    await console.gateway.transcript.append(PERSON, "person", "tôi ở lào cai")
    await queued(console)
    hoa = await console.login("hoa")
    location = (await hoa.get(f"/api/conversations/{PERSON}")).json()["location"]
    assert location == {"province": "Lào Cai", "country": None, "latitude": None, "longitude": None, "map_url": None}


async def test_xss_is_stored_and_returned_as_data(console: Console) -> None:
    await queued(console)
    hoa = await console.login("hoa")
    await hoa.post(f"/api/conversations/{PERSON}/claim")
    assert (await hoa.post(f"/api/conversations/{PERSON}/notes", {"text": XSS})).status_code == 201
    assert (await hoa.post(f"/api/conversations/{PERSON}/messages", {"text": XSS})).status_code == 200
    response = await hoa.get(f"/api/conversations/{PERSON}")
    assert response.json()["notes"][0]["text"] == XSS
    assert response.json()["transcript"][-1]["text"] == XSS
    assert "<script>" not in response.text  # JSON-escaped on the wire too


@pytest.mark.parametrize(("path", "body", "status", "reason"), [
    ("/api/conversations/tg:abc/claim", {}, 400, "conversation id"),
    ("/api/conversations/fb:1/claim", {}, 400, "conversation id"),
    (f"/api/conversations/{PERSON}/messages", {"text": ""}, 400, "must not be empty"),
    (f"/api/conversations/{PERSON}/messages", {"text": 5}, 400, "must be a string"),
    (f"/api/conversations/{PERSON}/messages", {"text": "a" * 4001}, 413, "longer than"),
    (f"/api/conversations/{PERSON}/notes", {"text": "a" * 20_000}, 413, "larger than"),
    (f"/api/conversations/{PERSON}/close", {"outcome": "done"}, 400, "outcome must be one of"),
])
async def test_bad_requests_get_a_json_reason(console: Console, path: str, body: dict[str, object], status: int,
                                              reason: str) -> None:
    await queued(console)
    hoa = await console.login("hoa")
    response = await hoa.post(path, body)
    assert response.status_code == status
    assert reason in response.json()["error"]


async def test_non_json_bodies_and_wrong_methods(console: Console) -> None:
    hoa = await console.login("hoa")
    form = await hoa.http.post(f"/api/conversations/{PERSON}/notes", content=b"text=hi",
                               headers={"X-CSRF-Token": hoa.csrf, "Content-Type": "application/x-www-form-urlencoded"})
    assert form.status_code == 415
    broken = await hoa.http.post(f"/api/conversations/{PERSON}/notes", content=b"{nope",
                                 headers={"X-CSRF-Token": hoa.csrf, "Content-Type": "application/json"})
    assert broken.status_code == 400 and broken.json()["error"] == "body is not valid UTF-8 JSON"
    assert (await hoa.http.delete("/api/queue")).status_code == 405


async def test_login_is_locked_after_repeated_failures_per_username_and_per_address(console: Console) -> None:
    await console.operator("hoa")
    await console.operator("minh")
    http = console.client()
    for _ in range(5):
        wrong = await http.post("/api/login", json={"username": "hoa", "password": "sai-mat-khau-1"})
        assert wrong.status_code == 401 and wrong.json() == {"error": "wrong username or password"}
    locked = await http.post("/api/login", json={"username": "hoa", "password": PASSWORD})
    assert locked.status_code == 429 and "try again later" in locked.json()["error"]
    assert (await http.post("/api/login", json={"username": "minh", "password": PASSWORD})).status_code == 200
    # Unknown usernames answer the same as wrong passwords; the address is locked after 4x the per-user limit.
    for n in range(15):
        await http.post("/api/login", json={"username": f"khong-co-{n}", "password": "x" * 12})
    assert (await http.post("/api/login", json={"username": "minh", "password": PASSWORD})).status_code == 429
    audit = [entry async for entry in console.services.audit.export()]
    assert [e["actor"] for e in audit if e["action"] == "login_failed"][:5] == ["hoa"] * 5
    assert PASSWORD not in json.dumps(audit) and "sai-mat-khau" not in json.dumps(audit)


async def test_a_burst_of_concurrent_logins_checks_no_more_passwords_than_the_limit(console: Console) -> None:
    await console.operator("hoa")
    verify = console.services.operators.verify
    checked: list[str] = []

    async def counting(username: str, password: str) -> Operator | None:
        checked.append(password)
        return await verify(username, password)

    console.services.operators.verify = counting  # type: ignore[method-assign]
    http = console.client()

    async def burst(passwords: list[str]) -> list[int]:
        answers = await asyncio.gather(*(http.post("/api/login", json={"username": "hoa", "password": password})
                                         for password in passwords))
        return [answer.status_code for answer in answers]

    limit = console.services.settings.console.login_max_failures
    statuses = await burst([f"sai-mat-khau-{n:03d}" for n in range(150)])
    assert len(checked) == limit and statuses.count(401) == limit and statuses.count(429) == 150 - limit
    # Locked: the right password, however many times and among however many wrong ones, is not even checked.
    checked.clear()
    mixed = [PASSWORD if n % 10 == 0 else f"sai-mat-khau-{n:03d}" for n in range(150)]
    assert set(await burst(mixed)) == {429} and checked == []


async def test_sessions_expire_when_idle_and_after_the_maximum(console: Console) -> None:
    clock = [1_000_000.0]
    services = console.services
    services.sessions._clock = lambda: clock[0]  # the session store's clock only
    hoa = await console.login("hoa")
    idle, most = services.settings.console.session_idle_minutes * 60, services.settings.console.session_max_hours * 3600
    clock[0] += idle - 5
    assert (await hoa.get("/api/queue")).status_code == 200
    clock[0] += idle + 1
    assert (await hoa.get("/api/queue")).status_code == 401
    minh = await console.login("minh")
    started = clock[0]
    while clock[0] - started < most - idle / 2:
        clock[0] += idle / 2
        assert (await minh.get("/api/queue")).status_code == 200
    clock[0] += idle / 2 + 1
    response = await minh.get("/api/queue")
    assert response.status_code == 401 and "log in" in response.json()["error"]


async def test_disabling_an_operator_ends_their_sessions(console: Console) -> None:
    hoa = await console.login("hoa")
    assert (await hoa.get("/api/queue")).status_code == 200
    await console.services.operators.disable("hoa")
    assert (await hoa.get("/api/queue")).status_code == 401
    assert (await console.client().post("/api/login", json={"username": "hoa", "password": PASSWORD})).status_code \
        == 401


async def test_a_session_written_straight_into_redis_is_no_session(console: Console) -> None:
    """What a local user did with the private store: wrote a session hash for a supervisor and used its token."""
    await console.operator("lan", role="supervisor")
    redis = console.gateway.redis
    token, now = "a-token-the-attacker-chose", time.time()
    await redis.hset(keys.session(digest(token)), mapping={"username": "lan", "csrf": "c", "created": f"{now:.3f}",
                                                           "seen": f"{now:.3f}", "generation": "0"})
    forged = console.client()
    forged.cookies.set(COOKIE, token, domain="console.test", path="/api")
    answer = await forged.get("/api/stats")
    assert answer.status_code == 401 and "log in" in answer.json()["error"]
    assert not await redis.exists(keys.session(digest(token)))  # refused and removed
    # A real session's signed record copied under the attacker's token, or turned into the supervisor's: refused.
    hoa = await console.login("hoa")
    [real_key] = [key async for key in redis.scan_iter(keys.session("*"))]
    await redis.hset(keys.session(digest(token)), mapping=await redis.hgetall(real_key))
    assert (await forged.get("/api/queue")).status_code == 401
    await redis.hset(real_key, "username", "lan")
    assert (await hoa.get("/api/stats")).status_code == 401


async def test_an_operator_record_edited_in_redis_is_not_honoured(console: Console) -> None:
    redis = console.gateway.redis
    minh = await console.login("minh")
    assert (await minh.get("/api/stats")).status_code == 403
    await redis.hset(keys.operator("minh"), "role", "supervisor")  # promoted by a write to the store
    assert (await minh.get("/api/stats")).status_code == 401  # not a supervisor: no one at all
    assert (await console.client().post("/api/login", json={"username": "minh", "password": PASSWORD})).status_code \
        == 401
    # An account made up in Redis with a password hash the writer knows cannot log in either.
    await redis.hset(keys.operator("ghost"), mapping={
        "username": "ghost", "role": "supervisor", "alias": "", "disabled": "0", "generation": "0",
        "password": CHEAP_HASHER.hash(PASSWORD)})
    await redis.sadd(keys.OPERATORS, "ghost")
    assert (await console.client().post("/api/login", json={"username": "ghost", "password": PASSWORD})).status_code \
        == 401
    assert "ghost" not in {o.username for o in await console.services.operators.all()}
    # The store's own changes keep the records signed: a reset signs minh's record again (as the role it holds).
    assert await console.services.operators.reset_password("minh", PASSWORD)
    assert (await console.services.operators.get("minh")) is not None


async def test_logout_ends_the_session(console: Console) -> None:
    hoa = await console.login("hoa")
    response = await hoa.post("/api/logout")
    assert response.status_code == 200
    assert (await hoa.get("/api/queue")).status_code == 401


async def test_supervisor_routes(console: Console) -> None:
    await queued(console, PERSON, "high", at=1000.0)
    await queued(console, "tg:2", "low")
    hoa, boss = await console.login("hoa"), await console.login("boss", role="supervisor")
    assert (await hoa.get("/api/stats")).status_code == 403
    assert (await hoa.get("/api/audit")).status_code == 403
    await hoa.post(f"/api/conversations/{PERSON}/claim")
    await hoa.post(f"/api/conversations/{PERSON}/close", {"outcome": "false_alarm"})
    stats = (await boss.get("/api/stats")).json()
    assert stats["waiting"] == 1 and stats["waiting_by_risk"] == {"low": 1}
    assert stats["outcomes_today"] == {"referred": 0, "informed": 0, "no_response": 0, "false_alarm": 1}
    assert {o["username"] for o in stats["operators_online"]} == {"hoa", "boss"}
    # A supervisor may put back, transfer or close a conversation another operator holds (an operator may not:
    # security/test_hostile_api.py), and the audit log names whose it was.
    await queued(console, PERSON)
    await hoa.post(f"/api/conversations/{PERSON}/claim")
    assert (await boss.post(f"/api/conversations/{PERSON}/release")).status_code == 200
    await hoa.post(f"/api/conversations/{PERSON}/claim")
    assert (await boss.post(f"/api/conversations/{PERSON}/transfer", {"operator": "minh"})).status_code == 404
    await console.login("minh")  # transfers go to operators on duty (tests/console/test_night_shift.py)
    assert (await boss.post(f"/api/conversations/{PERSON}/transfer",
                            {"operator": "minh", "note": "Giám sát chuyển."})).status_code == 200
    assert (await boss.post(f"/api/conversations/{PERSON}/close", {"outcome": "informed"})).status_code == 200
    trail = [json.loads(line) for line in (await boss.get("/api/audit")).text.splitlines()]
    overrides = [(e["action"], e.get("held_by")) for e in trail if e["actor"] == "boss" and e["conversation"] == PERSON]
    assert overrides == [("release", "hoa"), ("transfer", "hoa"), ("close", "minh")]


async def test_the_audit_log_says_who_did_what_without_any_text(console: Console) -> None:
    await queued(console)
    hoa, boss = await console.login("hoa"), await console.login("boss", role="supervisor")
    await hoa.get(f"/api/conversations/{PERSON}")
    await hoa.get(f"/api/conversations/{PERSON}")  # views are logged once a while, not on every refresh
    await hoa.post(f"/api/conversations/{PERSON}/claim")
    await hoa.post(f"/api/conversations/{PERSON}/messages", {"text": "Tin nhắn bí mật"})
    await hoa.post(f"/api/conversations/{PERSON}/notes", {"text": "Ghi chú bí mật"})
    await hoa.post(f"/api/conversations/{PERSON}/transfer", {"operator": "boss", "note": "Ghi chú bàn giao bí mật"})
    await boss.post(f"/api/conversations/{PERSON}/close", {"outcome": "informed", "referral": "Công an xã"})
    response = await boss.get("/api/audit")
    assert response.headers["content-type"].startswith("application/x-ndjson")
    lines = [json.loads(line) for line in response.text.splitlines()]
    trail = [(e["actor"], e["action"]) for e in lines if e["conversation"] == PERSON and e["actor"] != "system"]
    assert trail == [("hoa", "view"), ("hoa", "claim"), ("hoa", "message"), ("hoa", "note"), ("hoa", "transfer"),
                     ("boss", "close")]
    close = next(e for e in lines if e["action"] == "close")
    assert close["outcome"] == "informed" and close["referral"] == "free-text"
    assert "bí mật" not in response.text and "Công an" not in response.text
    assert all(e["at"].endswith("+07:00") for e in lines)


async def test_canned_replies_directory_and_operators_for_the_console(console: Console) -> None:
    hoa = await console.login("hoa", alias="Hoa")
    replies = (await hoa.get("/api/canned-replies")).json()["replies"]
    assert {"id", "title", "text"} <= set(replies[0]) and any("111" in r["text"] for r in replies)
    entries = (await hoa.get("/api/directory")).json()["entries"]
    assert "tong-dai-111" in [e["id"] for e in entries]
    assert (await hoa.get("/api/operators")).json()["operators"] == [
        {"username": "hoa", "alias": "Hoa", "role": "operator", "online": True, "status": "on_duty", "available": True}]


async def test_a_waiting_person_who_withdraws_is_told_and_it_is_audited(console: Console, bot_api: FakeBotAPI,
                                                                         rasa: FakeRasa) -> None:
    await queued(console)
    http = console.client()
    for _ in range(2):  # the second time the person no longer waits: the message goes to the bot
        response = await http.post("/webhooks/telegram", json=text_update(424242, "thôi không cần nữa"),
                                   headers={"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET})
        assert response.status_code == 200
        await console.settle()
    assert await console.gateway.queue.mode(PERSON) == "bot"
    assert (await bot_api.wait_for("sendMessage"))[0]["text"].startswith("Mình đã rút bạn khỏi hàng chờ")
    assert rasa.messages(PERSON) == ["thôi không cần nữa"]
    boss = await console.login("boss", role="supervisor")
    trail = [json.loads(line) for line in (await boss.get("/api/audit")).text.splitlines()]
    # The sweep that runs as the console starts may alert about this high-risk case first (a `system` entry): under
    # load it can read the queue after the test filled it. The person's own entry is what this test is about.
    assert [(e["actor"], e["action"]) for e in trail
            if e["conversation"] == PERSON and e["actor"] != "system"] == [("person", "withdraw")]
