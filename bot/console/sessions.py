"""Console sessions and login limits, in Redis.

A session is a random token in an HttpOnly cookie; Redis keeps only its SHA-256 (a copy of the database holds no
usable session) with the operator, a CSRF token, and when it began and was last used. It ends after
`idle_seconds` without a request, after `max_seconds` in any case, at logout, and when the operator is disabled or
their password reset. Each record is signed with CAUNOI_SECRET_KEY (bot/console/signing.py) over its key, operator,
generation, start and CSRF token: a session hash written straight into Redis is no session. Failed logins are
counted per username and per address over a window; past the limit the login is refused without looking at the
password.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass

import redis.asyncio

from bot.console.clock import Clock
from bot.console.operators import Operator, OperatorStore
from bot.console.signing import FIELD, RecordSigner
from bot.settings import Secret
from bot.state import keys

log = logging.getLogger(__name__)

TOKEN_BYTES = 32


def digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


@dataclass(frozen=True)
class Session:
    digest: str
    operator: Operator
    csrf: str
    created: float

    @property
    def username(self) -> str:
        return self.operator.username

    def csrf_ok(self, received: str | None) -> bool:
        return bool(received) and hmac.compare_digest(str(received).encode(), self.csrf.encode())


@dataclass(frozen=True)
class SessionInfo:
    digest: str
    created: float
    seen: float


class Sessions:
    def __init__(self, client: redis.asyncio.Redis, operators: OperatorStore, idle_seconds: float,
                 max_seconds: float, clock: Clock, secret_key: Secret):
        self._redis = client
        self._signer = RecordSigner(secret_key)
        self._operators = operators
        self._idle = idle_seconds
        self._max = max_seconds
        self._clock = clock

    async def create(self, operator: Operator) -> tuple[str, Session]:
        """A new session: the token for the cookie (shown nowhere else) and the session."""
        token = secrets.token_urlsafe(TOKEN_BYTES)
        csrf = secrets.token_urlsafe(TOKEN_BYTES)
        now = self._clock()
        key = keys.session(digest(token))
        record = {"username": operator.username, "csrf": csrf, "created": f"{now:.3f}",
                  "generation": str(operator.generation)}
        await self._redis.hset(key, mapping={**record, "seen": f"{now:.3f}", FIELD: self._signature(key, record)})
        await self._redis.expire(key, int(self._max) + 60)
        index = keys.operator_sessions(operator.username)
        await self._redis.sadd(index, digest(token))
        await self._redis.expire(index, int(self._max) + 60)
        return token, Session(digest(token), operator, csrf, now)

    async def of(self, operator: Operator) -> list[SessionInfo]:
        """The operator's live sessions, newest first; the index forgets sessions that ended."""
        index = keys.operator_sessions(operator.username)
        found = []
        for token_digest in await self._redis.smembers(index):
            session = await self.by_digest(token_digest, touch=False)
            if session is None or session.username != operator.username:
                await self._redis.srem(index, token_digest)
                continue
            seen = float(await self._redis.hget(keys.session(token_digest), "seen") or session.created)
            found.append(SessionInfo(token_digest, session.created, seen))
        return sorted(found, key=lambda info: info.created, reverse=True)

    async def current(self, token: str | None, touch: bool = True) -> Session | None:
        """The live session of a cookie token, None when there is none (or it just ended)."""
        if not token or len(token) > 128:
            return None
        return await self.by_digest(digest(token), touch)

    async def by_digest(self, token_digest: str, touch: bool = True) -> Session | None:
        key = keys.session(token_digest)
        data = await self._redis.hgetall(key)
        if not data:
            return None
        if not self._signer.valid(data.get(FIELD), *self._signed_fields(key, data)):
            log.warning("console session refused: its signature does not match (written outside Cầu Nối)")
            await self._redis.delete(key)
            return None
        now = self._clock()
        created, seen = float(data.get("created") or 0), float(data.get("seen") or 0)
        operator = await self._operators.get(data.get("username", ""))
        if (now - seen > self._idle or now - created > self._max or operator is None or operator.disabled
                or operator.generation != int(data.get("generation") or 0)):
            await self._redis.delete(key)
            return None
        if touch:
            await self._redis.hset(key, "seen", f"{now:.3f}")
        return Session(token_digest, operator, data.get("csrf", ""), created)

    @staticmethod
    def _signed_fields(key: str, record: Mapping[str, str]) -> tuple[str, ...]:
        # `seen` is not signed: it changes on every request, and moving it only keeps a real session (whose token
        # only its browser has) idle-alive longer; `created` bounds every session at max_seconds.
        return ("session", key, record.get("username", ""), record.get("generation", ""), record.get("created", ""),
                record.get("csrf", ""))

    def _signature(self, key: str, record: Mapping[str, str]) -> str:
        return self._signer.sign(*self._signed_fields(key, record))

    async def end(self, session: Session) -> None:
        await self._redis.delete(keys.session(session.digest))


class LoginLimiter:
    """Refuses logins for a username after `max_failures` failures, and for an address after four times as many,
    until `lock_seconds` pass without another failure.

    An attempt is counted before its password is checked (`reserve`, one atomic step in Redis), not after: counting
    after the slow verify let 150 simultaneous attempts all pass the check while the first five were still being
    verified. A success gives its reservation back (`succeeded`); a failure keeps it.
    """

    # KEYS: the username's and the address's counters. ARGV: the two limits and the lock period.
    # Over either limit: refused, nothing counted (a refused attempt does not prolong the lock).
    _RESERVE = """
    local user = tonumber(redis.call('GET', KEYS[1]) or '0')
    local address = tonumber(redis.call('GET', KEYS[2]) or '0')
    if user >= tonumber(ARGV[1]) or address >= tonumber(ARGV[2]) then
        return 0
    end
    redis.call('INCR', KEYS[1])
    redis.call('EXPIRE', KEYS[1], ARGV[3])
    redis.call('INCR', KEYS[2])
    redis.call('EXPIRE', KEYS[2], ARGV[3])
    return 1
    """
    # A success: the username's failures forgotten, the address's reservation given back (if it has not expired).
    _RELEASE = """
    redis.call('DEL', KEYS[1])
    if tonumber(redis.call('GET', KEYS[2]) or '0') > 0 then
        redis.call('DECR', KEYS[2])
    end
    return 1
    """

    def __init__(self, client: redis.asyncio.Redis, max_failures: int, lock_seconds: int):
        self._redis = client
        self._max = max_failures
        self._lock = lock_seconds
        self._reserve = client.register_script(self._RESERVE)
        self._release = client.register_script(self._RELEASE)

    def _keys(self, username: str, address: str) -> tuple[str, str]:
        # Hashed: people type passwords into the username field, and addresses are personal data.
        return (keys.login_failures("user", digest(username.lower()[:64])),
                keys.login_failures("ip", digest(address)))

    async def reserve(self, username: str, address: str) -> bool:
        """Counts one attempt as failed until it succeeds; False (nothing counted) when the username or the address
        is locked, and the password must then not be checked."""
        allowed = await self._reserve(keys=list(self._keys(username, address)),
                                      args=[self._max, self._max * 4, self._lock])
        return bool(allowed)

    async def succeeded(self, username: str, address: str) -> None:
        """The username's failures are forgotten; the address gives back this attempt's reservation only."""
        await self._release(keys=list(self._keys(username, address)))
