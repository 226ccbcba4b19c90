"""Settings, read from the environment once per process.

Every setting is listed in `.env.example`. Secrets are wrapped in `Secret` so that printing the
settings (or a traceback that shows them) never reveals a token.
"""

from __future__ import annotations

import base64
import binascii
import functools
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class SettingsError(RuntimeError):
    """A setting is missing or malformed; the message says which and what to do."""


class Secret:
    """A string that never shows itself in repr(), str() or logs."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __repr__(self) -> str:
        return "Secret('**********')" if self._value else "Secret('')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


@dataclass(frozen=True)
class RedisLocation:
    """Where Redis is, split into the parts Rasa's endpoint configuration wants."""

    url: str = field(repr=False)  # may hold the password
    host: str
    port: int
    db: int
    password: Secret = field(default_factory=lambda: Secret(""))
    username: str = ""
    use_ssl: bool = False

    @classmethod
    def parse(cls, url: str) -> RedisLocation:
        parts = urlsplit(url)
        if parts.scheme not in ("redis", "rediss"):
            raise SettingsError(f"REDIS_URL must start with redis:// or rediss://, got scheme {parts.scheme!r}")
        try:
            port = parts.port or 6379
        except ValueError as error:
            raise SettingsError(f"REDIS_URL has an invalid port: {error}") from None
        path = parts.path.lstrip("/")
        if path and not path.isdigit():
            raise SettingsError(f"REDIS_URL database must be a number, got {path!r}")
        return cls(
            url=url,
            host=parts.hostname or "127.0.0.1",
            port=port,
            db=int(path or 0),
            password=Secret(parts.password or ""),
            username=parts.username or "",
            use_ssl=parts.scheme == "rediss",
        )

    def display(self) -> str:
        """The URL without its password, for messages."""
        return f"{'rediss' if self.use_ssl else 'redis'}://{self.host}:{self.port}/{self.db}"


@dataclass(frozen=True)
class ConsoleSettings:
    """The operator console: sessions, login lockout, notices to waiting people, on-call alerts."""

    url: str = ""  # public base of the console for links in alerts; "" = http://127.0.0.1:<port>
    session_idle_minutes: int = 30
    session_max_hours: int = 12  # a night shift
    login_max_failures: int = 5  # per username; an address gets four times as many
    login_lock_minutes: int = 15
    cookie_secure: str = "auto"  # "auto": Secure when the request came over https (or X-Forwarded-Proto says so)
    trust_proxy: bool = False  # read the client address from X-Forwarded-For (only behind your own proxy)
    wait_notice_minutes: int = 10  # a person waiting this long is told they are still in the queue
    realert_minutes: int = 5  # a high-risk conversation still unclaimed alerts again this often
    oncall_telegram_chat_id: str = ""  # Telegram chat for on-call alerts (no message content), "" = none
    # Conversations held by an operator who is off or whose last session ended go back to the queue after this.
    handback_grace_minutes: int = 5
    # The supervisor's board lists a person unanswered this long (and a high-risk wait over realert_minutes).
    unanswered_minutes: int = 5
    # A high-risk conversation routed to a team's queue (bot/state/teams.py) opens to every team when nobody has
    # claimed it after this many minutes (at once when nobody of its team is on duty).
    team_spill_minutes: int = 5


