"""Telegram through python-telegram-bot 22: reading updates into `Inbound`, and posting replies.

The webhook route (bot/app.py) and `caunoi telegram poll` share `parse_update`; the processing itself is the
gateway's (inbox → dispatcher), so python-telegram-bot is used for its Bot API client and types, with no handlers
and no updater. Replies are plain text (no parse_mode): nothing in the content can break a message.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hmac
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
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

from bot.channels.base import (
    ChatMessage,
    FetchFailed,
    PermanentFailure,
    RetryLater,
    TemporaryFailure,
    TooLarge,
    Undeliverable,
)
from bot.channels.buttons import ButtonMap
from bot.channels.notices import UNREADABLE, Notes
from bot.channels.splitting import split_text
from bot.channels.telegram_cleanup import ChatLog, clean_chat, safely
from bot.channels.telegram_http import AiohttpRequest
from bot.messages import Inbound, Location, Outbound
from bot.settings import Secret, Settings

log = logging.getLogger(__name__)
# The update kinds the gateway reads: Telegram is asked for these only (set-webhook, getUpdates). Any other kind that
# still arrives (a webhook set by another tool, a subscription left from before) is dropped before it is parsed.
ALLOWED_UPDATES = ("message", "edited_message", "callback_query")
# Every kind an Update can carry, by its field name: what the log may name of an update it ignores.
UPDATE_KINDS = frozenset({
    "message", "edited_message", "channel_post", "edited_channel_post", "business_connection", "business_message",
    "edited_business_message", "deleted_business_messages", "message_reaction", "message_reaction_count",
    "inline_query", "chosen_inline_result", "callback_query", "shipping_query", "pre_checkout_query",
    "purchased_paid_media", "poll", "poll_answer", "my_chat_member", "chat_member", "chat_join_request", "chat_boost",
    "removed_chat_boost"})
POLL_SECONDS = 30
_COMMAND = re.compile(r"^/(?P<name>[A-Za-z0-9_]+)(?:@[A-Za-z0-9_]+)?(?:\s+(?P<argument>.*))?$", re.S)
_INTEGER = re.compile(r"-?\d{1,20}")
CAMPAIGN_CODE = re.compile(r"[A-Za-z0-9_-]{1,64}")
# Message content the bot cannot read, in the order python-telegram-bot's Message exposes it (the JSON field name,
# which is also the attribute's, and the kind the transcript shows).
ATTACHMENTS = (("animation", "gif"), ("photo", "photo"), ("voice", "voice"), ("video_note", "video"),
               ("video", "video"), ("audio", "audio"), ("sticker", "sticker"), ("document", "document"),
               ("contact", "contact"), ("poll", "poll"), ("dice", "dice"))
# The attachments the gateway fetches (bot/media/): pictures to read, and what an operator may look at or listen to.
FETCHED = ("photo", "voice", "audio", "document")
# What only a person puts in a message, besides ATTACHMENTS: a message with none of it and one of SERVICE is a
# service message (members joining, a pin, a new title, a payment…), which nobody wrote and nobody is answered for.
CONTENT = frozenset({"text", "caption", "location", "venue", "game", "story", "paid_media", "checklist", "giveaway",
                     *(field for field, _ in ATTACHMENTS)})
SERVICE = frozenset({
    "new_chat_members", "new_chat_member", "new_chat_participant", "left_chat_member", "left_chat_participant",
    "new_chat_title", "new_chat_photo", "delete_chat_photo", "group_chat_created", "supergroup_chat_created",
    "channel_chat_created", "message_auto_delete_timer_changed", "migrate_to_chat_id", "migrate_from_chat_id",
    "pinned_message", "successful_payment", "refunded_payment", "users_shared", "user_shared", "chat_shared", "gift",
    "unique_gift", "connected_website", "write_access_allowed", "passport_data", "proximity_alert_triggered",
    "boost_added", "chat_background_set", "checklist_tasks_done", "checklist_tasks_added",
    "direct_message_price_changed", "paid_message_price_changed", "forum_topic_created", "forum_topic_edited",
    "forum_topic_closed", "forum_topic_reopened", "general_forum_topic_hidden", "general_forum_topic_unhidden",
    "giveaway_created", "giveaway_completed", "video_chat_scheduled", "video_chat_started", "video_chat_ended",
    "video_chat_participants_invited", "voice_chat_scheduled", "voice_chat_started", "voice_chat_ended",
    "voice_chat_participants_invited", "web_app_data"})


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


def parse_update(data: Mapping[str, Any]) -> tuple[str | None, Inbound] | None:
    """(dedupe key, message) for an update a person sent; None for anything the gateway does not answer.

    Kinds the gateway does not handle and service messages are recognised in the raw JSON and dropped before any
    parsing. python-telegram-bot refuses an update that lacks a field it requires, and real updates do (`is_bot` in
    every example of Telegram's own webhook guide, `file_unique_id` on media sent before Bot API 4.5): such an update
    is read from its raw JSON instead, and goes on like any other. A message from a person that neither can read
    comes back as an `unreadable` event, which the webhook answers with the emergency numbers. Nothing of the update
    goes to the log but its kind and the name of what refused it.
    """
    kind = next((name for name in ALLOWED_UPDATES if isinstance(data.get(name), dict)), None)
    if kind is None:
        log.debug("telegram update ignored kind=%s", _kind_name(data))
        return None
    body: Mapping[str, Any] = data[kind]
    if kind != "callback_query" and not (CONTENT & body.keys()) and SERVICE & body.keys():
        return None  # a service message: nobody wrote it
    update_id = _integer(data.get("update_id"))
    key = str(update_id) if update_id is not None else None
    read: _Message | _Press | None
    try:
        read = _typed(Update.de_json(dict(data), None))
    except Exception as error:  # logged by type and place (bot/logs.py never prints what an exception says)
        log.warning("telegram update read from its raw JSON: python-telegram-bot refused it (%s)",
                    type(error).__name__, exc_info=True)
        read = _raw(kind, body, key)
    if read is None:
        log.warning("telegram update unreadable kind=%s: no chat to answer", kind)
        return None
    inbound = read.inbound()
    if inbound is not None and inbound.attachment:
        inbound = dataclasses.replace(inbound, **attached_file(body))
    return (key, inbound) if inbound is not None else None


def attached_file(body: Mapping[str, Any]) -> dict[str, Any]:
    """The Bot API file of a message's photo (its largest size), voice note, audio or document: `file_ref` (the
    file_id getFile takes), `file_size` and `mime` when Telegram gives them; nothing for other attachments."""
    for field in FETCHED:
        value = body.get(field)
        if isinstance(value, list):  # a photo comes in several sizes, smallest first
            value = value[-1] if value else None
        if not isinstance(value, Mapping) or not isinstance(value.get("file_id"), str):
            continue
        size, mime = _integer(value.get("file_size")), value.get("mime_type")
        return {"file_ref": value["file_id"], "file_size": size,
                "mime": mime if isinstance(mime, str) else ("image/jpeg" if field == "photo" else None)}
    return {}


def _kind_name(data: Mapping[str, Any]) -> str:
    return next((name for name in data if name in UPDATE_KINDS), "unknown")


def _integer(value: Any) -> int | None:
    """A Telegram id or count as sent (a JSON number; a numeric string is read too), None for anything else."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and _INTEGER.fullmatch(value.strip()):
        return int(value)
    return None


