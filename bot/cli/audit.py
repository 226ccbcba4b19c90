"""`caunoi audit export`: the operator console's audit log as JSON lines on stdout, oldest first.

Usage:
    caunoi audit export [--since 2026-12-01] [--until 2026-12-02T06:00]   (Vietnam time unless an offset is given)

Who viewed, claimed, wrote to, transferred and closed which conversation, and when: never message or note text.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from typing import Any

from bot.console.audit import AuditLog
from bot.console.clock import parse_time
from bot.settings import get_settings
from bot.state import store


def register(commands: Any) -> tuple[str, Any]:
    parser = commands.add_parser("audit", help="export the console's audit log as JSON lines")
    actions = parser.add_subparsers(dest="audit_action", metavar="ACTION", required=True)
    export = actions.add_parser("export", help="write the audit log to stdout, one JSON object a line")
    export.add_argument("--since", default="", help="ISO date or date-time (Vietnam time), or epoch seconds")
    export.add_argument("--until", default="", help="ISO date or date-time (Vietnam time), or epoch seconds")
    return "audit", handle


def handle(args: argparse.Namespace) -> int:
    since, until = parse_time(args.since), parse_time(args.until)
    if (args.since and since is None) or (args.until and until is None):
        print("caunoi: --since and --until take ISO dates (2026-12-01, 2026-12-01T22:00) or epoch seconds",
              file=sys.stderr)
        return 2
    get_settings().redis  # noqa: B018 - a clear message now when REDIS_URL is missing
    return asyncio.run(export(since, until))


async def export(since: float | None, until: float | None) -> int:
    client = store.connect(get_settings())
    try:
        async for entry in AuditLog(client, time.time).export(since, until):
            sys.stdout.write(json.dumps(entry, ensure_ascii=False) + "\n")
        await AuditLog(client, time.time).record("cli", "audit_export")
    finally:
        await client.close()
    return 0