@dataclass(frozen=True)
class Settings:
    redis_url: str | None
    http_port: int
    rasa_url: str
    actions_url: str
    rasa_token: Secret
    secret_key: Secret
    content_dir: Path
    model_dir: Path
    telegram_token: Secret
    telegram_bot_username: str
    telegram_webhook_secret: Secret
    telegram_api_url: str
    zalo_app_id: str
    zalo_oa_secret: Secret
    zalo_access_token: Secret
    zalo_refresh_token: Secret
    zalo_api_url: str
    zalo_oauth_url: str
    rasa_timeout_seconds: float
    log_level: str
    zalo_app_secret: Secret = field(default_factory=lambda: Secret(""))
    # CAUNOI_ZALO_CHOICES: how Zalo shows a message's options: "buttons" (tapped, bot/channels/zalo.py) or
    # "numbers" (a numbered list answered with a number, for an OA where buttons are refused).
    zalo_choices: str = "buttons"
    telegram_protect_safety: bool = True
    retention_days: int = 30
    # Days a conversation is kept after a handoff closed with one of these outcomes (others: retention_days).
    retention_by_outcome: tuple[tuple[str, int], ...] = (("referred", 90),)
    purge_interval_seconds: int = 3600  # how often conversations past their period are erased (bot/state/retention.py)
    # Days after which a verified directory entry is listed as "cần kiểm tra lại" (bot/console/directory.py).
    directory_recheck_days: int = 180
    # Referrals to partner organisations (bot/state/referrals.py): hours a consent question waits for the person's
    # answer before it expires (nothing shared); days a referral is kept at most (less when its conversation goes
    # first); the default days before the bot may check in, when the operator gives none.
    referral_consent_hours: int = 48
    referral_retention_days: int = 180
    referral_follow_up_days: int = 7
    audit_retention_days: int = 365  # the console's audit log (who did what to which conversation) is trimmed after
    telegram_delete_on_erase: str = "sensitive"  # off | sensitive | all (bot/channels/telegram_cleanup.py)
    # Outgoing Telegram messages per second for the whole bot, shared by every gateway worker (Telegram allows about
    # 30; more only with paid broadcasts). The load test lifts it to measure the stack itself.
    telegram_messages_per_second: float = 30.0
    # CAUNOI_RASA_URLS: Rasa servers the gateway spreads conversations over, each conversation always to the same
    # one (bot/gateway/rasa_client.py); empty = CAUNOI_RASA_URL only.
    rasa_urls: tuple[str, ...] = ()
    # CAUNOI_RASA_IN_FLIGHT: turns one gateway process sends to one Rasa server at once; the rest wait in order
    # (admission control, bot/gateway/rasa_client.py).
    rasa_in_flight: int = 4
    # CAUNOI_RASA_SERVERS: Rasa servers `caunoi run` starts (0: one per CPU core); ignored when CAUNOI_RASA_URLS
    # names them.
    rasa_servers: int = 0
    # CAUNOI_RASA_HOLDING_SECONDS: a turn Rasa has not answered by then gets one holding message with the safety
    # numbers, and goes on waiting (slow is not down: bot/gateway/dispatch.py).
    rasa_holding_seconds: float = 5.0
    minutes_per_waiting: int = 5  # the rough wait told to a person: this many minutes for each place in the queue
    console: ConsoleSettings = field(default_factory=ConsoleSettings)
    log_format: str = "json"  # CAUNOI_LOG_FORMAT: json (one object per line) or text (local work); bot/logs.py
    max_webhook_bytes: int = 1024 * 1024  # CAUNOI_MAX_WEBHOOK_BYTES: bodies on /webhooks/ (bot/gateway/middleware.py)
    max_api_bytes: int = 64 * 1024  # CAUNOI_MAX_API_BYTES: request bodies anywhere else (console API)
    data_keys: tuple[Secret, ...] = ()  # CAUNOI_DATA_KEYS: the first seals, all open (bot/state/sealed.py)
    # CAUNOI_ORG_NAME: who runs this deployment, named in the welcome and when asked "bot này của ai";
    # "" = a neutral sentence with no name (never an invented one).
    org_name: str = ""
    # CAUNOI_WEB_CHANNEL: the local chat channel (`caunoi chat`, /webhooks/web), a development tool. Off unless set;
    # `caunoi run` sets it for its children. Even on, it answers only clients on this machine (bot/channels/web.py).
    web_channel: bool = False
    body_timeout_seconds: int = 10  # CAUNOI_BODY_TIMEOUT_SECONDS: a request body not in by then is refused (408)
    max_connections: int = 1000  # CAUNOI_MAX_CONNECTIONS: open connections a gateway process holds; more get 503
    # CAUNOI_FOLLOW_UP_TICK_SECONDS: how often each gateway worker looks for follow-ups that are due (one sends each).
    follow_up_tick_seconds: float = 60.0

    @property
    def redis(self) -> RedisLocation:
        if not self.redis_url:
            raise SettingsError("REDIS_URL is not set (the local supervisor sets it for the processes it starts)")
        return RedisLocation.parse(self.redis_url)

    @property
    def rasa_port(self) -> int:
        return _port_of(self.rasa_url, "CAUNOI_RASA_URL")

    @property
    def actions_port(self) -> int:
        return _port_of(self.actions_url, "CAUNOI_ACTIONS_URL")


def _port_of(url: str, name: str) -> int:
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = None
    if port is None:
        raise SettingsError(f"{name} must name a port, e.g. http://127.0.0.1:5005, got {url!r}")
    return port


