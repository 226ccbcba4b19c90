"""`caunoi org`: partner organisations and the directory entries they run (bot/state/organisations.py).

Usage:
    caunoi org add ORG_ID NAME [--entry ENTRY_ID ...]   add an organisation, or replace its name and entries
        ORG_ID: 2-48 of a-z 0-9 - (e.g. tgpl-quang-ninh). Each --entry is a directory entry id (`caunoi directory
        list`); a referral to that entry goes to this organisation's partner accounts (`caunoi partner add`).
    caunoi org list                                      id, name and linked entries, one organisation a line
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from typing import Any

from bot.console.audit import AuditLog
from bot.content import load_content
from bot.settings import get_settings
from bot.state import store
from bot.state.directory import DirectoryStore
from bot.state.organisations import OrganisationError, OrganisationStore, check
from bot.state.sealed import Sealer


def register(commands: Any) -> tuple[str, Any]:
    parser = commands.add_parser("org", help="partner organisations: add, list")
    actions = parser.add_subparsers(dest="org_action", metavar="ACTION", required=True)
    add = actions.add_parser("add", help="add an organisation (or replace its name and entries)")
    add.add_argument("org_id")
    add.add_argument("name")
    add.add_argument("--entry", action="append", default=[], metavar="ENTRY_ID",
                     help="a directory entry the organisation runs (repeat for several)")
    actions.add_parser("list", help="every organisation with its entries")
    return "org", handle


def handle(args: argparse.Namespace) -> int:
    settings = get_settings()
    settings.redis  # noqa: B018 - a clear message now when REDIS_URL is missing
    return asyncio.run(run(args))


async def run(args: argparse.Namespace) -> int:
    settings = get_settings()
    client = store.connect(settings)
    organisations = OrganisationStore(client)
    try:
        if args.org_action == "list":
            for org in await organisations.all():
                print(f"{org.id}\t{org.name}\t{','.join(org.entry_ids) or '-'}")
            return 0
        try:
            org = check(args.org_id, args.name, tuple(entry.strip() for entry in args.entry))
        except OrganisationError as error:
            print(f"caunoi: {error}", file=sys.stderr)
            return 1
        directory = DirectoryStore(client, load_content(settings.content_dir), Sealer.from_settings(settings))
        unknown = [entry for entry in org.entry_ids if await directory.get(entry) is None]
        if unknown:
            print(f"caunoi: not in the directory: {', '.join(unknown)} (see `caunoi directory list`)", file=sys.stderr)
            return 1
        try:
            before = await organisations.put(org)
        except OrganisationError as error:
            print(f"caunoi: {error}", file=sys.stderr)
            return 1
        await AuditLog(client, time.time).record("cli", "org_add" if before is None else "org_replace", org=org.id,
                                                  entries=",".join(org.entry_ids))
        print(f"organisation {org.id} {'added' if before is None else 'updated'} "
              f"({len(org.entry_ids)} directory entr{'y' if len(org.entry_ids) == 1 else 'ies'})")
        return 0
    finally:
        await client.close()
