"""Logging for every process we start: one JSON object per line on stderr, and nothing in it that names a person.

    from bot.logs import configure
    configure(settings)                      # gateway, `caunoi telegram poll`
    logging_config(settings)                 # the same, as a dictConfig for Rasa and the action server

A line holds `time`, `level`, `logger`, `message` and the structured fields given with `extra=` (`conversation`
already hashed with `bot.privacy.log_id`, `intent`, `risk`, `ms`, ...). Our code never logs message text; the
`Redact` filter is the net under that rule for code we do not own: it replaces the values of our secrets, anything
shaped like a Telegram bot token and raw conversation ids (tg:/zalo:/web:) in every line, and the formatters never
print an exception's message (httpx errors quote URLs, and a Bot API URL holds the bot token), only its type and
where it was raised. `CAUNOI_LOG_FORMAT=text` gives one readable line per record for local work, with the same rules.
"""

from __future__ import annotations

import json
import logging
import logging.config
import math
import os
import re
import sys
import time
import traceback
from collections.abc import Iterable, Mapping
from types import TracebackType
from typing import Any

from bot.privacy import log_id
from bot.settings import Secret, Settings, SettingsError, from_environment

# Telegram bot tokens: `<bot id>:<35 characters>`; also the token as a Bot API URL path segment (`/bot<token>/`).
BOT_TOKEN = re.compile(r"\d{5,}:[A-Za-z0-9_-]{30,}")
BOT_URL_PATH = re.compile(r"/bot[^/\s\"']+")
CONVERSATION = re.compile(r"\b(tg|zalo|web)(:|%3A|%3a)(-?[A-Za-z0-9_-]+)")
# Libraries that log request URLs or request bodies below WARNING: never more verbose than WARNING.
QUIET_LIBRARIES = ("httpx", "httpcore", "telegram", "hpack", "urllib3", "asyncio", "uvicorn.access",
                   "sanic.access", "aiohttp.access", "aiohttp.client")
# Standard record attributes, and uvicorn's `color_message` (the same message with terminal colours).
_RECORD_FIELDS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime",
                                                                                    "taskName", "color_message"}
REDACTED = "[redacted]"


def secret_values(settings: Settings) -> list[str]:
    """Every secret the process knows, plus the secrets inside the Redis URL: what a log line must never hold."""
    found: list[str] = []
    for value in vars(settings).values():
        for item in value if isinstance(value, tuple) else (value,):
            if isinstance(item, Secret) and item:
                found.append(item.reveal())
    if settings.redis_url:
        password = settings.redis.password.reveal()
        if password:
            found.append(password)
    return found


class Redact(logging.Filter):
    """Rewrites each record's message so no secret, bot token or raw conversation id is left in it.

    Attached to handlers (a logger's own filters do not see records from its children). `secrets` defaults to the
    ones in this process's environment, so a dictConfig (Rasa, the action server) can build it with no arguments.
    """

    def __init__(self, secrets: Iterable[str] | None = None, key: str | None = None) -> None:
        super().__init__()
        if secrets is None or key is None:
            try:
                settings = from_environment()
            except SettingsError:
                settings = None
            if secrets is None:
                secrets = secret_values(settings) if settings else []
            if key is None:
                key = settings.secret_key.reveal() if settings else ""
        # Longest first, so a secret that contains another is replaced whole. Very short values would blank
        # ordinary words, and are not secrets anyone should use.
        self._secrets = sorted({s for s in secrets if len(s) >= 6}, key=len, reverse=True)
        self._key = key

    def scrub(self, text: str) -> str:
        for value in self._secrets:
            if value in text:
                text = text.replace(value, REDACTED)
        text = BOT_TOKEN.sub(REDACTED, text)
        text = BOT_URL_PATH.sub("/bot" + REDACTED, text)
        return CONVERSATION.sub(lambda m: "conversation#" + log_id(f"{m[1]}:{m[3]}", self._key), text)

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not cost the line, nor print its arguments
            message = f"{record.msg!s} [unformattable arguments]"
        if TRACEBACK_START in message:  # uvicorn logs a failed startup as traceback text, messages and all
            message = without_exception_messages(message)
        if record.name.startswith("rasa"):
            message = rasa_event_without_content(message)
        record.msg, record.args = self.scrub(message), None
        for name, value in list(vars(record).items()):
            if name not in _RECORD_FIELDS and isinstance(value, str):
                setattr(record, name, self.scrub(value))
        return True


# Rasa 3.6 logs structured events as a JSON object in the message, and some carry what the person wrote
# (`rest.message.received.timeout` has `text`, at ERROR): of those, only these fields are kept.
RASA_EVENT_FIELDS = ("event", "level", "action_name", "policy_name", "intent_name", "confidence", "event_key")


def rasa_event_without_content(message: str) -> str:
    """A Rasa structured event cut to fields that never hold text; any other message as it is."""
    if not message.startswith("{"):
        return message
    try:
        event = json.loads(message)
    except ValueError:
        return message
    if not isinstance(event, dict) or "event" not in event:
        return message
    return json.dumps({name: event[name] for name in RASA_EVENT_FIELDS if name in event}, ensure_ascii=False)


TRACEBACK_START = "Traceback (most recent call last):"
_EXCEPTION_LINE = re.compile(r"([A-Za-z_][\w.]*)(: .*)?")


