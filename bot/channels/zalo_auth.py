"""Zalo OA access tokens: kept in Redis, refreshed by exactly one worker at a time.

A refresh returns a new access token *and* a new refresh token; the old refresh token stops working. Two workers
refreshing at once would each spend the same refresh token and one of them would lock the OA out. So a refresh
takes a Redis lock, re-reads the stored pair (another worker may have just refreshed: then that pair is used, no
call), calls Zalo, and stores the new pair with one HSET (atomic). Workers that find the lock taken wait for the
pair to change. The pair in the environment seeds Redis once; setting a different pair there replaces it.

Both tokens are sealed at rest (bot/state/sealed.py) like the conversations: whoever reads the Redis data must not be
able
to write to people as the OA. A pair stored before sealing still opens, and is sealed at its next refresh or by
`caunoi keys rotate`.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import secrets
import time
from collections.abc import Awaitable, Callable

import httpx
import redis.asyncio

from bot.settings import Secret
from bot.state import keys
from bot.state.sealed import Sealer, Unreadable, process_sealer

log = logging.getLogger(__name__)
REFRESH_MARGIN_SECONDS = 15 * 60  # refresh this long before the access token expires
LOCK_TTL_SECONDS = 30.0
WAIT_FOR_OTHER_SECONDS = 20.0

_SEED = """
if redis.call('HGET', KEYS[1], 'seed') == ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'access_token', ARGV[2], 'refresh_token', ARGV[3], 'expires_at', '0', 'seed', ARGV[1])
return 1
"""

_UNLOCK = """
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1
"""


class TokenUnavailable(RuntimeError):
    """No usable access token. `permanent`: a human must set a new token pair (retrying will not help)."""

    def __init__(self, reason: str, permanent: bool):
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent


class ZaloTokens:
    def __init__(self, client: redis.asyncio.Redis, http: httpx.AsyncClient, oauth_url: str, app_id: str,
                 app_secret: Secret, access_token: Secret, refresh_token: Secret,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
                 clock: Callable[[], float] = time.time, sealer: Sealer | None = None):
        self._redis = client
        self._sealer = sealer or process_sealer()
        self._http = http
        self._url = f"{oauth_url}/v4/oa/access_token"
        self._app_id = app_id
        self._app_secret = app_secret
        self._initial = (access_token, refresh_token)
        self._seed_script = client.register_script(_SEED)
        self._unlock = client.register_script(_UNLOCK)
        self._sleep = sleep
        self._clock = clock
        self._seeded = False

    async def _seed(self) -> None:
        access, refresh = self._initial
        if access or refresh:
            fingerprint = hashlib.sha256(f"{access.reveal()}\n{refresh.reveal()}".encode()).hexdigest()[:24]
            await self._seed_script(keys=[keys.ZALO_TOKENS], args=[fingerprint, self._sealer.seal(access.reveal()),
                                                                   self._sealer.seal(refresh.reveal())])
        self._seeded = True

    async def access_token(self) -> str:
        """A current access token, refreshed first when it is about to expire."""
        if not self._seeded:
            await self._seed()
        stored = await self._stored()
        token = stored.get("access_token", "")
        expires_at = float(stored.get("expires_at") or 0)
        if not token:
            return await self.refresh(token)
        if expires_at and expires_at - self._clock() < REFRESH_MARGIN_SECONDS:
            try:
                return await self.refresh(token)
            except TokenUnavailable:
                if expires_at <= self._clock():
                    raise
                log.warning("zalo token refresh failed; the current token is still valid for a while")
        return token

    async def refresh(self, stale: str) -> str:
        """Replaces `stale` (the token that failed or is expiring) unless another worker already did; the new token."""
        deadline = time.monotonic() + WAIT_FOR_OTHER_SECONDS
        while True:
            lock = secrets.token_hex(12)
            if await self._redis.set(keys.ZALO_REFRESH_LOCK, lock, nx=True, px=int(LOCK_TTL_SECONDS * 1000)):
                try:
                    stored = await self._stored()
                    current = stored.get("access_token", "")
                    if current and current != stale:
                        return current
                    return await self._call_zalo(stored.get("refresh_token", ""))
                finally:
                    await self._unlock(keys=[keys.ZALO_REFRESH_LOCK], args=[lock])
            await self._sleep(0.05)
            latest = (await self._stored()).get("access_token", "")
            if latest and latest != stale:
                return latest
            if time.monotonic() > deadline:
                raise TokenUnavailable("timed out waiting for another worker's token refresh", permanent=False)

    async def _stored(self) -> dict[str, str]:
        """The stored pair, opened, and its expiry."""
        stored: dict[str, str] = await self._redis.hgetall(keys.ZALO_TOKENS)
        try:
            return {name: self._sealer.open(value) if name in keys.ZALO_TOKENS_SEALED else value
                    for name, value in stored.items()}
        except Unreadable:
            raise TokenUnavailable("the stored Zalo tokens are sealed with a key CAUNOI_DATA_KEYS no longer holds; "
                                   "set a new token pair", permanent=True) from None

    async def _call_zalo(self, refresh_token: str) -> str:
        if not refresh_token or not self._app_secret:
            raise TokenUnavailable("no Zalo refresh token or app secret configured", permanent=True)
        try:
            response = await self._http.post(
                self._url, headers={"secret_key": self._app_secret.reveal()},
                data={"refresh_token": refresh_token, "app_id": self._app_id, "grant_type": "refresh_token"},
            )
            data = response.json()
        except (httpx.HTTPError, ValueError) as error:
            raise TokenUnavailable(f"token refresh failed ({type(error).__name__})", permanent=False) from None
        access, refresh = data.get("access_token"), data.get("refresh_token")
        if response.status_code >= 500:
            raise TokenUnavailable(f"token refresh failed (HTTP {response.status_code})", permanent=False)
        if not (isinstance(access, str) and access and isinstance(refresh, str) and refresh):
            # Zalo's error names carry no secrets; the body is not logged, it may echo the token.
            raise TokenUnavailable(f"Zalo refused the token refresh ({data.get('error', response.status_code)}); "
                                   "set a new token pair", permanent=True)
        try:
            lifetime = float(data.get("expires_in") or 0)
        except (TypeError, ValueError):
            lifetime = 0.0
        expires_at = self._clock() + lifetime if lifetime > 0 else 0.0
        await self._redis.hset(keys.ZALO_TOKENS, mapping={"access_token": self._sealer.seal(access),
                                                          "refresh_token": self._sealer.seal(refresh),
                                                          "expires_at": f"{expires_at:.0f}"})
        log.info("zalo access token refreshed, valid for %.0f s", lifetime)
        return access
