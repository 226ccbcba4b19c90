"""Re-sealing everything stored under the first key of CAUNOI_DATA_KEYS (`caunoi keys rotate`).

The procedure (README, "Keys for data at rest"): put the new key first and keep the old one after it, restart every
process (new values are then sealed with the new key, old ones still open), run `caunoi keys rotate`, and drop the
old key once the rotation reports nothing left under it.

Every value is replaced by compare-and-set in one script: a value that changed since it was read (a new transcript
entry, a tracker Rasa just saved, an inbox head a worker just popped) is left alone and counted, and the running
processes have already sealed it with the new key, or the next run re-seals it. A value no key opens stays as it
is: rotating never loses data.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Literal

import redis.asyncio

from bot.state import keys
from bot.state.sealed import Sealer, Unreadable

Kind = Literal["list", "hash", "string"]

# Where sealed values live: key pattern, Redis type, and for a hash the sealed fields (None: every field).
# Built from bot.state.keys with "*" for the conversation, so a renamed key is renamed here too.
SEALED: tuple[tuple[str, Kind, tuple[str, ...] | None], ...] = (
    (keys.transcript("*"), "list", None),
    (keys.inbox("*"), "list", None),
    (keys.case_notes("*"), "list", None),
    (keys.handoffs("*"), "list", None),
    (keys.dev_outbox("*"), "list", None),
    (keys.DEAD_LETTER_ENTRIES, "hash", None),
    (keys.buttons("*"), "hash", None),
    (keys.attachments("*"), "hash", None),
    (keys.case("*"), "hash", ("reasons", "summary")),
    (keys.choices("*"), "string", None),
    (keys.rasa_tracker("*"), "string", None),
    (keys.ZALO_TOKENS, "hash", keys.ZALO_TOKENS_SEALED),
    (keys.DIRECTORY_ENTRIES, "hash", None),
    (keys.follow_ups("*"), "hash", None),
    (keys.follow_up_asked("*"), "string", None),
    (keys.referral("*", "*"), "string", None),
)

_SWAP = """
local kind, where, old, new = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local current
if kind == 'string' then
  current = redis.call('GET', KEYS[1])
elseif kind == 'hash' then
  current = redis.call('HGET', KEYS[1], where)
else
  current = redis.call('LINDEX', KEYS[1], tonumber(where))
end
if current ~= old then
  return 0
end
if kind == 'string' then
  redis.call('SET', KEYS[1], new, 'KEEPTTL')
elseif kind == 'hash' then
  redis.call('HSET', KEYS[1], where, new)
else
  redis.call('LSET', KEYS[1], tonumber(where), new)
end
return 1
"""


@dataclass
class RotationReport:
    keys: int = 0  # keys looked at
    resealed: int = 0  # values now sealed under the first key (or, with check, that would be)
    current: int = 0  # values already sealed under the first key
    unreadable: int = 0  # values no configured key opens: left as they are
    changed: int = 0  # values that changed while being re-sealed: left to the running processes / the next run
    check: bool = False  # counted only: `resealed` values are still under an older key

    @property
    def done(self) -> bool:
        """True when every readable value is under the first key: the older keys can go."""
        return self.changed == 0 and not (self.check and self.resealed)

    def line(self) -> str:
        return (f"{self.keys} keys: {self.resealed} values re-sealed, {self.current} already under the first key, "
                f"{self.unreadable} unreadable (left as they are), {self.changed} changed meanwhile")


class Rotation:
    def __init__(self, client: redis.asyncio.Redis, sealer: Sealer, check: bool = False):
        self._redis = client
        self._sealer = sealer
        self._check = check  # count only, change nothing
        self._swap = client.register_script(_SWAP)

    async def run(self) -> RotationReport:
        report = RotationReport(check=self._check)
        for pattern, kind, fields in SEALED:
            async for key in self._keys(pattern):
                report.keys += 1
                for where, value in await self._values(key, kind, fields):
                    await self._one(key, kind, where, value, report)
        return report

    async def _keys(self, pattern: str) -> AsyncIterator[str]:
        if "*" not in pattern:
            if await self._redis.exists(pattern):
                yield pattern
            return
        async for key in self._redis.scan_iter(match=pattern, count=500):
            yield key

    async def _values(self, key: str, kind: Kind, fields: tuple[str, ...] | None) -> list[tuple[str, str]]:
        found = await self._redis.type(key)
        if found != kind:  # expired or replaced since the scan
            return []
        if kind == "list":
            return [(str(index), value) for index, value in enumerate(await self._redis.lrange(key, 0, -1))]
        if kind == "hash":
            data: dict[str, str] = await self._redis.hgetall(key)
            return [(name, value) for name, value in data.items() if fields is None or name in fields]
        value = await self._redis.get(key)
        return [] if value is None else [("", value)]

    async def _one(self, key: str, kind: Kind, where: str, value: str, report: RotationReport) -> None:
        if self._sealer.is_current(value):
            report.current += 1
            return
        try:
            resealed = self._sealer.reseal(value)
        except Unreadable:
            report.unreadable += 1
            return
        if self._check:
            report.resealed += 1
        elif await self._swap(keys=[key], args=[kind, where, value, resealed]):
            report.resealed += 1
        else:
            report.changed += 1
