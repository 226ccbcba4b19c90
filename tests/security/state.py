"""Redis before and after a hostile request: every key with its serialized value (DUMP), so any change shows."""

from __future__ import annotations

import redis.asyncio

from bot.state import keys

# What an authenticated request changes by design, whatever it asks: the session's last use, who is online, the
# audit line of a view or a failed login, failed-login counters. Everything else must stay as it was.
VOLATILE = tuple(f"{keys.PREFIX}:{part}" for part in
                 ("console:session:", "console:online", "console:viewed:", "audit", "console:login-failures:"))


async def snapshot(url: str, ignore: tuple[str, ...] = ()) -> dict[bytes, bytes | None]:
    client = redis.asyncio.Redis.from_url(url)  # bytes, not decoded: DUMP output is binary
    try:
        found: dict[bytes, bytes | None] = {}
        async for key in client.scan_iter(count=500):
            if key.decode().startswith(ignore):
                continue
            found[key] = await client.dump(key)
        return found
    finally:
        await client.close()


def changed(before: dict[bytes, bytes | None], after: dict[bytes, bytes | None]) -> list[str]:
    """The keys added, removed or changed between two snapshots."""
    return sorted(k.decode() for k in before.keys() | after.keys() if before.get(k) != after.get(k))
