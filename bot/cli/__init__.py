"""`caunoi`: one command for running, chatting with, training and checking Cầu Nối.

Usage:
    caunoi run                 start the whole stack locally (Redis, Rasa, action server, gateway)
    caunoi chat                talk to the running stack in the terminal
    caunoi parse               judge messages (stdin lines) as JSON lines, as the live bot would
    caunoi train [--force]     train the model if the data changed
    caunoi serve NAME          run one process: rasa, actions or gateway (what docker-compose and `run` start)
    caunoi telegram ACTION     set-webhook URL, delete-webhook, or poll (local use, no public URL)
    caunoi content check       validate the content (directory, articles, texts); exit 1 listing the problems
    caunoi directory list      the service directory (--json: one object per line)
    caunoi directory import F  add directory entries from a CSV file (see bot/cli/directory.py)
    caunoi operator ACTION     console operators: add NAME --role R, disable NAME, reset-password NAME, list
    caunoi org ACTION          partner organisations: add ORG_ID NAME [--entry ENTRY_ID ...], list
    caunoi partner add ORG USER  a partner organisation's console account [--password-stdin]
    caunoi audit export        the console's audit log as JSON lines
    caunoi campaign ACTION     outreach campaigns: create, list, disable, link, qr CODE -o FILE, stats [--csv]
    caunoi team ACTION         teams of operators: add, assign, unassign, route, unroute, list, remove
    caunoi keys ACTION         keys for message texts at rest: new, rotate [--check]

One module per command, named after it (`keys.py` is `caunoi keys`), and the local supervisor `caunoi run` uses.
The top of the house: may import every room of `bot`; nothing in `bot` imports the CLI.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence

from bot.settings import SettingsError

# They work on the store of a running run.
STORE_COMMANDS = ("operator", "audit", "keys", "campaign", "telegram", "directory", "org", "partner", "team")


def _parser() -> tuple[argparse.ArgumentParser, dict[str, Callable[[argparse.Namespace], int]]]:
    from bot.cli import (
        audit,
        campaign,
        chat,
        content,
        directory,
        keys,
        operator,
        org,
        parse,
        partner,
        run,
        serve,
        team,
        telegram,
        train,
    )

    parser = argparse.ArgumentParser(prog="caunoi", description="Cầu Nối: chatbot and hotline assistant")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    handlers: dict[str, Callable[[argparse.Namespace], int]] = {}
    for module in (run, chat, parse, train, serve, telegram, content, directory, operator, org, partner, team, audit,
                   campaign, keys):
        name, handler = module.register(commands)
        handlers[name] = handler
    return parser, handlers


def main(argv: Sequence[str] | None = None) -> int:
    # Rasa would otherwise phone home, and TensorFlow fills the terminal with notices.
    os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    parser, handlers = _parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return 2
    if args.command in STORE_COMMANDS:
        from bot.state.store import adopt_local_run, unused_local_run

        if not adopt_local_run(os.environ) and not os.environ.get("REDIS_URL"):
            # no REDIS_URL: a running `caunoi run`'s store, if there is one; else say why a file found was not used
            note = unused_local_run()
            if note:
                print(f"caunoi: {note}", file=sys.stderr)
    try:
        return handlers[args.command](args)
    except SettingsError as error:
        print(f"caunoi: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
