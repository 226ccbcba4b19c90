"""Telegram through python-telegram-bot 22: reading updates into `Inbound`, and posting replies.

The webhook route (bot/app.py) and `caunoi telegram poll` share `parse_update`; the processing itself is the
gateway's (inbox → dispatcher), so python-telegram-bot is used for its Bot API client and types, with no handlers
and no updater. Replies are plain text (no parse_mode): nothing in the content can break a message.
"""

from __future__ import annotations

import contextlib
import hmac
import logging
import re
from datetime import timedelta
from typing import Any

from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    Update,
)
from telegram.constants import ChatAction, ChatType, MessageLimit
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.ext import Application, ApplicationBuilder

from bot.channels.base import ChatMessage, PermanentFailure, RetryLater, TemporaryFailure, Undeliverable
from bot.channels.buttons import ButtonMap
from bot.channels.notices import Notes
from bot.channels.splitting import split_text
from bot.channels.telegram_cleanup import ChatLog, clean_chat, safely
from bot.channels.telegram_http import AiohttpRequest
from bot.messages import Inbound, Location, Outbound
from bot.settings import Secret, Settings

log = logging.getLogger(__name__)
ALLOWED_UPDATES = ("message", "edited_message", "callback_query")
POLL_SECONDS = 30
_COMMAND = re.compile(r"^/(?P<name>[A-Za-z0-9_]+)(?:@[A-Za-z0-9_]+)?(?:\s+(?P<argument>.*))?$", re.S)
CAMPAIGN_CODE = re.compile(r"[A-Za-z0-9_-]{1,64}")
# Message content the bot cannot read, in the order python-telegram-bot's Message exposes it.
ATTACHMENTS = (("animation", "gif"), ("photo", "photo"), ("voice", "voice"), ("video_note", "video"),
               ("video", "video"), ("audio", "audio"), ("sticker", "sticker"), ("document", "document"),
               ("contact", "contact"), ("poll", "poll"), ("dice", "dice"))


def file_url(api_url: str) -> str:
    """The file download base that goes with a Bot API base (`…/bot` → `…/file/bot`)."""
    return api_url[: -len("/bot")] + "/file/bot" if api_url.endswith("/bot") else api_url.rstrip("/") + "/file"


def build_application(settings: Settings, timeout: float = 10.0) -> Application:  # type: ignore[type-arg]
    """The Application whose bot talks to `CAUNOI_TELEGRAM_API_URL`, with a timeout on every call, no updater."""
    connect = min(5.0, timeout)
    return (
        ApplicationBuilder()
        .token(settings.telegram_token.reveal())
        .base_url(settings.telegram_api_url)
        .base_file_url(file_url(settings.telegram_api_url))
        .updater(None)
        .request(AiohttpRequest(connect_timeout=connect, read_timeout=timeout, write_timeout=timeout,
                                pool_timeout=connect))
        .get_updates_request(AiohttpRequest(connect_timeout=connect, read_timeout=POLL_SECONDS + timeout,
                                            write_timeout=timeout, pool_timeout=connect, pool_size=1))
        .build()
    )


def verify_secret(received: str | None, secret: Secret) -> bool:
    """The X-Telegram-Bot-Api-Secret-Token check; with no secret configured nothing passes."""
    if not secret or not received:
        return False
    return hmac.compare_digest(received.encode(), secret.reveal().encode())


def parse_update(data: dict[str, Any]) -> tuple[str, Inbound] | None:
    """(dedupe key, message) for an update the bot handles, None for anything it ignores."""
    update = Update.de_json(data, None)
    key = str(update.update_id)
    if update.callback_query is not None:
        query = update.callback_query
        chat = query.message.chat if query.message is not None else None
        if chat is not None and chat.type != ChatType.PRIVATE:
            return None
        chat_id = chat.id if chat is not None else query.from_user.id
        return key, Inbound(channel="telegram", conversation_id=f"tg:{chat_id}", message_id=f"cb:{query.id}",
                            button=query.data or "-", ack=query.id)
    message = update.message or update.edited_message  # an edit is read as a new message
    if message is None:
        return None
    conversation_id = f"tg:{message.chat.id}"
    base = {"channel": "telegram", "conversation_id": conversation_id, "message_id": str(message.message_id)}
    if message.chat.type != ChatType.PRIVATE:
        return key, Inbound(**base, event="not_private")  # type: ignore[arg-type]
    inbound = _read_message(message, base)
    return (key, inbound) if inbound is not None else None


def _read_message(message: Message, base: dict[str, Any]) -> Inbound | None:
    if message.location is not None:
        latitude, longitude = message.location.latitude, message.location.longitude
        if -90 <= latitude <= 90 and -180 <= longitude <= 180:
            return Inbound(**base, location=Location(latitude, longitude))
        return Inbound(**base, event="location_unreadable")
    if message.text is not None:
        return _read_text(message.text, base)
    for attribute, kind in ATTACHMENTS:
        if getattr(message, attribute, None):
            return Inbound(**base, attachment=kind, text=message.caption or "")
    return None  # service messages (pins, joins…): nothing the person wrote


def _read_text(text: str, base: dict[str, Any]) -> Inbound:
    command = _COMMAND.match(text.strip())
    if command is not None:
        name = command["name"].lower()
        argument = (command["argument"] or "").strip()
        if name == "start":
            campaign = argument if CAMPAIGN_CODE.fullmatch(argument) else None  # untrusted: a bad code is ignored
            return Inbound(**base, text="/start", intent="/greet", campaign=campaign)
        if name == "xoa":
            return Inbound(**base, text=text.strip(), intent="/delete_my_data")
    return Inbound(**base, text=text)


