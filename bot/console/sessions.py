"""Console sessions and login limits, in Redis.

A session is a random token in an HttpOnly cookie; Redis keeps only its SHA-256 (a copy of the database holds no
usable session) with the operator, a CSRF token, and when it began and was last used. It ends after
`idle_seconds` without a request, after `max_seconds` in any case, at logout, and when the operator is disabled or
their password reset. Failed logins are counted per username and per address over a window; past the limit the
login is refused without looking at the password.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

import redis.asyncio

from bot import keys
from bot.console.clock import Clock
from bot.console.operators import Operator, OperatorStore

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


class Sessions:
    def __init__(self, client: redis.asyncio.Redis, operators: OperatorStore, idle_seconds: float,
                 max_seconds: float, clock: Clock):
        self._redis = client
        self._operators = operators
        self._idle = idle_seconds
        self._max = max_seconds
        self._clock = clock

    @property
    def max_seconds(self) -> float:
        return self._max

    async def create(self, operator: Operator) -> tuple[str, Session]:
        """A new session: the token for the cookie (shown nowhere else) and the session."""
        token = secrets.token_urlsafe(TOKEN_BYTES)
        csrf = secrets.token_urlsafe(TOKEN_BYTES)
        now = self._clock()
        key = keys.session(digest(token))
        await self._redis.hset(key, mapping={"username": operator.username, "csrf": csrf, "created": f"{now:.3f}",
                                             "seen": f"{now:.3f}", "generation": str(operator.generation)})
        await self._redis.expire(key, int(self._max) + 60)
        return token, Session(digest(token), operator, csrf, now)

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

    async def end(self, session: Session) -> None:
        await self._redis.delete(keys.session(session.digest))


class LoginLimiter:
    """Refuses logins for a username after `max_failures` failures, and for an address after four times as many,
    until `lock_seconds` pass without another failure."""

    def __init__(self, client: redis.asyncio.Redis, max_failures: int, lock_seconds: int):
        self._redis = client
        self._max = max_failures
        self._lock = lock_seconds

    def _keys(self, username: str, address: str) -> tuple[str, str]:
        # Hashed: people type passwords into the username field, and addresses are personal data.
        return (keys.login_failures("user", digest(username.lower()[:64])),
                keys.login_failures("ip", digest(address)))

    async def locked(self, username: str, address: str) -> bool:
        user_key, address_key = self._keys(username, address)
        user, by_address = await self._redis.mget(user_key, address_key)
        return int(user or 0) >= self._max or int(by_address or 0) >= self._max * 4

    async def failed(self, username: str, address: str) -> None:
        async with self._redis.pipeline(transaction=True) as pipe:
            for key in self._keys(username, address):
                pipe.incr(key)
                pipe.expire(key, self._lock)
            await pipe.execute()

    async def succeeded(self, username: str) -> None:
        await self._redis.delete(self._keys(username, "")[0])
