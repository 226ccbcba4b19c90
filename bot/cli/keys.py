"""`caunoi keys new|rotate`: the keys that seal message texts at rest (CAUNOI_DATA_KEYS, bot/state/sealed.py).

Usage:
    caunoi keys new              print a fresh random key (put it first in CAUNOI_DATA_KEYS; it is a secret)
    caunoi keys rotate [--check] re-seal every stored value under the first key; --check only counts

Rotation: CAUNOI_DATA_KEYS=NEW,OLD on every process and restart them, then `caunoi keys rotate` with the same
setting; once it says nothing is left under an older key, remove OLD and restart again.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from bot.settings import get_settings
from bot.state import store
from bot.state.rotation import Rotation
from bot.state.sealed import Sealer, new_key


def register(commands: Any) -> tuple[str, Any]:
    parser = commands.add_parser("keys", help="keys for message texts at rest: new, rotate")
    actions = parser.add_subparsers(dest="keys_action", metavar="ACTION", required=True)
    actions.add_parser("new", help="print a fresh random data key")
    rotate = actions.add_parser("rotate", help="re-seal stored values under the first key of CAUNOI_DATA_KEYS")
    rotate.add_argument("--check", action="store_true", help="count what a rotation would do; change nothing")
    return "keys", handle


def handle(args: argparse.Namespace) -> int:
    if args.keys_action == "new":
        # Printed on purpose: this is how a deployer gets the key into their secret store. Nothing else prints it.
        print(new_key())
        return 0
    settings = get_settings()
    sealer = Sealer.from_settings(settings)
    settings.redis  # noqa: B018 - a clear message now when REDIS_URL is missing
    unreachable = store.check_reachable(settings.redis)
    if unreachable:
        print(f"caunoi: {unreachable}", file=sys.stderr)
        return 2
    return asyncio.run(rotate(sealer, args.check))


async def rotate(sealer: Sealer, check: bool) -> int:
    client = store.connect(get_settings())
    try:
        report = await Rotation(client, sealer, check=check).run()
    finally:
        await client.close()
    print(f"caunoi: {'would re-seal' if check else 'rotation'}: {report.line()}")
    if report.unreadable:
        print("caunoi: some values open with none of CAUNOI_DATA_KEYS: was a key removed too early? They are kept; "
              "put the old key back (after the first) and run again", file=sys.stderr)
    if report.done:
        print("caunoi: every readable value is sealed under the first key; older keys can be removed")
    elif not check:
        print("caunoi: some values changed while rotating; run `caunoi keys rotate` again")
    return 0 if report.done or check else 1
