"""`caunoi operator`: hotline operator accounts for the console (argon2 password hashes in Redis).

Usage:
    caunoi operator add NAME --role operator|supervisor [--alias A] [--password-stdin]
        NAME: 2-32 of a-z 0-9 . _ - (log-in name, never shown to people). --alias: the name people see
        ("Chào bạn, mình là Hoa"): a first name or nickname, letters only; without it people read
        "một người hỗ trợ". A first password is made up and printed once (or read from the first line of stdin
        with --password-stdin); either way it is temporary: it works for 72 hours and only to choose the
        operator's own password at their first log-in (OWASP ASVS 2.3.1).
    caunoi operator disable NAME                    ends their sessions; they can no longer log in
    caunoi operator reset-password NAME [--password-stdin]
                                                    new temporary password (made up and printed, as for add),
                                                    sessions ended, account enabled again
    caunoi operator reset-2fa NAME                  removes their authenticator and recovery codes (a lost phone),
                                                    sessions ended; they enrol again in the console
    caunoi operator require-2fa on|off              every account must enrol a second factor before working
    caunoi operator list                            name, role, alias, state (", 2fa" when enrolled; ", first
                                                    password not yet replaced" or "… expired")
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import sys
import time
from typing import Any

from bot.console import signing
from bot.console.audit import AuditLog
from bot.console.operators import ROLES, TEMPORARY_SECONDS, OperatorError, OperatorStore, password_problem
from bot.settings import get_settings
from bot.state import store


def register(commands: Any) -> tuple[str, Any]:
    parser = commands.add_parser("operator", help="add, disable or list console operators, reset a password")
    actions = parser.add_subparsers(dest="operator_action", metavar="ACTION", required=True)
    add = actions.add_parser("add", help="add an operator")
    add.add_argument("name")
    # Partner accounts belong to an organisation: `caunoi partner add`.
    add.add_argument("--role", choices=[role for role in ROLES if role != "partner"], required=True)
    add.add_argument("--alias", default="", help="the name people see (letters only); none: 'một người hỗ trợ'")
    add.add_argument("--password-stdin", action="store_true",
                     help="read the first password from stdin's first line instead of making one up")
    disable = actions.add_parser("disable", help="disable an operator and end their sessions")
    disable.add_argument("name")
    reset = actions.add_parser("reset-password", help="a new temporary password (ends the operator's sessions)")
    reset.add_argument("name")
    reset.add_argument("--password-stdin", action="store_true",
                       help="read the temporary password from stdin's first line instead of making one up")
    reset_2fa = actions.add_parser("reset-2fa", help="remove an operator's second factor (a lost phone)")
    reset_2fa.add_argument("name")
    require = actions.add_parser("require-2fa", help="require a second factor of every account (or not)")
    require.add_argument("state", choices=("on", "off"))
    actions.add_parser("list", help="every operator with role, alias, state and second factor")
    return "operator", handle


# Letters and digits that cannot be mistaken for each other when read off a screen and typed (no 0/o, 1/l/i).
READABLE = "abcdefghjkmnpqrstuvwxyz23456789"


def made_up_password() -> str:
    """Four groups of five from READABLE, about 99 bits: 'k7mpq-2xaen-…'."""
    return "-".join("".join(secrets.choice(READABLE) for _ in range(5)) for _ in range(4))


def read_password(from_stdin: bool, username: str = "") -> str | None:
    """The new temporary password (read from stdin, or made up), or None after printing why there is none."""
    if not from_stdin:
        return made_up_password()
    password = sys.stdin.readline().rstrip("\r\n")
    problem = password_problem(password, username)
    if problem:
        print(f"caunoi: {problem}", file=sys.stderr)
        return None
    return password


def handle(args: argparse.Namespace) -> int:
    settings = get_settings()
    settings.redis  # noqa: B018 - a clear message now when REDIS_URL is missing
    if not settings.secret_key:  # accounts are signed with it (bot/console/signing.py)
        print(f"caunoi: {signing.MISSING}", file=sys.stderr)
        return 2
    password = None
    if args.operator_action in ("add", "reset-password"):
        password = read_password(args.password_stdin, args.name)
        if password is None:
            return 1
    status = asyncio.run(run(args, password))
    if status == 0 and password is not None and not args.password_stdin:
        print(f"first password (shown once; works for {TEMPORARY_SECONDS // 3600} hours, only to choose their own at "
              f"the first log-in): {password}")
    return status


async def run(args: argparse.Namespace, password: str | None) -> int:
    client = store.connect(get_settings())
    operators = OperatorStore(client, get_settings().secret_key)
    audit = AuditLog(client, time.time)
    try:
        action = args.operator_action
        if action == "list":
            for operator in await operators.all():
                state = ("disabled" if operator.disabled else "active") + (", 2fa" if operator.second_factor else "")
                if operator.must_change_password:
                    expired = operator.temporary_expired(time.time())
                    state += ", first password " + ("expired" if expired else "not yet replaced")
                role = f"{operator.role} ({operator.org})" if operator.org else operator.role
                print(f"{operator.username}\t{role}\t{operator.alias or '-'}\t{state}")
            for name in await operators.refused():
                print(f"{name}\t-\t-\trefused: not signed with this CAUNOI_SECRET_KEY (edited in Redis, or another "
                      "key); `caunoi operator reset-password` signs it again")
            return 0
        if action == "add":
            assert password is not None
            operator = await operators.add(args.name, args.role, password, args.alias, temporary=True)
            await audit.record("cli", "operator_add", target=operator.username, role=operator.role)
            print(f"operator {operator.username} added ({operator.role}"
                  f"{', alias ' + operator.alias if operator.alias else ', no alias'})")
            return 0
        if action == "require-2fa":
            await operators.require_second_factor(args.state == "on")
            await audit.record("cli", "2fa_policy", required=args.state == "on")
            print(f"second factor {'required of every account' if args.state == 'on' else 'optional'}")
            return 0
        if action == "disable":
            done = await operators.disable(args.name)
        elif action == "reset-2fa":
            done = await operators.reset_second_factor(args.name)
        else:
            assert password is not None
            done = await operators.reset_password(args.name, password, temporary=True)
        if not done:
            print(f"caunoi: no operator named {args.name!r}", file=sys.stderr)
            return 1
        await audit.record("cli", "operator_" + action.replace("-", "_"), target=args.name)
        what = {"disable": "disabled", "reset-2fa": "second factor removed (they enrol again at their next log-in)"}
        print(f"operator {args.name}: {what.get(action, 'password reset (to be changed at the next log-in)')}, "
              "sessions ended")
        return 0
    except OperatorError as error:
        print(f"caunoi: {error}", file=sys.stderr)
        return 1
    finally:
        await client.close()
