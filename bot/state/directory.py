"""The live service directory: entries in Redis that every process reads at once after an edit.

The files in `content/vi/directory/` are the seed: the first process that reads the directory from an empty store
writes them in (one Lua script, so two workers starting together seed once), and `caunoi directory import` adds
more (a CSV, the leads, an HSDS package). From then on the store is the directory: editors change it in the console
(bot/console/directory.py), and `caunoi directory export --format yaml DIR` writes it back in the files' layout so a
deployment can still review changes in git.

Every change bumps a version counter in the same transaction. A reader (`LiveDirectory.current`) asks for the
counter on each read — one GET — and rebuilds its `Directory` only when it moved: the action server, the console
and every gateway worker answer from the new entries on their next read, with no restart and no retraining.

Each stored record is the entry as its YAML would be written (`Entry.as_dict`, dates as text) plus who last changed
it and when, and who verified it. The same validator as the files (`parse_entry`) checks every write, so the store
never holds an entry the files would refuse; a record that stops parsing (the gazetteer changed) is skipped by
readers, logged by id, and listed by `caunoi directory list`.

What is stored is about services, not about people: no record names a person who wrote to the bot, so the
directory has no retention limit; editors' usernames are kept as the verifier of record (as the audit log does).
Each record is sealed at rest like message text (bot/state/sealed.py; `caunoi keys rotate` re-seals them): a
confidential shelter's address must not be readable from a copied dump. It is shown only to editors
(bot/console/directory.py); the bot never shows it (`Entry.public_address`).
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

import redis.asyncio

from bot.content.directory import Directory, Vocabulary, parse_entry
from bot.content.loader import Content, vocabulary_of
from bot.content.models import Entry
from bot.state import keys
from bot.state.sealed import Sealer
from nlu.text import fold

log = logging.getLogger(__name__)
META = ("verified_by", "updated_at", "updated_by")

# Seeds only an empty store: KEYS[1] the entries hash, KEYS[2] the version; ARGV id, record, id, record, …
_SEED = """
if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
for i = 1, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
redis.call('SET', KEYS[2], 1)
return 1
"""


class DirectoryError(ValueError):
    """An entry cannot be written as asked; `reasons` says every reason (shown to the editor as they are)."""

    def __init__(self, reasons: Iterable[str]):
        self.reasons = tuple(reasons)
        super().__init__("; ".join(self.reasons))


@dataclass(frozen=True)
class Record:
    """One stored entry and who keeps it."""

    entry: Entry
    verified_by: str | None = None
    updated_at: float | None = None
    updated_by: str | None = None

    def fields(self) -> dict[str, Any]:
        """The entry's fields as an editor sees them: every field present, phones and sources as lists."""
        entry = self.entry
        return {
            "id": entry.id, "name": entry.name, "type": entry.type, "province": entry.province,
            "country": entry.country, "commune": entry.commune, "address": entry.address, "phone": list(entry.phones),
            "email": entry.email, "website": entry.website, "hours": entry.hours, "lat": entry.lat, "lon": entry.lon,
            "confidential": entry.confidential, "source_url": list(entry.source_urls),
            "verified_at": entry.verified_at.isoformat() if entry.verified_at else None, "status": entry.status,
            "note": entry.note, "file": entry.file, "verified_by": self.verified_by, "updated_at": self.updated_at,
            "updated_by": self.updated_by,
        }


def stored(record: Record, sealer: Sealer) -> str:
    """The record as Redis holds it: its JSON, sealed."""
    data = record.entry.as_dict()
    if record.entry.verified_at:
        data["verified_at"] = record.entry.verified_at.isoformat()
    data.update(file=record.entry.file, verified_by=record.verified_by, updated_at=record.updated_at,
                updated_by=record.updated_by)
    return sealer.seal(json.dumps(data, ensure_ascii=False, sort_keys=True))


def slug(name: str) -> str:
    """A province's file name: "Đà Nẵng" -> "da-nang" (as content/vi/directory/provinces/ names them)."""
    return re.sub(r"[^a-z0-9]+", "-", fold(name).lower()).strip("-")


def home_file(province: str | None, country: str | None) -> str:
    """Where an entry added in the console is exported: its province's file, abroad.yml or national.yml."""
    if province:
        return f"directory/provinces/{slug(province)}.yml"
    return "directory/abroad.yml" if country else "directory/national.yml"