class TelegramTransport:
    channel = "telegram"
    unfollows = False  # a person who blocks the bot makes the next send fail with 403: undeliverable
    numbered_choices = False  # inline keyboards

    def __init__(self, bot: Bot, buttons: ButtonMap, notes: Notes, protect_safety: bool = True,
                 chat_log: ChatLog | None = None):
        self._bot = bot
        self._buttons = buttons
        self._notes = notes
        self._protect_safety = protect_safety
        self._chat_log = chat_log  # None: nothing is deleted from the chat on an erase

    def parts(self, message: Outbound) -> list[Outbound]:
        """Pieces of at most 4096 characters; buttons and the location keyboard ride on the last one."""
        text = message.text or (self._notes.location_request if message.request_location and not message.buttons
                                else "👇")
        pieces = [Outbound(piece, protect_content=message.protect_content, sensitive=message.sensitive)
                  for piece in split_text(text, MessageLimit.MAX_TEXT_LENGTH)]
        pieces[-1] = Outbound(pieces[-1].text, message.buttons, message.request_location and not message.buttons,
                              message.protect_content, message.sensitive)
        if message.buttons and message.request_location:  # one keyboard per message: the location one goes next
            pieces.append(Outbound(self._notes.location_request, request_location=True,
                                   protect_content=message.protect_content, sensitive=message.sensitive))
        return pieces

    async def post(self, conversation_id: str, part: Outbound) -> None:
        chat_id = int(conversation_id.removeprefix("tg:"))
        markup: InlineKeyboardMarkup | ReplyKeyboardMarkup | None = None
        if part.buttons:
            codes = await self._buttons.codes(conversation_id, part.buttons)
            markup = InlineKeyboardMarkup([[InlineKeyboardButton(button.title, callback_data=code)]
                                           for button, code in zip(part.buttons, codes, strict=True)])
        elif part.request_location:
            markup = ReplyKeyboardMarkup([[KeyboardButton(self._notes.location_button, request_location=True)]],
                                         one_time_keyboard=True, resize_keyboard=True)
        try:
            sent = await self._bot.send_message(chat_id=chat_id, text=part.text, parse_mode=None,
                                                reply_markup=markup,
                                                protect_content=bool(self._protect_safety and part.protect_content))
        except RetryAfter as error:
            raise RetryLater("telegram 429", _seconds(error.retry_after)) from None
        except Forbidden as error:
            raise Undeliverable(f"telegram: {error.message}") from None
        except BadRequest as error:
            if "chat not found" in error.message.lower():
                raise Undeliverable(f"telegram: {error.message}") from None
            raise PermanentFailure(f"telegram bad request: {error.message}") from None
        except (InvalidToken, ChatMigrated) as error:
            raise PermanentFailure(f"telegram: {type(error).__name__}") from None
        except NetworkError as error:  # timeouts, 5xx, connection errors
            raise TemporaryFailure(f"telegram: {type(error).__name__}: {error.message}"[:200]) from None
        except TelegramError as error:
            raise PermanentFailure(f"telegram: {type(error).__name__}") from None
        if self._chat_log is not None:
            await safely(self._chat_log.sent(conversation_id, sent.message_id,
                                             part.protect_content or part.sensitive))

    async def typing(self, conversation_id: str) -> None:
        with contextlib.suppress(TelegramError):
            await self._bot.send_chat_action(int(conversation_id.removeprefix("tg:")), ChatAction.TYPING,
                                             read_timeout=3.0, write_timeout=3.0, connect_timeout=3.0)

    async def acknowledge(self, token: str) -> None:
        with contextlib.suppress(TelegramError):
            await self._bot.answer_callback_query(token, read_timeout=3.0, write_timeout=3.0, connect_timeout=3.0)

    # Deleting from the chat on an erase (bot/channels/telegram_cleanup.py).
    async def received(self, inbound: Inbound) -> None:
        if self._chat_log is not None and inbound.message_id.isdigit():  # button presses are not messages
            await safely(self._chat_log.received(inbound.conversation_id, int(inbound.message_id)))

    async def deletable(self, conversation_id: str) -> list[ChatMessage]:
        return await self._chat_log.noted(conversation_id) if self._chat_log is not None else []

    async def clean(self, conversation_id: str, messages: list[ChatMessage]) -> str | None:
        if self._chat_log is None:
            return None
        return await clean_chat(self._bot, self._chat_log, self._notes, conversation_id, messages)


def _seconds(value: float | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


async def stop_bot(bot: Bot) -> None:
    """Closes the bot's connection pool, also when getMe failed at start (python-telegram-bot then skips it)."""
    await bot.shutdown()
    await bot.request.shutdown()


async def start_bot(application: Application) -> None:  # type: ignore[type-arg]
    """Opens the bot's HTTP pools and checks the token with getMe; a Bot API that is down does not stop the gateway."""
    try:
        await application.bot.initialize()
    except InvalidToken:
        log.error("telegram rejected CAUNOI_TELEGRAM_TOKEN")  # its own message would print the token
    except TelegramError as error:
        log.warning("telegram getMe failed at start (%s); will send anyway", type(error).__name__)
