"""bot/logs.py: one JSON object per line, and no secret, bot token, raw conversation id or exception message in it."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from bot.logs import Redact, configure, logging_config
from bot.privacy import log_id
from bot.settings import Settings
from tests.conftest import make_settings

TOKEN = "987654321:AAF-leak-scan-token-0123456789abcdefXYZ"
ZALO_ACCESS = "zalo-access-token-leakscan"


@pytest.fixture
def captured() -> Iterator[tuple[io.StringIO, Settings]]:
    settings = make_settings(CAUNOI_TELEGRAM_TOKEN=TOKEN, CAUNOI_ZALO_ACCESS_TOKEN=ZALO_ACCESS,
                             CAUNOI_SECRET_KEY="key-for-hashing-ids", CAUNOI_LOG_LEVEL="DEBUG")
    stream = io.StringIO()
    root = logging.getLogger()
    before = root.handlers[:], root.level
    configure(settings, stream=stream)
    yield stream, settings
    restore(before[0], before[1])


def restore(handlers: list[logging.Handler], level: int) -> None:
    """Puts back pytest's handlers and undoes what the dictConfig did to uvicorn's and sanic's loggers."""
    root = logging.getLogger()
    root.handlers[:] = handlers
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "sanic.root", "sanic.error"):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True
    for name in ("rasa", "rasa_sdk"):
        logging.getLogger(name).setLevel(logging.NOTSET)


def lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_a_line_is_one_json_object_with_the_fields_given(captured: tuple[io.StringIO, Settings]) -> None:
    stream, _ = captured
    turn = {"conversation": "ab12", "intent": "greet", "ms": 12.5}
    logging.getLogger("bot.gateway.dispatch").info("turn", extra=turn)
    [line] = lines(stream)
    assert set(line) == {"time", "level", "logger", "message", "conversation", "intent", "ms"}
    assert (line["level"], line["logger"], line["message"], line["intent"], line["ms"]) == \
        ("INFO", "bot.gateway.dispatch", "turn", "greet", 12.5)
    assert str(line["time"]).endswith("Z")


@pytest.mark.parametrize("raw", ["tg:123456789", "zalo:8812345678901234567", "web:abcdefgh-12", "tg%3A-1001234"])
def test_raw_conversation_ids_become_their_keyed_hash(captured: tuple[io.StringIO, Settings], raw: str) -> None:
    stream, settings = captured
    logging.getLogger("anything").warning("lost %s in /api/conversations/%s/claim", raw, raw)
    [line] = lines(stream)
    digits = raw.split(":")[-1].split("%3A")[-1]
    assert digits not in str(line["message"])
    canonical = raw.replace("%3A", ":")
    assert f"conversation#{log_id(canonical, settings.secret_key.reveal())}" in str(line["message"])


def test_secrets_and_bot_token_urls_are_redacted(captured: tuple[io.StringIO, Settings]) -> None:
    stream, _ = captured
    logging.getLogger("httpx").warning("POST http://api/bot%s/sendMessage", TOKEN)
    logging.getLogger("x").error("token %s access %s", TOKEN.replace("987654321", "111112"), ZALO_ACCESS)
    logging.getLogger("x").error("field", extra={"url": f"https://api.telegram.org/bot{TOKEN}/getMe"})
    text = stream.getvalue()
    assert TOKEN not in text and ZALO_ACCESS not in text and "leak-scan-token" not in text
    assert text.count("[redacted]") >= 4


def test_an_exception_shows_its_type_and_place_never_its_message(captured: tuple[io.StringIO, Settings]) -> None:
    stream, _ = captured
    try:
        raise ValueError("Tôi bị giữ hộ chiếu ở Campuchia")
    except ValueError:
        logging.getLogger("bot.app").exception("unreadable update")
    [line] = lines(stream)
    assert line["exc_type"] == "builtins.ValueError"
    assert "test_logs.py" in str(line["exc_at"])
    assert "hộ chiếu" not in json.dumps(line, ensure_ascii=False)


