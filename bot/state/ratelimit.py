"""Outbound rate limits shared by every gateway worker, kept in Redis.

A generic cell rate algorithm (GCRA): each limit stores the "theoretical arrival time" of its next message. A
sender reserves a slot and is told how long to wait for it, so there is no polling and no lost slot; bursts up
to `burst` messages pass at once. Workers' clocks only need to agree to within a few milliseconds.

A slot can be taken ahead (`take`), while the sender waits for something else anyway (Rasa's answer, the
previous message's post), and used a little later (`use`): the round trip then costs the reply nothing. Used
more than `AHEAD_SECONDS` after its time, a slot no longer counts (`fresh`) and the sender takes another: slots
taken over a long wait and all used at once would make a burst the limit never allowed.

Inbound requests are not made to wait: `allow` takes a slot only when one is free now, and otherwise says how long
until one is (the caller answers 429 with that as Retry-After). A refused request takes nothing, so a client that
keeps knocking is let in again as soon as the rate allows.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import redis.asyncio

from bot.state import keys

# One slot of each limit in KEYS (ARGV: now, then interval and tolerance per key); the longest wait among them.
_RESERVE = """
local now = tonumber(ARGV[1])
local longest = 0
for i = 1, #KEYS do
  local interval = tonumber(ARGV[2 * i])
  local tolerance = tonumber(ARGV[2 * i + 1])
  local tat = tonumber(redis.call('GET', KEYS[i]) or '0')
  if tat < now then tat = now end
  local wait = tat - tolerance - now
  if wait > longest then longest = wait end
  local ttl = math.ceil((tat + interval - now) * 1000) + 1000
  redis.call('SET', KEYS[i], tostring(tat + interval), 'PX', ttl)
end
return tostring(longest)
"""


# A slot of every limit in KEYS if each has one free now (ARGV as _RESERVE): "0"; else the longest wait, nothing taken.
_ALLOW = """
local now = tonumber(ARGV[1])
local longest = 0
local tats = {}
for i = 1, #KEYS do
  local tat = tonumber(redis.call('GET', KEYS[i]) or '0')
  if tat < now then tat = now end
  tats[i] = tat
  local wait = tat - tonumber(ARGV[2 * i + 1]) - now
  if wait > longest then longest = wait end
end
-- Times are kept as Lua prints numbers (14 digits: 0.1 ms at today's epoch): a wait under a millisecond is rounding.
if longest > 0.001 then return tostring(longest) end
for i = 1, #KEYS do
  local next_tat = tats[i] + tonumber(ARGV[2 * i])
  redis.call('SET', KEYS[i], tostring(next_tat), 'PX', math.ceil((next_tat - now) * 1000) + 1000)
end
return '0'
"""


AHEAD_SECONDS = 0.5  # a slot taken ahead holds this long past its time: at most half a second's messages bunch up


@dataclass(frozen=True)
class Reservation:
    """A slot of some limits, usable from `ready` (on the limiter's clock)."""

    ready: float


@dataclass(frozen=True)
class Rate:
    per_second: float
    burst: int = 1

    @property
    def interval(self) -> float:
        return 1.0 / self.per_second


class RateLimiter:
    def __init__(self, client: redis.asyncio.Redis, sleep: Callable[[float], Awaitable[None]],
                 clock: Callable[[], float] = time.time):
        self._redis = client
        self._reserve = client.register_script(_RESERVE)
        self._allow = client.register_script(_ALLOW)
        self._sleep = sleep
        self._clock = clock

    async def take(self, limits: list[tuple[str, Rate]]) -> Reservation:
        """The next slot of every limit at once (one round trip), to be used (`use`) later."""
        now = self._clock()
        wait = await self._reserve(keys=[keys.rate(name) for name, _ in limits], args=self._args(now, limits))
        return Reservation(now + float(wait))

    async def allow(self, limits: list[tuple[str, Rate]]) -> float:
        """A slot of every limit now (0.0), or, taking nothing, the seconds until each has one."""
        wait = await self._allow(keys=[keys.rate(name) for name, _ in limits], args=self._args(self._clock(), limits))
        return float(wait)

    @staticmethod
    def _args(now: float, limits: list[tuple[str, Rate]]) -> list[str | float]:
        args: list[str | float] = [f"{now:.6f}"]
        for _, rate in limits:
            args += [rate.interval, rate.interval * (rate.burst - 1)]
        return args

    def fresh(self, reservation: Reservation) -> bool:
        """Whether a slot taken ahead still counts (see the module's note)."""
        return self._clock() - reservation.ready <= AHEAD_SECONDS

    async def use(self, reservation: Reservation) -> float:
        """Waits until the slot's time; the time waited."""
        delay = reservation.ready - self._clock()
        if delay > 0:
            await self._sleep(delay)
        return max(0.0, delay)

    async def wait(self, limits: list[tuple[str, Rate]]) -> float:
        """Waits until every limit allows one more message; the time waited."""
        return await self.use(await self.take(limits)) if limits else 0.0