class DirectoryStore:
    """Reads and writes the stored entries. Writes validate, bump the version and return the record before/after."""

    def __init__(self, client: redis.asyncio.Redis, content: Content, sealer: Sealer,
                 clock: Callable[[], float] = time.time):
        self._redis = client
        self._sealer = sealer
        self._content = content
        self._vocabulary: Vocabulary = vocabulary_of(content)
        self._clock = clock
        self._cached: tuple[str, Directory] | None = None

    @property
    def content(self) -> Content:
        return self._content

    @property
    def client(self) -> redis.asyncio.Redis:
        return self._redis

    def parse(self, raw: Mapping[str, Any], file: str) -> Entry:
        """The typed entry, or DirectoryError with every reason (the loader's own validator)."""
        entry, reasons = parse_entry(dict(raw), file, self._vocabulary)
        if entry is None:
            raise DirectoryError(reasons)
        return entry

    def _record(self, entry_id: str, text: str) -> Record | None:
        try:
            data = json.loads(self._sealer.open(text))
            meta = {name: data.pop(name, None) for name in META}
            file = str(data.pop("file", "") or "directory/imported.yml")
            entry = self.parse(data, file)
        except (ValueError, TypeError) as error:  # DirectoryError is a ValueError
            log.warning("directory record id=%s skipped: %s", entry_id, type(error).__name__)
            return None
        updated_at = meta["updated_at"]
        return Record(entry, meta["verified_by"], float(updated_at) if updated_at is not None else None,
                      meta["updated_by"])

    async def seed(self, entries: Iterable[Entry] | None = None) -> bool:
        """Writes the content's entries (or `entries`) when the store has never held a directory; True if it did."""
        chosen = self._content.directory.entries if entries is None else tuple(entries)
        args: list[str] = []
        for entry in chosen:
            args += [entry.id, stored(Record(entry), self._sealer)]
        done = await self._redis.eval(_SEED, 2, keys.DIRECTORY_ENTRIES, keys.DIRECTORY_VERSION, *args)
        return bool(done)

    async def version(self) -> str:
        value = await self._redis.get(keys.DIRECTORY_VERSION)
        if value is None:
            await self.seed()
            value = await self._redis.get(keys.DIRECTORY_VERSION)
        return str(value)

    async def records(self) -> list[Record]:
        """Every readable record, in id order."""
        await self.version()
        raw: dict[str, str] = await self._redis.hgetall(keys.DIRECTORY_ENTRIES)
        found = (self._record(entry_id, text) for entry_id, text in sorted(raw.items()))
        return [record for record in found if record is not None]

    async def get(self, entry_id: str) -> Record | None:
        await self.version()
        text = await self._redis.hget(keys.DIRECTORY_ENTRIES, entry_id)
        return None if text is None else self._record(entry_id, text)

    async def current(self) -> Directory:
        """The directory as stored now (verified entries only answer the actions' queries); rebuilt when the
        version moved since the last read."""
        version = await self.version()
        if self._cached is None or self._cached[0] != version:
            entries = [record.entry for record in await self.records()]
            self._cached = (version, Directory(entries, self._content.directory.geography))
        return self._cached[1]

    async def write(self, record: Record, *, new: bool) -> Record | None:
        """Stores `record`; `new`: refused if the id exists, else refused if it does not. Gives the record before."""
        await self.version()
        entry_id = record.entry.id
        async with self._redis.pipeline(transaction=True) as pipe:
            while True:
                try:
                    await pipe.watch(keys.DIRECTORY_ENTRIES)
                    text = await pipe.hget(keys.DIRECTORY_ENTRIES, entry_id)
                    if new and text is not None:
                        raise DirectoryError([f"id {entry_id!r} is already used"])
                    if not new and text is None:
                        raise DirectoryError([f"no entry {entry_id!r}"])
                    pipe.multi()
                    pipe.hset(keys.DIRECTORY_ENTRIES, entry_id, stored(record, self._sealer))
                    pipe.incr(keys.DIRECTORY_VERSION)
                    await pipe.execute()
                    return None if text is None else self._record(entry_id, text)
                except redis.WatchError:
                    continue

    def stamped(self, entry: Entry, actor: str, verified_by: str | None) -> Record:
        return Record(entry, verified_by, round(self._clock(), 3), actor)

    async def import_entries(self, entries: Iterable[Entry], actor: str, *, replace_existing: bool = False) -> int:
        """Adds entries whose id is not stored yet (or every one, with `replace_existing`); gives how many."""
        await self.version()
        stored_ids = set(await self._redis.hkeys(keys.DIRECTORY_ENTRIES))
        written = 0
        for entry in entries:
            if entry.id in stored_ids and not replace_existing:
                continue
            verified_by = actor if entry.verified else None
            await self.write(self.stamped(entry, actor, verified_by), new=entry.id not in stored_ids)
            stored_ids.add(entry.id)
            written += 1
        return written

    async def due(self, today: date, days: int) -> list[Record]:
        """The "cần kiểm tra lại" list: verified entries checked more than `days` ago, oldest first."""
        found = [record for record in await self.records() if due(record, today, days)]
        return sorted(found, key=lambda record: (record.entry.verified_at or date.min, record.entry.id))

    async def remove_all(self) -> None:
        """Forgets the directory (tests, and `caunoi directory import --replace` of a whole package)."""
        await self._redis.delete(keys.DIRECTORY_ENTRIES, keys.DIRECTORY_VERSION)
        self._cached = None


def moved(entry: Entry, **changes: Any) -> Entry:
    return replace(entry, **changes)


def due(record: Record, today: date, days: int) -> bool:
    """Verified longer ago than `days`: on the "cần kiểm tra lại" list."""
    verified_at = record.entry.verified_at
    return record.entry.verified and verified_at is not None and (today - verified_at).days > days
