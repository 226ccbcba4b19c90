"""The console's settings: defaults, parsing, clear errors, and every one listed in .env.example."""

from __future__ import annotations

import re

import pytest

from bot.settings import PROJECT_ROOT, SettingsError, from_environment

NAMES = ("CAUNOI_CONSOLE_URL", "CAUNOI_SESSION_IDLE_MINUTES", "CAUNOI_SESSION_MAX_HOURS", "CAUNOI_LOGIN_MAX_FAILURES",
         "CAUNOI_LOGIN_LOCK_MINUTES", "CAUNOI_COOKIE_SECURE", "CAUNOI_TRUST_PROXY", "CAUNOI_WAIT_NOTICE_MINUTES",
         "CAUNOI_HIGH_RISK_REALERT_MINUTES", "CAUNOI_ONCALL_TELEGRAM_CHAT_ID")


def test_defaults() -> None:
    console = from_environment({"CAUNOI_HTTP_PORT": "8080"}).console
    assert console.url == "http://127.0.0.1:8080"
    assert (console.session_idle_minutes, console.session_max_hours) == (30, 12)
    assert (console.login_max_failures, console.login_lock_minutes) == (5, 15)
    assert (console.cookie_secure, console.trust_proxy, console.oncall_telegram_chat_id) == ("auto", False, "")
    assert (console.wait_notice_minutes, console.realert_minutes) == (10, 5)


def test_values() -> None:
    console = from_environment({"CAUNOI_COOKIE_SECURE": "yes", "CAUNOI_ONCALL_TELEGRAM_CHAT_ID": "-1001234567890",
                                "CAUNOI_CONSOLE_URL": "https://hotline.example.org/", "CAUNOI_TRUST_PROXY": "true",
                                "CAUNOI_SESSION_IDLE_MINUTES": "20"}).console
    assert (console.cookie_secure, console.oncall_telegram_chat_id, console.url) == \
        ("true", "-1001234567890", "https://hotline.example.org")
    assert console.trust_proxy and console.session_idle_minutes == 20


@pytest.mark.parametrize(("env", "message"), [
    ({"CAUNOI_COOKIE_SECURE": "sometimes"}, "CAUNOI_COOKIE_SECURE must be auto, true or false"),
    ({"CAUNOI_ONCALL_TELEGRAM_CHAT_ID": "my group"}, "CAUNOI_ONCALL_TELEGRAM_CHAT_ID must be a numeric chat id"),
    ({"CAUNOI_SESSION_IDLE_MINUTES": "0"}, "CAUNOI_SESSION_IDLE_MINUTES must be between"),
    ({"CAUNOI_CONSOLE_URL": "hotline.example.org"}, "CAUNOI_CONSOLE_URL must be an http(s) URL"),
])
def test_bad_values_fail_fast(env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=re.escape(message)):
        from_environment(env)


def test_every_console_setting_is_in_env_example() -> None:
    listed = set(re.findall(r"^([A-Z_]+)=", (PROJECT_ROOT / ".env.example").read_text(encoding="utf-8"), re.M))
    assert set(NAMES) <= listed