@dataclass(frozen=True)
class _Message:
    """What the gateway reads of a message, from python-telegram-bot's types or from the raw JSON."""

    chat_id: int
    private: bool
    message_id: str
    text: Any = None
    caption: Any = None
    location: tuple[Any, Any] | None = None  # (latitude, longitude) as sent
    attachment: str | None = None

    def inbound(self) -> Inbound:
        base: dict[str, Any] = {"channel": "telegram", "conversation_id": f"tg:{self.chat_id}",
                                "message_id": self.message_id}
        if not self.private:
            return Inbound(**base, event="not_private")
        if self.location is not None:
            location = _location(*self.location)
            return Inbound(**base, location=location) if location else Inbound(**base, event="location_unreadable")
        if isinstance(self.text, str):
            return _read_text(self.text, base)
        if self.attachment:
            return Inbound(**base, attachment=self.attachment,
                           text=self.caption if isinstance(self.caption, str) else "")
        return Inbound(**base, event=UNREADABLE)  # written by a person, in a shape nothing here reads


@dataclass(frozen=True)
class _Press:
    """A button press: the chat it came from (the person's own when the message is gone), the query and its data."""

    chat_id: int
    private: bool
    query_id: str
    data: str

    def inbound(self) -> Inbound | None:
        if not self.private:
            return None
        return Inbound(channel="telegram", conversation_id=f"tg:{self.chat_id}", message_id=f"cb:{self.query_id}",
                       button=self.data or "-", ack=self.query_id or None)