def _int(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, got {raw!r}") from None
    if not low <= value <= high:
        raise SettingsError(f"{name} must be between {low} and {high}, got {value}")
    return value


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number, got {raw!r}") from None
    if value <= 0:
        raise SettingsError(f"{name} must be positive, got {value}")
    return value


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise SettingsError(f"{name} must be true or false, got {raw!r}")


def _choice(env: Mapping[str, str], name: str, default: str, allowed: tuple[str, ...]) -> str:
    value = env.get(name, "").strip().lower() or default
    if value not in allowed:
        raise SettingsError(f"{name} must be one of {', '.join(allowed)}, got {value!r}")
    return value


def _url(env: Mapping[str, str], name: str, default: str) -> str:
    value = env.get(name, "").strip() or default
    if urlsplit(value).scheme not in ("http", "https"):
        raise SettingsError(f"{name} must be an http(s) URL, got {value!r}")
    return value.rstrip("/")


_DATA_KEY = re.compile(r"[A-Za-z0-9_-]{43}=")


def _data_keys(env: Mapping[str, str]) -> tuple[Secret, ...]:
    """CAUNOI_DATA_KEYS: comma-separated keys, newest first. Checked here so a bad key stops the process at start."""
    raw = env.get("CAUNOI_DATA_KEYS", "").strip()
    if not raw:
        return ()
    found = []
    for position, part in enumerate(raw.split(","), start=1):
        key = part.strip()
        try:
            valid = bool(_DATA_KEY.fullmatch(key)) and len(base64.urlsafe_b64decode(key)) == 32
        except (ValueError, binascii.Error):
            valid = False
        if not valid:  # never echo the value: it may be a real key with a typo
            raise SettingsError(f"CAUNOI_DATA_KEYS: key {position} is not a data key (44 characters of url-safe "
                                "base64, 32 bytes); `caunoi keys new` makes one, keys are separated by commas")
        found.append(Secret(key))
    return tuple(found)


ORG_NAME_LIMIT = 120


def _org_name(env: Mapping[str, str]) -> str:
    """CAUNOI_ORG_NAME: one line people read in the welcome; braces would be taken for a text's placeholders."""
    value = " ".join(env.get("CAUNOI_ORG_NAME", "").split())
    if len(value) > ORG_NAME_LIMIT:
        raise SettingsError(f"CAUNOI_ORG_NAME must be at most {ORG_NAME_LIMIT} characters (it is shown in the "
                            f"welcome), got {len(value)}")
    if any(char in "{}" or not char.isprintable() for char in value):
        raise SettingsError("CAUNOI_ORG_NAME must be plain text: no braces or control characters")
    return value


def _url_list(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    """Comma-separated http(s) URLs, each named once; () when unset."""
    raw = env.get(name, "").strip()
    if not raw:
        return ()
    urls = tuple(_url({name: part}, name, "") for part in raw.split(",") if part.strip())
    if len(set(urls)) != len(urls):
        raise SettingsError(f"{name} names a server twice: {raw!r}")
    return urls


# The outcomes an operator closes a handoff with (bot/console/handoff.py OUTCOMES).
CLOSE_OUTCOMES = ("referred", "informed", "no_response", "false_alarm")
DELETE_ON_ERASE = ("off", "sensitive", "all")


def _retention_by_outcome(env: Mapping[str, str]) -> tuple[tuple[str, int], ...]:
    """CAUNOI_RETENTION_BY_OUTCOME: `outcome=days` pairs separated by commas, e.g. `referred=90,false_alarm=7`."""
    name = "CAUNOI_RETENTION_BY_OUTCOME"
    raw = env.get(name, "").strip()
    if not raw:
        return (("referred", 90),)
    found: dict[str, int] = {}
    for part in raw.split(","):
        outcome, _, days = (piece.strip() for piece in part.partition("="))
        if outcome not in CLOSE_OUTCOMES:
            raise SettingsError(f"{name}: {outcome!r} is not an outcome; write outcome=days with outcome one of "
                                f"{', '.join(CLOSE_OUTCOMES)}")
        found[outcome] = _int({name: days}, name, 0, 1, 3650) if days else 0
        if not found[outcome]:
            raise SettingsError(f"{name}: {outcome} needs a number of days (outcome=days)")
    return tuple(sorted(found.items()))


def _delete_on_erase(env: Mapping[str, str]) -> str:
    value = env.get("CAUNOI_TELEGRAM_DELETE_ON_ERASE", "").strip().lower() or "sensitive"
    if value not in DELETE_ON_ERASE:
        raise SettingsError(f"CAUNOI_TELEGRAM_DELETE_ON_ERASE must be {', '.join(DELETE_ON_ERASE)}, got {value!r}")
    return value


def _console(env: Mapping[str, str], http_port: int) -> ConsoleSettings:
    secure = env.get("CAUNOI_COOKIE_SECURE", "").strip().lower() or "auto"
    if secure in ("1", "true", "yes", "on"):
        secure = "true"
    elif secure in ("0", "false", "no", "off"):
        secure = "false"
    elif secure != "auto":
        raise SettingsError(f"CAUNOI_COOKIE_SECURE must be auto, true or false, got {secure!r}")
    chat_id = env.get("CAUNOI_ONCALL_TELEGRAM_CHAT_ID", "").strip()
    if chat_id and not (chat_id.lstrip("-").isdigit() or (chat_id.startswith("@") and len(chat_id) > 1)):
        raise SettingsError("CAUNOI_ONCALL_TELEGRAM_CHAT_ID must be a numeric chat id (e.g. -1001234567890) "
                            "or @channel")
    return ConsoleSettings(
        url=_url(env, "CAUNOI_CONSOLE_URL", f"http://127.0.0.1:{http_port}"),
        session_idle_minutes=_int(env, "CAUNOI_SESSION_IDLE_MINUTES", 30, 1, 24 * 60),
        session_max_hours=_int(env, "CAUNOI_SESSION_MAX_HOURS", 12, 1, 72),
        login_max_failures=_int(env, "CAUNOI_LOGIN_MAX_FAILURES", 5, 1, 100),
        login_lock_minutes=_int(env, "CAUNOI_LOGIN_LOCK_MINUTES", 15, 1, 24 * 60),
        cookie_secure=secure,
        trust_proxy=_bool(env, "CAUNOI_TRUST_PROXY", False),
        wait_notice_minutes=_int(env, "CAUNOI_WAIT_NOTICE_MINUTES", 10, 1, 24 * 60),
        realert_minutes=_int(env, "CAUNOI_HIGH_RISK_REALERT_MINUTES", 5, 1, 24 * 60),
        oncall_telegram_chat_id=chat_id,
        handback_grace_minutes=_int(env, "CAUNOI_HANDBACK_GRACE_MINUTES", 5, 1, 24 * 60),
        unanswered_minutes=_int(env, "CAUNOI_UNANSWERED_MINUTES", 5, 1, 24 * 60),
        team_spill_minutes=_int(env, "CAUNOI_TEAM_SPILL_MINUTES", 5, 1, 24 * 60),
    )


def from_environment(env: Mapping[str, str] | None = None) -> Settings:
    """Builds the settings from `env` (default: os.environ); raises SettingsError on bad values."""
    env = os.environ if env is None else env
    redis_url = env.get("REDIS_URL", "").strip() or None
    if redis_url:
        RedisLocation.parse(redis_url)  # fail now, not on first use
    telegram_secret = env.get("CAUNOI_TELEGRAM_WEBHOOK_SECRET", "")
    if telegram_secret and not (
        len(telegram_secret) <= 256 and all(c.isascii() and (c.isalnum() or c in "_-") for c in telegram_secret)
    ):
        raise SettingsError("CAUNOI_TELEGRAM_WEBHOOK_SECRET must be 1-256 characters of A-Z, a-z, 0-9, _ and -")
    return Settings(
        redis_url=redis_url,
        http_port=_int(env, "CAUNOI_HTTP_PORT", 8000, 1, 65535),
        rasa_url=_url(env, "CAUNOI_RASA_URL", "http://127.0.0.1:5005"),
        actions_url=_url(env, "CAUNOI_ACTIONS_URL", "http://127.0.0.1:5055"),
        rasa_token=Secret(env.get("CAUNOI_RASA_TOKEN", "")),
        secret_key=Secret(env.get("CAUNOI_SECRET_KEY", "")),
        content_dir=Path(env.get("CAUNOI_CONTENT_DIR", "") or PROJECT_ROOT / "content" / "vi"),
        model_dir=Path(env.get("CAUNOI_MODEL_DIR", "") or PROJECT_ROOT / "models"),
        telegram_token=Secret(env.get("CAUNOI_TELEGRAM_TOKEN", "")),
        telegram_bot_username=env.get("CAUNOI_TELEGRAM_BOT_USERNAME", "").lstrip("@"),
        telegram_webhook_secret=Secret(telegram_secret),
        telegram_api_url=_url(env, "CAUNOI_TELEGRAM_API_URL", "https://api.telegram.org/bot"),
        zalo_app_id=env.get("CAUNOI_ZALO_APP_ID", ""),
        zalo_oa_secret=Secret(env.get("CAUNOI_ZALO_OA_SECRET", "")),
        zalo_access_token=Secret(env.get("CAUNOI_ZALO_ACCESS_TOKEN", "")),
        zalo_refresh_token=Secret(env.get("CAUNOI_ZALO_REFRESH_TOKEN", "")),
        zalo_api_url=_url(env, "CAUNOI_ZALO_API_URL", "https://openapi.zalo.me"),
        zalo_oauth_url=_url(env, "CAUNOI_ZALO_OAUTH_URL", "https://oauth.zaloapp.com"),
        rasa_timeout_seconds=_float(env, "CAUNOI_RASA_TIMEOUT", 10.0),
        log_level=_choice(env, "CAUNOI_LOG_LEVEL", "info", ("debug", "info", "warning", "error", "critical")).upper(),
        zalo_app_secret=Secret(env.get("CAUNOI_ZALO_APP_SECRET", "")),
        zalo_choices=_choice(env, "CAUNOI_ZALO_CHOICES", "buttons", ("buttons", "numbers")),
        telegram_protect_safety=_bool(env, "CAUNOI_TELEGRAM_PROTECT_SAFETY", True),
        retention_days=_int(env, "CAUNOI_RETENTION_DAYS", 30, 1, 3650),
        retention_by_outcome=_retention_by_outcome(env),
        purge_interval_seconds=_int(env, "CAUNOI_PURGE_INTERVAL_SECONDS", 3600, 1, 7 * 24 * 3600),
        audit_retention_days=_int(env, "CAUNOI_AUDIT_RETENTION_DAYS", 365, 1, 3650),
        directory_recheck_days=_int(env, "CAUNOI_DIRECTORY_RECHECK_DAYS", 180, 1, 3650),
        referral_consent_hours=_int(env, "CAUNOI_REFERRAL_CONSENT_HOURS", 48, 1, 24 * 30),
        referral_retention_days=_int(env, "CAUNOI_REFERRAL_RETENTION_DAYS", 180, 1, 3650),
        referral_follow_up_days=_int(env, "CAUNOI_REFERRAL_FOLLOW_UP_DAYS", 7, 1, 90),
        telegram_delete_on_erase=_delete_on_erase(env),
        telegram_messages_per_second=_float(env, "CAUNOI_TELEGRAM_MESSAGES_PER_SECOND", 30.0),
        rasa_urls=_url_list(env, "CAUNOI_RASA_URLS"),
        rasa_in_flight=_int(env, "CAUNOI_RASA_IN_FLIGHT", 4, 1, 256),
        rasa_servers=_int(env, "CAUNOI_RASA_SERVERS", 0, 0, 64),
        rasa_holding_seconds=_float(env, "CAUNOI_RASA_HOLDING_SECONDS", 5.0),
        minutes_per_waiting=_int(env, "CAUNOI_MINUTES_PER_WAITING", 5, 1, 240),
        console=_console(env, _int(env, "CAUNOI_HTTP_PORT", 8000, 1, 65535)),
        log_format=_choice(env, "CAUNOI_LOG_FORMAT", "json", ("json", "text")),
        max_webhook_bytes=_int(env, "CAUNOI_MAX_WEBHOOK_BYTES", 1024 * 1024, 1024, 64 * 1024 * 1024),
        max_api_bytes=_int(env, "CAUNOI_MAX_API_BYTES", 64 * 1024, 1024, 64 * 1024 * 1024),
        data_keys=_data_keys(env),
        org_name=_org_name(env),
        web_channel=_bool(env, "CAUNOI_WEB_CHANNEL", False),
        body_timeout_seconds=_int(env, "CAUNOI_BODY_TIMEOUT_SECONDS", 10, 1, 600),
        max_connections=_int(env, "CAUNOI_MAX_CONNECTIONS", 1000, 10, 100_000),
        follow_up_tick_seconds=_float(env, "CAUNOI_FOLLOW_UP_TICK_SECONDS", 60.0),
    )


@functools.lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return from_environment()
