"""`caunoi campaign`: outreach campaigns, their bot links, QR codes and counts (bot/campaigns.py, in Redis).

Usage:
    caunoi campaign create CODE --name NAME [--team T] [--place P] [--start YYYY-MM-DD] [--end YYYY-MM-DD]
                           [--greeting TEXT]
        CODE: 1-64 of A-Z a-z 0-9 _ - (the `start` parameter of the link; never reused). Takes effect at once
        for every worker and the action server.
    caunoi campaign list                 code, name, team, place, dates, state
    caunoi campaign disable CODE         no more campaign greeting or counting (the link still reaches the bot)
    caunoi campaign link CODE            the Telegram link, the Zalo note and the verification sentence to print
    caunoi campaign qr CODE -o FILE      a QR code of the Telegram link, FILE ending in .png or .svg
    caunoi campaign stats [--csv]        counts per campaign per day; 1-4 shown as "<5"

Telegram links carry the code (`https://t.me/<bot>?start=CODE`, CAUNOI_TELEGRAM_BOT_USERNAME). Zalo OA links carry
no start parameter we can rely on (unverified), so Zalo campaigns are counted only when people type the code.
Bad input exits with 2 and says what is wrong.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import sys
import time
from pathlib import Path
from typing import Any

from bot import store
from bot.campaigns import METRICS, Campaign, CampaignError, CampaignStore, shown_counts, validated
from bot.console.audit import AuditLog
from bot.settings import get_settings
from nlu import tables

ZALO_NOTE = ("Zalo: Zalo OA links carry no start parameter we can rely on (unverified), so Zalo campaigns are "
             "counted only when people type the code {code} in the chat.")


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
    qr = actions.add_parser("qr", help="a QR code of the bot link (.png or .svg)")
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
    bot = get_settings().telegram_bot_username
    if not bot:
        raise Refused("CAUNOI_TELEGRAM_BOT_USERNAME is not set: the link needs the bot's official username")
    return f"https://t.me/{bot}?start={code}"


def write_qr(link: str, output: Path) -> None:
    import qrcode
    import qrcode.image.svg

    suffix = output.suffix.lower()
    if suffix not in (".png", ".svg"):
        raise Refused("the QR code file must end in .png or .svg")
    if suffix == ".svg":
        qrcode.make(link, image_factory=qrcode.image.svg.SvgPathImage).save(str(output))
    else:
        qrcode.make(link, error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=10, border=4).save(str(output))


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
            bot = get_settings().telegram_bot_username
            print(f"Telegram: {link}")
            print(ZALO_NOTE.format(code=campaign.code))
            print(f"Official bot: @{bot}")
            print(tables.dialogue()["outreach"]["verification"].format(bot=bot))
        else:
            link = telegram_link(campaign.code)
            write_qr(link, args.output)
            print(f"QR code of {link} written to {args.output}")
        return 0
    finally:
        await client.close()


async def known(campaigns: CampaignStore, code: str) -> Campaign:
    campaign = await campaigns.get(code)
    if campaign is None:
        raise Refused(f"no campaign with code {code!r} (see `caunoi campaign list`)")
    return campaign


async def print_stats(campaigns: CampaignStore, as_csv: bool) -> None:
    header = ["campaign", "day", *METRICS]
    rows = [[item.code, day, *map(str, shown_counts(counts).values())]
            for item in await campaigns.list() for day, counts in (await campaigns.counts(item.code)).items()]
    if as_csv:
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
    else:
        for row in [header, *rows]:
            print("\t".join(row))