def without_exception_messages(text: str) -> str:
    """A traceback printed as text, cut to its frames and exception types: every `Type: message` line becomes
    `Type`, and any other line the traceback does not start with two spaces (a message's own lines) goes."""
    head, _, trace = text.partition(TRACEBACK_START)
    kept = [head + TRACEBACK_START]
    for line in trace.splitlines()[1:]:
        if line.startswith("  ") or line.startswith((TRACEBACK_START, "During handling", "The above exception")):
            kept.append(line)
        elif found := _EXCEPTION_LINE.fullmatch(line):
            kept.append(found[1])
    return "\n".join(kept)


def _exception(exc_info: Any) -> dict[str, Any]:
    """The exception's type and where it happened; never its message, which may quote text, URLs or tokens."""
    if not exc_info or exc_info is True or not isinstance(exc_info, tuple):
        return {}
    kind: type[BaseException] | None = exc_info[0]
    tb: TracebackType | None = exc_info[2]
    if kind is None:
        return {}
    frames = traceback.extract_tb(tb)[-5:] if tb else []
    return {"exc_type": f"{kind.__module__}.{kind.__qualname__}",
            "exc_at": [f"{os.path.basename(f.filename)}:{f.lineno}:{f.name}" for f in frames]}


def _extras(record: logging.LogRecord) -> dict[str, Any]:
    return {name: value for name, value in vars(record).items()
            if name not in _RECORD_FIELDS and not name.startswith("_")}


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return type(value).__name__  # an object's repr may carry anything; its type is enough


KEY_VALUE = re.compile(r"(?<![\w.=])([a-z_]{2,24})=([^\s=,;]+)")


def _number(value: str) -> str | int | float:
    try:
        return int(value)
    except ValueError:
        pass
    try:
        number = float(value)
    except ValueError:
        return value
    return number if math.isfinite(number) else value  # JSON has no NaN or Infinity


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, then the structured fields."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name, value in _extras(record).items():
            line.setdefault(name, _jsonable(value))
        for name, value in KEY_VALUE.findall(line["message"]):  # "turn conversation=ab12 ms=40" → fields too
            line.setdefault(name, _number(value))
        line.update(_exception(record.exc_info))
        return json.dumps(line, ensure_ascii=False, default=lambda value: type(value).__name__)


class TextFormatter(logging.Formatter):
    """`time level logger message key=value ...` for a person reading a terminal; the same content as JSON."""

    def format(self, record: logging.LogRecord) -> str:
        stamp = time.strftime("%H:%M:%S", time.localtime(record.created))
        fields = "".join(f" {name}={_jsonable(value)}" for name, value in _extras(record).items())
        failure = _exception(record.exc_info)
        where = f" [{failure['exc_type']} at {' < '.join(reversed(failure['exc_at']))}]" if failure else ""
        return f"{stamp} {record.levelname:<7} {record.name}: {record.getMessage()}{fields}{where}"


def logging_config(settings: Settings, fmt: str | None = None, in_memory: bool = False) -> dict[str, Any]:
    """The logging setup as a `logging.config.dictConfig` dictionary (Rasa and rasa_sdk take it as a YAML file).

    `in_memory`: hand the filter this process's secrets directly; a file for another process must not hold them
    (that process's filter reads them from its own environment).
    """
    level = settings.log_level
    redact: dict[str, Any] = {"()": "bot.logs.Redact"}
    if in_memory:
        redact.update(secrets=secret_values(settings), key=settings.secret_key.reveal())
    formatter = "bot.logs.JsonFormatter" if (fmt or settings.log_format) == "json" else "bot.logs.TextFormatter"
    library_level = "WARNING" if level in ("DEBUG", "INFO") else level
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"redact": redact},
        "formatters": {"caunoi": {"()": formatter}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "stream": "ext://sys.stderr",
                                "formatter": "caunoi", "filters": ["redact"]}},
        "root": {"level": level, "handlers": ["stderr"]},
        # Libraries with their own handlers and propagate=False (uvicorn, sanic) write through ours instead.
        "loggers": {
            **{name: {"level": library_level} for name in QUIET_LIBRARIES},
            # Rasa's and rasa_sdk's DEBUG lines quote what people wrote: never below INFO, whatever the setting.
            **{name: {"level": "INFO" if level == "DEBUG" else level} for name in ("rasa", "rasa_sdk")},
            # Our own lines carry the level themselves: inside Rasa, loading a model imports numpy.distutils, which
            # sets the root logger to WARNING (setuptools' distutils log is the root logger) and silenced them.
            "bot": {"level": level},
            **{name: {"handlers": ["stderr"], "propagate": False}
               for name in ("uvicorn", "uvicorn.error", "sanic.root", "sanic.error")},
        },
    }


def configure(settings: Settings, fmt: str | None = None, stream: Any = None) -> logging.Handler:
    """Sends every log record of this process through one redacting handler; returns the handler."""
    logging.config.dictConfig(logging_config(settings, fmt, in_memory=True))
    handler = logging.getLogger().handlers[0]
    if stream is not None and isinstance(handler, logging.StreamHandler):
        handler.setStream(stream)
    logging.captureWarnings(True)
    return handler


if __name__ == "__main__":  # `python -m bot.logs`: print the dictConfig (for checking a deployment)
    json.dump(logging_config(from_environment()), sys.stdout, indent=2)
