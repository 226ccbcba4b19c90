from __future__ import annotations

import pytest

from bot.settings import RedisLocation, Secret, SettingsError, from_environment


def test_redis_url_is_split_for_rasa() -> None:
    location = RedisLocation.parse("rediss://user:s3cret@cache.internal:6380/4")
    assert (location.host, location.port, location.db, location.username, location.use_ssl) == (
        "cache.internal", 6380, 4, "user", True)
    assert location.password.reveal() == "s3cret"
    assert "s3cret" not in location.display() and "s3cret" not in repr(location)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"REDIS_URL": "http://localhost:6379"}, "redis://"),
        ({"REDIS_URL": "redis://localhost:6379/abc"}, "database must be a number"),
        ({"CAUNOI_HTTP_PORT": "eighty"}, "CAUNOI_HTTP_PORT must be a whole number"),
        ({"CAUNOI_HTTP_PORT": "70000"}, "between 1 and 65535"),
        ({"CAUNOI_RASA_URL": "rasa:5005"}, "CAUNOI_RASA_URL must be an http(s) URL"),
        ({"CAUNOI_TELEGRAM_WEBHOOK_SECRET": "has spaces"}, "CAUNOI_TELEGRAM_WEBHOOK_SECRET"),
        ({"CAUNOI_RASA_TIMEOUT": "-1"}, "must be positive"),
    ],
)
def test_bad_settings_fail_with_a_reason(env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message.replace("(", r"\(").replace(")", r"\)")):
        from_environment(env)


def test_secrets_never_print() -> None:
    settings = from_environment({"CAUNOI_TELEGRAM_TOKEN": "123:ABCDEF", "CAUNOI_SECRET_KEY": "topsecret"})
    shown = repr(settings) + str(settings)
    assert "123:ABCDEF" not in shown and "topsecret" not in shown
    assert settings.telegram_token.reveal() == "123:ABCDEF"
    assert repr(Secret("")) == "Secret('')"


def test_defaults_need_no_environment() -> None:
    settings = from_environment({})
    assert settings.http_port == 8000
    assert settings.rasa_port == 5005 and settings.actions_port == 5055
    assert settings.redis_url is None
    with pytest.raises(SettingsError, match="REDIS_URL is not set"):
        settings.redis  # noqa: B018
