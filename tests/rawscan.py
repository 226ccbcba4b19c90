"""What a Redis dump would show: every key's raw value, searched for words the person wrote."""

from __future__ import annotations

import unicodedata

import redis


def _values(client: redis.Redis, key: bytes) -> list[bytes]:
    """The key's DUMP and its decoded contents (DUMP may compress a long value, so both are searched)."""
    kind = client.type(key).decode()
    found: list[bytes] = [client.dump(key) or b""]
    if kind == "string":
        found.append(client.get(key) or b"")
    elif kind == "list":
        found += client.lrange(key, 0, -1)
    elif kind == "hash":
        for field, value in client.hgetall(key).items():
            found += [field, value]
    elif kind == "set":
        found += list(client.smembers(key))
    elif kind == "zset":
        found += [member for member, _ in client.zrange(key, 0, -1, withscores=True)]
    elif kind == "stream":
        for entry_id, fields in client.xrange(key):
            found.append(entry_id)
            for field, value in fields.items():
                found += [field, value]
    return found


def _forms(needle: str) -> set[bytes]:
    """The needle as stored in any likely way: as written, NFC/NFD, lower case, without tone marks, JSON-escaped."""
    plain = "".join(c for c in unicodedata.normalize("NFD", needle) if not unicodedata.combining(c))
    plain = plain.replace("đ", "d").replace("Đ", "D")
    forms = {needle, needle.lower(), plain, plain.lower(), unicodedata.normalize("NFC", needle),
             unicodedata.normalize("NFD", needle)}
    escaped = {form.encode("ascii", "backslashreplace").decode().replace("\\x", "\\u00") for form in forms}
    return {form.encode() for form in forms | escaped if form}


def hits(url: str, needles: list[str]) -> list[tuple[str, str]]:
    """(key, needle) for every key whose raw value holds a needle, case-insensitively."""
    client = redis.Redis.from_url(url)
    try:
        found = []
        for key in client.scan_iter(count=500):
            values = [value.lower() for value in _values(client, key)] + [key.lower()]
            for needle in needles:
                if any(form.lower() in value for form in _forms(needle) for value in values):
                    found.append((key.decode(errors="replace"), needle))
        return found
    finally:
        client.close()
