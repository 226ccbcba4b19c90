"""`caunoi telegram`: connect the Telegram bot to this gateway.

Usage:
    caunoi telegram set-webhook https://example.org/webhooks/telegram
        Tells Telegram to deliver updates there, with CAUNOI_TELEGRAM_WEBHOOK_SECRET as the secret token.
        Pending updates are kept (a restart never drops what people wrote).
    caunoi telegram delete-webhook
        Stops webhook delivery (pending updates are kept), e.g. before `poll`.
    caunoi telegram poll
        Long polling for local use, with no public URL: the same dedupe, inbox and dispatcher as the webhook.
        Needs Redis and Rasa (run it next to `caunoi run`, or with REDIS_URL set).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
import warnings
from typing import Any
from urllib.parse import urlsplit

from telegram import Bot
from telegram.error import Conflict, InvalidToken, TelegramError
from telegram.warnings import PTBUserWarning

from bot.channels.telegram import ALLOWED_UPDATES, POLL_SECONDS, build_application, parse_update, stop_bot
from bot.gateway.parts import Gateway
from bot.logs import configure
from bot.settings import Settings, get_settings

log = logging.getLogger(__name__)
READ_MARGIN = 10.0  # seconds beyond the long poll's own before a getUpdates read gives up
# do_api_request warns that Bot.get_updates exists; the raw answer is why it is not used (raw_updates).
warnings.filterwarnings("ignore", message=r"Please use 'Bot\.getUpdates'", category=PTBUserWarning)


def register(commands: Any) -> tuple[str, Any]:
    parser = commands.add_parser("telegram", help="set the Telegram webhook, or poll for updates locally")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    set_webhook = actions.add_parser("set-webhook", help="deliver updates to URL (https)")
    set_webhook.add_argument("url")
    actions.add_parser("delete-webhook", help="stop webhook delivery, keeping pending updates")
    actions.add_parser("poll", help="long polling, for local use")
    return "telegram", handle


def handle(args: argparse.Namespace) -> int:
    settings = get_settings()
    if not settings.telegram_token:
        print("caunoi: set CAUNOI_TELEGRAM_TOKEN (from @BotFather) first", file=sys.stderr)
        return 2
    try:
        if args.action == "set-webhook":
            return asyncio.run(set_webhook(settings, args.url))
        if args.action == "delete-webhook":
            return asyncio.run(delete_webhook(settings))
        configure(settings)
        settings.redis  # noqa: B018 - a clear message now when REDIS_URL is missing
        asyncio.run(poll(settings))
    except InvalidToken:
        print("caunoi: Telegram rejected CAUNOI_TELEGRAM_TOKEN", file=sys.stderr)  # never print the token itself
        return 1
    except TelegramError as error:
        print(f"caunoi: Telegram answered: {error.message}", file=sys.stderr)
        return 1
    return 0


async def set_webhook(settings: Settings, url: str) -> int:
    if urlsplit(url).scheme != "https":
        print("caunoi: Telegram only delivers to https:// URLs", file=sys.stderr)
        return 2
    if not settings.telegram_webhook_secret:
        print("caunoi: set CAUNOI_TELEGRAM_WEBHOOK_SECRET first; the gateway refuses updates without it",
              file=sys.stderr)
        return 2
    bot = build_application(settings).bot
    try:
        await bot.initialize()
        await bot.set_webhook(url=url, secret_token=settings.telegram_webhook_secret.reveal(),
                              allowed_updates=list(ALLOWED_UPDATES), drop_pending_updates=False)
    finally:
        await stop_bot(bot)
    print(f"caunoi: Telegram now delivers updates to {url}")
    return 0


async def delete_webhook(settings: Settings) -> int:
    bot = build_application(settings).bot
    try:
        await bot.initialize()
        await bot.delete_webhook(drop_pending_updates=False)
    finally:
        await stop_bot(bot)
    print("caunoi: webhook removed; `caunoi telegram poll` can fetch updates now")
    return 0


async def poll(settings: Settings, stop: asyncio.Event | None = None, poll_seconds: int = POLL_SECONDS) -> None:
    """Fetches updates and feeds them to the gateway until `stop` is set (or Ctrl-C)."""
    stop = stop or asyncio.Event()
    async with Gateway.running(settings) as gateway:
        assert gateway.telegram is not None
        print("caunoi: polling Telegram; Ctrl-C to stop", flush=True)
        await poll_updates(gateway, gateway.telegram.bot, stop, poll_seconds)


async def poll_updates(gateway: Gateway, bot: Bot, stop: asyncio.Event, poll_seconds: int = POLL_SECONDS) -> None:
    offset: int | None = None
    failures = 0
    while not stop.is_set():
        fetch = asyncio.ensure_future(raw_updates(bot, offset, poll_seconds))
        stopped = asyncio.ensure_future(stop.wait())
        done, _ = await asyncio.wait({fetch, stopped}, return_when=asyncio.FIRST_COMPLETED)
        if fetch not in done:
            fetch.cancel()
            with contextlib.suppress(asyncio.CancelledError, TelegramError):
                await fetch
            break
        stopped.cancel()
        try:
            updates = fetch.result()
        except Conflict:
            print("caunoi: a webhook is set for this bot; run `caunoi telegram delete-webhook` first",
                  file=sys.stderr)
            raise
        except TelegramError as error:
            failures += 1
            log.warning("getUpdates failed (%s); retrying", type(error).__name__)
            await asyncio.sleep(min(30.0, 0.5 * 2 ** min(failures, 6)))
            continue
        failures = 0
        for update in updates:
            if not isinstance(update, dict) or not isinstance(update.get("update_id"), int):
                continue
            # Telegram forgets an update once a later offset is asked for: queue it first (dedupe makes it safe).
            try:
                parsed = parse_update(update)
            except Exception as fault:  # ours, not the update's: as the webhook does, say so and go on
                log.error("telegram update not read: %s", type(fault).__name__, exc_info=True)
                parsed = None
            if parsed is not None:
                await gateway.receive(parsed[1], parsed[0])
            offset = update["update_id"] + 1


async def raw_updates(bot: Bot, offset: int | None, poll_seconds: int) -> list[Any]:
    """getUpdates as JSON, read by the webhook's own parser: `Bot.get_updates` would parse them with
    python-telegram-bot, which refuses real updates that lack a field (and would stop the loop with them)."""
    kwargs: dict[str, Any] = {"timeout": poll_seconds, "allowed_updates": list(ALLOWED_UPDATES)}
    if offset is not None:
        kwargs["offset"] = offset
    updates = await bot.do_api_request("getUpdates", api_kwargs=kwargs, read_timeout=poll_seconds + READ_MARGIN)
    return updates if isinstance(updates, list) else []