def _location(latitude: Any, longitude: Any) -> Location | None:
    if not all(isinstance(value, (int, float)) and not isinstance(value, bool) for value in (latitude, longitude)):
        return None
    if -90 <= latitude <= 90 and -180 <= longitude <= 180:
        return Location(float(latitude), float(longitude))
    return None


def _typed(update: Update) -> _Message | _Press:
    if update.callback_query is not None:
        query = update.callback_query
        chat = query.message.chat if query.message is not None else None
        return _Press(chat.id if chat is not None else query.from_user.id,
                      chat is None or chat.type == ChatType.PRIVATE, query.id, query.data or "")
    message = update.message or update.edited_message  # an edit is read as a new message
    assert message is not None  # parse_update only asks for updates that carry one
    location = message.location
    return _Message(message.chat.id, message.chat.type == ChatType.PRIVATE, str(message.message_id),
                    text=message.text, caption=message.caption,
                    location=(location.latitude, location.longitude) if location is not None else None,
                    attachment=next((shown for field, shown in ATTACHMENTS if getattr(message, field, None)), None))


def _raw(kind: str, body: Mapping[str, Any], key: str | None) -> _Message | _Press | None:
    """The same, read from the JSON itself: only what the gateway uses, each field checked for its type. The chat
    is the message's, else the sender's (a private chat has the person's id); without a type, a positive id is a
    person's private chat (groups and channels have negative ids)."""
    sender = _mapping(body.get("from"))
    if kind == "callback_query":
        message = _mapping(body.get("message"))
        chat_id, private = _chat(_mapping(message.get("chat")), sender)
        query_id = body.get("id")
        data = body.get("data")
        return _Press(chat_id, private, str(query_id) if isinstance(query_id, (str, int)) else "",
                      data if isinstance(data, str) else "") if chat_id is not None else None
    chat_id, private = _chat(_mapping(body.get("chat")), sender)
    if chat_id is None:
        return None
    message_id = _integer(body.get("message_id"))
    location = _mapping(body.get("location"))
    return _Message(chat_id, private, str(message_id) if message_id is not None else f"update:{key}",
                    text=body.get("text"), caption=body.get("caption"),
                    location=(location.get("latitude"), location.get("longitude")) if location else None,
                    attachment=next((shown for field, shown in ATTACHMENTS if body.get(field)), None))


def _chat(chat: Mapping[str, Any], sender: Mapping[str, Any]) -> tuple[int | None, bool]:
    chat_id = _integer(chat.get("id")) or _integer(sender.get("id"))
    chat_type = chat.get("type")
    private = chat_type == ChatType.PRIVATE if isinstance(chat_type, str) else chat_id is not None and chat_id > 0
    return chat_id, private


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


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

    async def fetch(self, inbound: Inbound, limit: int) -> bytes:
        """getFile, then the file's download (the Bot API serves up to 20 MB)."""
        if not inbound.file_ref:
            raise FetchFailed("no file")
        if inbound.file_size is not None and inbound.file_size > limit:
            raise TooLarge("file_size")
        try:
            found = await self._bot.get_file(inbound.file_ref, read_timeout=10.0, connect_timeout=5.0)
            if found.file_size is not None and found.file_size > limit:
                raise TooLarge("file_size")
            data = bytes(await found.download_as_bytearray(read_timeout=30.0, connect_timeout=5.0))
        except TelegramError as error:
            raise FetchFailed(f"telegram: {type(error).__name__}") from None
        if len(data) > limit:
            raise TooLarge("downloaded")
        return data

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
