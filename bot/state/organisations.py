"""Partner organisations: a name and the directory entries they run (a legal aid centre, a social work centre, an NGO).

A referral goes to a directory entry; the organisation linked to that entry receives it, and its `partner` console
accounts see it (bot/console/referrals.py). One hash, organisation id -> JSON; about services, not people, so, like
the directory, it has no retention limit. Written by `caunoi org add` (bot/cli/org.py).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import redis.asyncio

from bot.state import keys

ORG_ID = re.compile(r"[a-z0-9][a-z0-9-]{1,47}")
NAME_MAX = 120
ENTRIES_MAX = 200


class OrganisationError(ValueError):
    """An organisation cannot be written as asked; the message says why."""


@dataclass(frozen=True)
class Organisation:
    id: str
    name: str
    entry_ids: tuple[str, ...] = ()

    def json(self) -> dict[str, object]:
        return {"id": self.id, "name": self.name, "entry_ids": list(self.entry_ids)}


def check(org_id: str, name: str, entry_ids: tuple[str, ...]) -> Organisation:
    if not ORG_ID.fullmatch(org_id):
        raise OrganisationError("the organisation id must be 2-48 characters of a-z, 0-9 and -")
    name = " ".join(name.split())
    if not name or len(name) > NAME_MAX:
        raise OrganisationError(f"the organisation needs a name of at most {NAME_MAX} characters")
    if len(entry_ids) > ENTRIES_MAX:
        raise OrganisationError(f"at most {ENTRIES_MAX} directory entries per organisation")
    return Organisation(org_id, name, tuple(dict.fromkeys(entry_ids)))


class OrganisationStore:
    def __init__(self, client: redis.asyncio.Redis):
        self._redis = client

    async def put(self, organisation: Organisation) -> Organisation | None:
        """Writes the organisation (adding or replacing it); gives the one it replaced. An entry belongs to one
        organisation only: linking an entry another one holds is refused."""
        others = [org for org in await self.all() if org.id != organisation.id]
        taken = {entry: org.id for org in others for entry in org.entry_ids}
        clash = [f"{entry} ({taken[entry]})" for entry in organisation.entry_ids if entry in taken]
        if clash:
            raise OrganisationError(f"directory entries already linked to another organisation: {', '.join(clash)}")
        before = await self.get(organisation.id)
        await self._redis.hset(keys.ORGANISATIONS, organisation.id, json.dumps(organisation.json(), ensure_ascii=False))
        return before

    async def get(self, org_id: str) -> Organisation | None:
        raw = await self._redis.hget(keys.ORGANISATIONS, org_id)
        return _parse(raw) if raw else None

    async def all(self) -> list[Organisation]:
        raw: dict[str, str] = await self._redis.hgetall(keys.ORGANISATIONS)
        found = (_parse(text) for _, text in sorted(raw.items()))
        return [org for org in found if org is not None]

    async def of_entry(self, entry_id: str) -> Organisation | None:
        """The organisation that runs this directory entry, if one does."""
        return next((org for org in await self.all() if entry_id in org.entry_ids), None)


def _parse(text: str) -> Organisation | None:
    try:
        data = json.loads(text)
        return Organisation(str(data["id"]), str(data["name"]), tuple(str(e) for e in data.get("entry_ids", ())))
    except (ValueError, KeyError, TypeError):
        return None
