"""`caunoi team`: teams of operators and the rules that route waiting conversations to them (bot/state/teams.py).

Usage:
    caunoi team add TEAM_ID NAME          a new team; TEAM_ID: 1-32 of a-z 0-9 _ - (e.g. hanoi-ctxh)
    caunoi team assign TEAM_ID USERNAME   put a console account (operator or supervisor) in the team
    caunoi team unassign TEAM_ID USERNAME take it out
    caunoi team route TEAM_ID --province NAME | --service TYPE | --campaign CODE
                                          conversations from that province (one of the 34 current names), asking
                                          for that kind of help (content/vi/gazetteer/service_types.yml) or come by
                                          that campaign wait for the team first; one team per value (routing a
                                          value again moves it)
    caunoi team unroute --province NAME | --service TYPE | --campaign CODE
    caunoi team list                      each team with its members, then the rules in the order they are tried
    caunoi team remove TEAM_ID            the team, its members list and its rules go; what waits for it is for
                                          everyone

Rules are tried campaign first, then service type, then province; no match: the conversation is for everyone.
A high-risk conversation unclaimed after CAUNOI_TEAM_SPILL_MINUTES opens to every team, any conversation at once
when nobody of its team is on duty (bot/console/queue_view.py). Changes take effect at once for every worker.
Bad input (an unknown team, account, province, service type or campaign) exits with 2 and says why.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from typing import Any

from bot.console import signing
from bot.console.audit import AuditLog
from bot.console.operators import OperatorStore
from bot.content import load_content
from bot.content.directory import key
from bot.content.loader import vocabulary_of
from bot.settings import get_settings
from bot.state import store
from bot.state.campaigns import CampaignStore
from bot.state.teams import TeamError, Teams


def register(commands: Any) -> tuple[str, Any]:
    parser = commands.add_parser("team", help="teams of operators and routing rules: add, assign, route, list, remove")
    actions = parser.add_subparsers(dest="team_action", metavar="ACTION", required=True)
    add = actions.add_parser("add", help="a new team")
    add.add_argument("team_id")
    add.add_argument("name")
    remove = actions.add_parser("remove", help="remove a team, its members list and its rules")
    remove.add_argument("team_id")
    for name, what in (("assign", "put an account in a team"), ("unassign", "take an account out of a team")):
        member = actions.add_parser(name, help=what)
        member.add_argument("team_id")
        member.add_argument("username")
    route = actions.add_parser("route", help="send a province's, a service type's or a campaign's conversations "
                                             "to a team first")
    route.add_argument("team_id")
    rule_arguments(route)
    rule_arguments(actions.add_parser("unroute", help="remove a routing rule"))
    actions.add_parser("list", help="teams, members and routing rules")
    return "team", handle


def rule_arguments(parser: argparse.ArgumentParser) -> None:
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--province", help="one of the 34 current provinces, e.g. 'Hà Nội'")
    which.add_argument("--service", help="a service type, e.g. shelter, legal_aid")
    which.add_argument("--campaign", help="a campaign code (caunoi campaign list)")


def handle(args: argparse.Namespace) -> int:
    settings = get_settings()
    settings.redis  # noqa: B018 - a clear message now when REDIS_URL is missing
    if args.team_action in ("assign", "unassign") and not settings.secret_key:  # accounts are signed with it
        print(f"caunoi: {signing.MISSING}", file=sys.stderr)
        return 2
    try:
        return asyncio.run(run(args))
    except TeamError as error:
        print(f"caunoi: {error}", file=sys.stderr)
        return 2


def province_name(value: str) -> str:
    """One of the 34 current province names, typed with or without diacritics and capitals."""
    content = load_content(get_settings().content_dir)
    found = {key(name): name for name in content.provinces}.get(key(value))
    if found:
        return found
    hint = vocabulary_of(content).suggest_province(value)
    raise TeamError(f"{value!r} is not one of the 34 current provinces"
                    + (f"; did you mean {hint!r}?" if hint else " (content/vi/gazetteer/provinces.yml)"))


def service_type(value: str) -> str:
    kinds = load_content(get_settings().content_dir).service_types
    if value not in kinds:
        raise TeamError(f"{value!r} is not a service type: one of {', '.join(kinds)}")
    return value


async def rule(args: argparse.Namespace, campaigns: CampaignStore) -> tuple[str, str]:
    """The rule's kind and value, checked against the content and the campaigns."""
    if args.province is not None:
        return "province", province_name(args.province)
    if args.service is not None:
        return "service", service_type(args.service)
    if await campaigns.get(args.campaign) is None:
        raise TeamError(f"no campaign with code {args.campaign!r} (see `caunoi campaign list`)")
    return "campaign", args.campaign


