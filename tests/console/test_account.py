"""An operator's own account over the API: TOTP enrolment and log-in with it, recovery codes (each once), the
supervisor's requirement, a lost phone (`caunoi operator reset-2fa`), their own password change, their sessions and
'sign out everywhere', the `__Host-` cookie over HTTPS, and common passwords refused."""

from __future__ import annotations

import time

import pyotp
import pytest

from bot.console.operators import OperatorError, OperatorStore
from bot.console.passwords import password_problem
from bot.state import keys
from tests.console.harness import CHEAP_HASHER, PASSWORD, Console, Session

NEW_PASSWORD = "một câu dài mà chỉ mình biết"


async def enrol(session: Session) -> tuple[str, list[str]]:
    """Enrols a TOTP authenticator for the session's operator; its secret and recovery codes."""
    setup = await session.post("/api/account/second-factor/totp")
    assert setup.status_code == 200, setup.text
    body = setup.json()
    assert body["qr"].startswith("data:image/svg+xml;base64,")
    assert body["uri"].startswith("otpauth://totp/") and f"secret={body['secret']}" in body["uri"]
    confirmed = await session.post("/api/account/second-factor/totp/confirm",
                                   {"code": pyotp.TOTP(body["secret"]).now()})
    assert confirmed.status_code == 200, confirmed.text
    codes = confirmed.json()["recovery_codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    return body["secret"], codes


async def log_in(console: Console, username: str, password: str = PASSWORD, code: str | None = None) -> int:
    body = {"username": username, "password": password, **({"code": code} if code is not None else {})}
    response = await console.client().post("/api/login", json=body)
    return response.status_code


def code_at(secret: str, offset_steps: int) -> str:
    return pyotp.TOTP(secret).at(time.time() + 30 * offset_steps)


async def test_a_wrong_enrolment_code_enrols_nothing(console: Console) -> None:
    hoa = await console.login("hoa")
    assert (await hoa.post("/api/account/second-factor/totp")).status_code == 200
    wrong = await hoa.post("/api/account/second-factor/totp/confirm", {"code": "000000"})
    assert wrong.status_code == 400 and "wrong code" in wrong.json()["error"]
    assert (await hoa.get("/api/me")).json()["second_factor"] is False
    assert await log_in(console, "hoa") == 200  # still the password alone


async def test_totp_login_needs_a_fresh_code_and_refuses_a_wrong_or_reused_one(console: Console) -> None:
    hoa = await console.login("hoa")
    secret, _ = await enrol(hoa)
    me = (await hoa.get("/api/me")).json()
    assert me["second_factor"] is True and me["must_enrol"] is False
    assert (await hoa.post("/api/account/second-factor/totp")).status_code == 409  # reset-2fa first

    without = await console.client().post("/api/login", json={"username": "hoa", "password": PASSWORD})
    assert without.status_code == 401 and without.json() == {"error": "second factor code required"}
    assert "set-cookie" not in without.headers
    assert await log_in(console, "hoa", code="123456") == 401
    assert await log_in(console, "hoa", "wrong password!!", code=code_at(secret, 0)) == 401
    # The step the enrolment used is spent, so the next one: a code is good once (ASVS 2.8.4).
    fresh = code_at(secret, 1)
    assert await log_in(console, "hoa", code=fresh) == 200
    assert await log_in(console, "hoa", code=fresh) == 401
    assert await log_in(console, "hoa", code=code_at(secret, 3)) == 401  # too far ahead of the clock


async def test_wrong_codes_count_towards_the_login_limit(console: Console) -> None:
    hoa = await console.login("hoa")
    secret, _ = await enrol(hoa)
    for _ in range(5):
        assert await log_in(console, "hoa", code="111111") == 401
    assert await log_in(console, "hoa", code=code_at(secret, 1)) == 429


async def test_a_recovery_code_works_once(console: Console) -> None:
    hoa = await console.login("hoa")
    _, codes = await enrol(hoa)
    typed = f"{codes[0][:5].lower()}-{codes[0][5:]}"  # as written on paper: case and dash do not matter
    assert await log_in(console, "hoa", code=typed) == 200
    assert await log_in(console, "hoa", code=codes[0]) == 401
    assert await log_in(console, "hoa", code=codes[1]) == 200
    stored = await console.gateway.redis.hget(keys.operator("hoa"), "recovery")
    assert codes[2] not in stored and len(stored.split()) == 8  # only hashes, and the used ones gone
    audit = [entry async for entry in console.services.audit.export()]
    assert [e["left"] for e in audit if e["action"] == "recovery_code_used"] == [9, 8]


async def test_removing_the_second_factor_in_redis_breaks_the_record(console: Console) -> None:
    hoa = await console.login("hoa")
    await enrol(hoa)
    await console.gateway.redis.hdel(keys.operator("hoa"), "totp", "totp_step", "recovery")
    assert await log_in(console, "hoa") == 401  # not a way round the second factor: the account is refused
    store = OperatorStore(console.gateway.redis, console.gateway.settings.secret_key, CHEAP_HASHER)
    assert not await store.reset_second_factor("hoa")  # nor does reset-2fa sign the edited record again


async def test_reset_2fa_for_a_lost_phone_ends_sessions_and_is_audited(console: Console) -> None:
    hoa = await console.login("hoa")
    await enrol(hoa)
    store = OperatorStore(console.gateway.redis, console.gateway.settings.secret_key, CHEAP_HASHER)
    assert await store.reset_second_factor("hoa")
    assert (await hoa.get("/api/me")).status_code == 401
    assert await log_in(console, "hoa") == 200  # the password alone again, until they enrol anew
    assert not await store.reset_second_factor("nobody")


async def test_a_supervisor_can_require_a_second_factor_of_everyone(console: Console) -> None:
    hoa = await console.login("hoa")
    mai = await console.login("mai", role="supervisor")
    assert (await hoa.post("/api/settings/second-factor", {"required": True})).status_code == 403
    assert (await mai.post("/api/settings/second-factor", {"required": "yes"})).status_code == 400
    assert (await mai.post("/api/settings/second-factor", {"required": True})).status_code == 200
    me = (await hoa.get("/api/me")).json()
    assert me["must_enrol"] is True and me["second_factor_required"] is True
    refused = await hoa.get("/api/queue")
    assert refused.status_code == 403 and "second factor" in refused.json()["error"]
    assert (await hoa.get("/api/account/sessions")).status_code == 200
    await enrol(hoa)
    assert (await hoa.get("/api/queue")).status_code == 200
    # An unsigned policy written into Redis is not honoured.
    await console.gateway.redis.hset(keys.CONSOLE_POLICY, "require_2fa", "0")
    assert (await mai.get("/api/me")).json()["second_factor_required"] is False
    assert (await mai.post("/api/settings/second-factor", {"required": False})).status_code == 200
    audit = [(e["action"], e.get("required")) for e in [entry async for entry in console.services.audit.export()]]
    assert ("2fa_policy", True) in audit and ("2fa_enrolled", None) in audit


async def test_own_password_change_needs_the_current_one_and_ends_the_other_sessions(console: Console) -> None:
    hoa = await console.login("hoa")
    elsewhere_http = console.client()
    assert (await elsewhere_http.post("/api/login", json={"username": "hoa", "password": PASSWORD})).status_code == 200
    wrong = await hoa.post("/api/account/password", {"current_password": "not the password", "new_password":
                                                     NEW_PASSWORD})
    assert wrong.status_code == 403
    common = await hoa.post("/api/account/password", {"current_password": PASSWORD, "new_password": "password1234"})
    assert common.status_code == 400 and "too common" in common.json()["error"]
    changed = await hoa.post("/api/account/password", {"current_password": PASSWORD, "new_password": NEW_PASSWORD})
    assert changed.status_code == 200, changed.text
    assert changed.json()["csrf_token"] != hoa.csrf
    assert (await elsewhere_http.get("/api/me")).status_code == 401  # the other session ended
    assert (await hoa.get("/api/me")).status_code == 200  # this browser got a new one
    assert await log_in(console, "hoa") == 401
    assert await log_in(console, "hoa", NEW_PASSWORD) == 200
    actions = [entry["action"] async for entry in console.services.audit.export()]
    assert "password_changed" in actions and "password_change_failed" in actions


async def test_sessions_list_and_sign_out_everywhere_else(console: Console) -> None:
    hoa = await console.login("hoa")
    other = console.client()
    assert (await other.post("/api/login", json={"username": "hoa", "password": PASSWORD})).status_code == 200
    listed = (await hoa.get("/api/account/sessions")).json()["sessions"]
    assert len(listed) == 2 and [s["current"] for s in listed].count(True) == 1
    ended = await hoa.post("/api/account/sessions/end-all")
    assert ended.status_code == 200
    assert (await other.get("/api/me")).status_code == 401
    assert (await hoa.get("/api/me")).status_code == 200
    assert len((await hoa.get("/api/account/sessions")).json()["sessions"]) == 1


async def test_over_https_the_cookie_has_the_host_prefix(console: Console) -> None:
    await console.operator("hoa")
    http = console.client()
    response = await http.post("/api/login", json={"username": "hoa", "password": PASSWORD},
                               headers={"X-Forwarded-Proto": "https"})
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("__Host-caunoi_session=") and "Secure" in cookie and "Path=/;" in cookie
    assert "domain" not in cookie.lower()
    token = cookie.split(";")[0].split("=", 1)[1]
    assert (await console.client().get("/api/me", cookies={"__Host-caunoi_session": token})).status_code == 200


@pytest.mark.parametrize("password", ["password1234", "Password1234!", "qwertyuiop123", "123456789012",
                                      "aaaaaaaaaaaaaaaa", "caunoi2026!!", "hoa-hoa-hoa-hoa"])
def test_common_and_context_passwords_are_refused(password: str) -> None:
    assert password_problem(password, "hoa-hoa-hoa-hoa") is not None


@pytest.mark.parametrize("password", [PASSWORD, NEW_PASSWORD, ("sáu mươi tư ký tự " * 4)[:64],
                                      "tàu đi Quảng Ninh lúc 5 giờ", "x" * 40 + "y" * 40 + "z9"])
def test_long_uncommon_passwords_and_any_characters_are_allowed(password: str) -> None:
    assert password_problem(password, "hoa") is None


async def test_a_common_password_is_refused_when_an_account_is_made(console: Console) -> None:
    store = OperatorStore(console.gateway.redis, console.gateway.settings.secret_key, CHEAP_HASHER)
    with pytest.raises(OperatorError, match="too common"):
        await store.add("lan", "supervisor", "iloveyou1234")


async def test_a_password_set_by_someone_else_only_lets_its_owner_choose_their_own(console: Console) -> None:
    """ASVS 2.3.1: `caunoi operator add` and `reset-password` give a temporary password (tests/console/test_cli.py):
    its session can do nothing but choose the operator's own; then everything works as before."""
    store = OperatorStore(console.gateway.redis, console.gateway.settings.secret_key, CHEAP_HASHER)
    await store.add("lan", "supervisor", PASSWORD, temporary=True)
    lan = console.client()
    login = await lan.post("/api/login", json={"username": "lan", "password": PASSWORD})
    assert login.status_code == 200 and login.json()["must_change_password"] is True
    session = Session(lan, login.json()["csrf_token"], "lan")
    for path in ("/api/queue", "/api/stats", "/api/campaigns"):
        refused = await session.get(path)
        assert refused.status_code == 403, path
        assert refused.json() == {"error": "choose your own password first (this one was set by someone else)"}
    assert (await session.get("/api/account/sessions")).status_code == 200  # the account's own pages stay open
    changed = await session.post("/api/account/password", {"current_password": PASSWORD, "new_password": NEW_PASSWORD})
    assert changed.status_code == 200 and changed.json()["must_change_password"] is False
    assert (await session.get("/api/queue")).status_code == 200
    assert await log_in(console, "lan", NEW_PASSWORD) == 200
    # A reset makes it temporary again; an account of before (no such field) is untouched.
    assert await store.reset_password("lan", "một mật khẩu tạm khác", temporary=True)
    again = await console.client().post("/api/login", json={"username": "lan", "password": "một mật khẩu tạm khác"})
    assert again.json()["must_change_password"] is True
    hoa = await console.login("hoa")
    assert (await hoa.get("/api/me")).json()["must_change_password"] is False
    assert "temporary_until" not in await console.gateway.redis.hgetall(keys.operator("hoa"))


async def test_an_expired_temporary_password_is_refused_with_the_reason(console: Console,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    store = OperatorStore(console.gateway.redis, console.gateway.settings.secret_key, CHEAP_HASHER)
    await store.add("lan", "supervisor", PASSWORD, temporary=True)
    record = await console.gateway.redis.hgetall(keys.operator("lan"))
    await console.gateway.redis.hset(keys.operator("lan"), "temporary_until", f"{time.time() + 10 ** 6:.0f}")
    assert (await store.get("lan")) is None  # moving the expiry in Redis breaks the record's signature
    await console.gateway.redis.hset(keys.operator("lan"), "temporary_until", record["temporary_until"])

    monkeypatch.setattr("bot.console.operators.TEMPORARY_SECONDS", -1)  # set a second ago: already expired
    assert await store.reset_password("lan", PASSWORD, temporary=True)
    response = await console.client().post("/api/login", json={"username": "lan", "password": PASSWORD})
    assert response.status_code == 401 and "set-cookie" not in response.headers
    assert response.json() == {"error": "this first password has expired: ask a supervisor for a new one "
                                        "(caunoi operator reset-password)"}
    actions = [(entry["action"], entry.get("reason")) async for entry in console.services.audit.export()]
    assert ("login_failed", "temporary_password_expired") in actions


async def test_the_strength_meter_scores_without_storing(console: Console) -> None:
    hoa = await console.login("hoa")
    weak = await hoa.post("/api/account/password/strength", {"password": "password1234"})
    assert weak.json() == {"score": 0, "problem": "the password is too common (it is on a list of leaked passwords): "
                                                  "choose another"}
    strong = (await hoa.post("/api/account/password/strength", {"password": NEW_PASSWORD})).json()
    assert strong["problem"] is None and strong["score"] >= 3
    assert (await hoa.post("/api/account/password/strength", {"password": 5})).status_code == 400
    assert (await hoa.post("/api/account/password/strength", {"password": "x" * 129})).status_code == 400
    assert (await hoa.post("/api/account/password/strength", {"password": "x"}, csrf=False)).status_code == 403
    assert (await console.client().post("/api/account/password/strength", json={"password": "x"})).status_code == 401