def test_noisy_libraries_stay_at_warning(captured: tuple[io.StringIO, Settings]) -> None:
    stream, _ = captured
    logging.getLogger("httpx").info("HTTP Request: POST http://x/bot%s/getMe", TOKEN)
    logging.getLogger("telegram.ext").debug("request data")
    assert stream.getvalue() == ""


def test_text_format_is_one_readable_line_with_the_same_rules() -> None:
    settings = make_settings(CAUNOI_TELEGRAM_TOKEN=TOKEN, CAUNOI_LOG_FORMAT="text")
    stream = io.StringIO()
    root = logging.getLogger()
    before = root.handlers[:], root.level
    try:
        configure(settings, stream=stream)
        logging.getLogger("bot.x").warning("sent to tg:42 with %s", TOKEN, extra={"risk": "high"})
    finally:
        restore(*before)
    text = stream.getvalue()
    assert text.count("\n") == 1 and "risk=high" in text and "WARNING" in text
    assert TOKEN not in text and "tg:42" not in text


def test_the_file_config_for_other_processes_holds_no_secret() -> None:
    settings = make_settings(CAUNOI_TELEGRAM_TOKEN=TOKEN, CAUNOI_ZALO_ACCESS_TOKEN=ZALO_ACCESS)
    dumped = json.dumps(logging_config(settings))
    assert TOKEN not in dumped and ZALO_ACCESS not in dumped and "test-secret-key" not in dumped


def test_the_filter_of_another_process_reads_its_secrets_from_the_environment(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAUNOI_TELEGRAM_TOKEN", TOKEN)
    record = logging.LogRecord("rasa", logging.ERROR, __file__, 1, "call to %s failed", (f"/bot{TOKEN}/x",), None)
    Redact().filter(record)
    assert TOKEN not in record.getMessage()


def test_bad_log_settings_stop_the_process_with_the_name() -> None:
    from bot.settings import SettingsError
    with pytest.raises(SettingsError, match="CAUNOI_LOG_FORMAT"):
        make_settings(CAUNOI_LOG_FORMAT="xml")
    with pytest.raises(SettingsError, match="CAUNOI_LOG_LEVEL"):
        make_settings(CAUNOI_LOG_LEVEL="loud")


def test_a_traceback_logged_as_text_keeps_frames_and_types_only(captured: tuple[io.StringIO, Settings]) -> None:
    stream, _ = captured
    text = ("Traceback (most recent call last):\n  File \"bot/app.py\", line 9, in lifespan\n    start()\n"
            "httpx.ConnectError: cannot reach http://api/bot" + TOKEN + "/getMe for Tôi bị giữ\nmore of it\n")
    logging.getLogger("uvicorn.error").error(text)
    [line] = lines(stream)
    assert line["message"] == ("Traceback (most recent call last):\n  File \"bot/app.py\", line 9, in lifespan\n"
                               "    start()\nhttpx.ConnectError")


def test_rasa_structured_events_keep_no_text(captured: tuple[io.StringIO, Settings]) -> None:
    stream, _ = captured
    # What Rasa 3.6's REST channel logs when the gateway gave up waiting for a turn.
    event = {"text": "em bị giữ ở Campuchia", "event": "rest.message.received.timeout", "level": "error"}
    logging.getLogger("rasa.core.channels.rest").error(json.dumps(event))
    logging.getLogger("rasa.core.processor").info("Loading model")
    logging.getLogger("rasa.core.processor").debug("Received user message 'em bị giữ ở Campuchia'")  # DEBUG is set
    [timeout, plain] = lines(stream)
    assert "Campuchia" not in stream.getvalue()
    assert json.loads(str(timeout["message"])) == {"event": "rest.message.received.timeout", "level": "error"}
    assert plain["message"] == "Loading model"