def typed_rule(args: argparse.Namespace) -> tuple[str, str]:
    """The rule as typed: a rule whose value the content no longer knows can still be removed."""
    for kind, value in (("province", args.province), ("service", args.service), ("campaign", args.campaign)):
        if value is not None:
            return kind, value
    raise TeamError("name the rule: --province, --service or --campaign")


async def run(args: argparse.Namespace) -> int:
    settings = get_settings()
    client = store.connect(settings)
    teams = Teams(client)
    audit = AuditLog(client, time.time)
    try:
        action = args.team_action
        if action == "list":
            await print_list(teams)
            return 0
        if action == "add":
            team = await teams.add(args.team_id, args.name)
            await audit.record("cli", "team_add", target=team.id)
            print(f"team {team.id} added ({team.name})")
            return 0
        if action == "remove":
            team = await teams.remove(args.team_id)
            await audit.record("cli", "team_remove", target=team.id)
            print(f"team {team.id} removed; its waiting conversations are for everyone now")
            return 0
        if action in ("assign", "unassign"):
            await teams.must_exist(args.team_id)
            operator = await OperatorStore(client, settings.secret_key).get(args.username.strip().lower())
            if operator is None:
                raise TeamError(f"no account named {args.username!r} (caunoi operator list)")
            if not operator.answers:
                raise TeamError(f"{operator.username} is a {operator.role}: only operators and supervisors answer "
                                "conversations")
            changed = await (teams.assign if action == "assign" else teams.unassign)(args.team_id, operator.username)
            await audit.record("cli", f"team_{action}", target=args.team_id, operator=operator.username)
            into = "in" if action == "assign" else "out of"
            print(f"{operator.username} {'is now' if changed else 'was already'} {into} team {args.team_id}")
            return 0
        if action == "route":
            kind, value = await rule(args, CampaignStore(client))
            before = await teams.route(args.team_id, kind, value)
            await audit.record("cli", "team_route", target=args.team_id, kind=kind, value=value)
            print(f"{kind} {value} -> team {args.team_id}" + (f" (was team {before})" if before else ""))
            return 0
        try:
            kind, value = await rule(args, CampaignStore(client))
        except TeamError:
            kind, value = typed_rule(args)
        removed = await teams.unroute(kind, value)
        if removed is None:
            raise TeamError(f"no rule for {kind} {value!r} (caunoi team list)")
        await audit.record("cli", "team_unroute", target=removed, kind=kind, value=value)
        print(f"{kind} {value}: no longer routed (was team {removed})")
        return 0
    finally:
        await client.close()


async def print_list(teams: Teams) -> None:
    found = await teams.all()
    if not found:
        print("no teams: every operator sees every conversation (caunoi team add TEAM_ID NAME)")
        return
    for team in found:
        print(f"{team.id}\t{team.name}\t{', '.join(team.members) or '-'}")
    routes = await teams.routes()
    print("rules (tried in this order; no match: for everyone):" if routes else "no rules: nothing is routed")
    for route in routes:
        print(f"  {route.kind} {route.value} -> {route.team}")
