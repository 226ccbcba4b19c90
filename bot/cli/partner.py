"""`caunoi partner`: console accounts of a partner organisation (role `partner`).

Usage:
    caunoi partner add ORG_ID USERNAME [--password-stdin]
        A partner account sees only the referrals sent to its organisation (`caunoi org add`), never the queue or a
        conversation. The first password is made up and printed once (or read from stdin's first line with
        --password-stdin); it is temporary, as for `caunoi operator add`. Disable or reset it with
        `caunoi operator disable|reset-password USERNAME`; `caunoi operator list` lists it.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from typing import Any

from bot.cli.operator import read_password
from bot.console import signing
from bot.console.audit import AuditLog
from bot.console.operators import TEMPORARY_SECONDS, OperatorError, OperatorStore
from bot.settings import get_settings
from bot.state import store
from bot.state.organisations import OrganisationStore


def register(commands: Any) -> tuple[str, Any]:
    parser = commands.add_parser("partner", help="console accounts of partner organisations")
    actions = parser.add_subparsers(dest="partner_action", metavar="ACTION", required=True)
    add = actions.add_parser("add", help="add a partner account to an organisation")
    add.add_argument("org_id")
    add.add_argument("username")
    add.add_argument("--password-stdin", action="store_true",
                     help="read the first password from stdin's first line instead of making one up")
    return "partner", handle


def handle(args: argparse.Namespace) -> int:
    settings = get_settings()
    settings.redis  # noqa: B018 - a clear message now when REDIS_URL is missing
    if not settings.secret_key:
        print(f"caunoi: {signing.MISSING}", file=sys.stderr)
        return 2
    password = read_password(args.password_stdin, args.username)
    if password is None:
        return 1
    status = asyncio.run(run(args, password))
    if status == 0 and not args.password_stdin:
        print(f"first password (shown once; works for {TEMPORARY_SECONDS // 3600} hours, only to choose their own at "
              f"the first log-in): {password}")
    return status


async def run(args: argparse.Namespace, password: str) -> int:
    settings = get_settings()
    client = store.connect(settings)
    try:
        org = await OrganisationStore(client).get(args.org_id)
        if org is None:
            print(f"caunoi: no organisation {args.org_id!r} (add it first: caunoi org add)", file=sys.stderr)
            return 1
        try:
            partner = await OperatorStore(client, settings.secret_key).add(args.username, "partner", password,
                                                                           temporary=True, org=org.id)
        except OperatorError as error:
            print(f"caunoi: {error}", file=sys.stderr)
            return 1
        await AuditLog(client, time.time).record("cli", "operator_add", target=partner.username, role="partner",
                                                  org=org.id)
        print(f"partner {partner.username} added to {org.id} ({org.name})")
        return 0
    finally:
        await client.close()
