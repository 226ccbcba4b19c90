"""`caunoi campaign`: outreach campaigns, their bot links, QR codes and counts (bot/state/campaigns.py, in Redis).

Usage:
    caunoi campaign create CODE --name NAME [--team T] [--place P] [--start YYYY-MM-DD] [--end YYYY-MM-DD]
                           [--greeting TEXT]
        CODE: 1-64 of A-Z a-z 0-9 _ - (the `start` parameter of the link; never reused). Takes effect at once
        for every worker and the action server.
    caunoi campaign list                 code, name, team, place, dates, state
    caunoi campaign disable CODE         no more campaign greeting or counting (the link still reaches the bot)
    caunoi campaign link CODE            the Telegram link, the Zalo line and the verification sentence to print
    caunoi campaign qr CODE -o FILE      a QR code of the Telegram link, FILE ending in .png or .svg; .pdf makes a
                                         printable A5 poster with it (bot/outreach/poster.py)
    caunoi campaign stats [--csv]        counts per campaign per day; 1-4 shown as "<5"

Telegram links carry the code (`https://t.me/<bot>?start=CODE`, CAUNOI_TELEGRAM_BOT_USERNAME). No Zalo OA link
parameter could be verified, so on Zalo people type the code as their first message (bot/outreach/material.py).
The console's supervisor page does the same (bot/console/outreach.py). Bad input exits with 2 and says what is wrong.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import sys
import time
from pathlib import Path
from typing import Any

from bot.console.audit import AuditLog
from bot.outreach.material import ZALO_NOTE, official_bot, qr_format, qr_image, verification, zalo_line
from bot.outreach.material import telegram_link as make_link
from bot.outreach.poster import poster_pdf
from bot.settings import get_settings
from bot.state import store
from bot.state.campaigns import Campaign, CampaignError, CampaignStore, export_rows, validated


class Refused(Exception):
    """Bad input: printed, exit 2."""


def register(commands: Any) -> tuple[str, Any]:
    parser = commands.add_parser("campaign", help="outreach campaigns: create, list, disable, link, qr, stats")
    actions = parser.add_subparsers(dest="campaign_action", metavar="ACTION", required=True)
    create = actions.add_parser("create", help="a new campaign")
    create.add_argument("code")
    create.add_argument("--name", required=True)
    create.add_argument("--team", default="")
    create.add_argument("--place", default="")
    create.add_argument("--start", default="", help="first day, YYYY-MM-DD (Vietnam time)")
    create.add_argument("--end", default="", help="last day, YYYY-MM-DD (Vietnam time)")
    create.add_argument("--greeting", default="", help="what the bot says first to people who came by the link")
    actions.add_parser("list", help="every campaign")
    actions.add_parser("disable", help="stop a campaign's greeting and counting").add_argument("code")
    actions.add_parser("link", help="the bot link and the sentence to print with it").add_argument("code")
    qr = actions.add_parser("qr", help="a QR code of the bot link (.png or .svg), or an A5 poster (.pdf)")
    qr.add_argument("code")
    qr.add_argument("-o", "--output", required=True, type=Path)
    stats = actions.add_parser("stats", help="counts per campaign per day (1-4 shown as <5)")
    stats.add_argument("--csv", action="store_true", help="CSV with a header line")
    return "campaign", handle


def handle(args: argparse.Namespace) -> int:
    try:
        return asyncio.run(run(args))
    except (Refused, CampaignError) as error:
        print(f"caunoi: {error}", file=sys.stderr)
        return 2


def telegram_link(code: str) -> str:
    return make_link(get_settings().telegram_bot_username, code)


def write_qr(link: str, output: Path, code: str) -> None:
    if output.suffix.lower() == ".pdf":
        image = poster_pdf(get_settings().telegram_bot_username, code)
    else:
        image = qr_image(link, qr_format(output))
    try:
        output.write_bytes(image)
    except OSError as error:
        raise Refused(f"cannot write {output}: {error.strerror or type(error).__name__}") from None


async def run(args: argparse.Namespace) -> int:
    client = store.connect(get_settings())
    campaigns = CampaignStore(client)
    try:
        action = args.campaign_action
        if action == "create":
            campaign = validated(args.code, args.name, args.team, args.place, args.start, args.end, args.greeting)
            await campaigns.create(campaign)
            await AuditLog(client, time.time).record("cli", "campaign_create", target=campaign.code)
            print(f"campaign {campaign.code} created")
            return 0
        if action == "list":
            for item in await campaigns.list():
                print("\t".join([item.code, item.name, item.team or "-", item.place or "-", item.start or "-",
                                 item.end or "-", "active" if item.active else "disabled"]))
            return 0
        if action == "stats":
            await print_stats(campaigns, args.csv)
            return 0
        campaign = await known(campaigns, args.code)
        if action == "disable":
            await campaigns.disable(campaign.code)
            await AuditLog(client, time.time).record("cli", "campaign_disable", target=campaign.code)
            print(f"campaign {campaign.code} disabled")
        elif action == "link":
            link = telegram_link(campaign.code)
            username = get_settings().telegram_bot_username
            print(f"Telegram: {link}")
            print(ZALO_NOTE.format(code=campaign.code))
            print(zalo_line(campaign.code))
            print(f"Official bot: @{official_bot(username)}")
            print(verification(username))
        else:
            link = telegram_link(campaign.code)
            write_qr(link, args.output, campaign.code)
            what = "A5 poster with the QR code" if args.output.suffix.lower() == ".pdf" else "QR code"
            print(f"{what} of {link} written to {args.output}")
        return 0
    finally:
        await client.close()


async def known(campaigns: CampaignStore, code: str) -> Campaign:
    campaign = await campaigns.get(code)
    if campaign is None:
        raise Refused(f"no campaign with code {code!r} (see `caunoi campaign list`)")
    return campaign


async def print_stats(campaigns: CampaignStore, as_csv: bool) -> None:
    rows = await export_rows(campaigns)
    if as_csv:
        csv.writer(sys.stdout, lineterminator="\n").writerows(rows)
    else:
        for row in rows:
            print("\t".join(row))
