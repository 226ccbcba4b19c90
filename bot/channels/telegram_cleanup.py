"""Telegram hygiene: when a person has their data erased, the bot also deletes messages from the chat on their phone.

The Bot API's deleteMessage works on messages younger than 48 hours: the bot's own, and in a private chat the
person's too. So the gateway notes the ids (never the text) of the messages it may have to delete, in a sorted set
by time that expires with that window; when the person's erase goes through it deletes those still inside it and
tells the person what went and what stays (content/<language>/gateway/messages.yml, `chat_*`). Older messages,
and any the platform refuses, remain: the note says so and how to delete the chat themselves.

CAUNOI_TELEGRAM_DELETE_ON_ERASE: `sensitive` (default) — the bot's sensitive messages (safety messages sent with
protect_content, whatever was said around a handoff, the emergency numbers: `Outbound.sensitive`) and everything
the person wrote; `all` — every bot message too; `off` — nothing is noted or deleted.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import redis
import redis.asyncio
from telegram import Bot
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot.channels.base import ChatMessage
from bot.channels.notices import Notes
from bot.state import keys

log = logging.getLogger(__name__)
WINDOW_SECONDS = 48 * 3600
# A message at the very edge of the window may pass it before its turn: it is counted as too old rather than tried.
MARGIN_SECONDS = 120
MAX_DELETIONS = 500  # 48 hours of a busy chat; beyond that the person deletes the chat themselves
MAX_RETRY_AFTER = 5.0  # seconds worth waiting once when Telegram asks to slow down; longer: give up on the rest
CALL_TIMEOUT = 5.0


@dataclass(frozen=True)
class Cleaned:
    """What deleting did: messages gone from the chat (the bot's, the person's) and messages left there."""

    by_bot: int = 0
    by_person: int = 0
    left: int = 0


class ChatLog:
    """The ids of the messages the bot may delete from a Telegram chat, by the time they were sent."""

    def __init__(self, client: redis.asyncio.Redis, mode: str = "sensitive", clock: Callable[[], float] = time.time):
        self.mode = mode
        self._redis = client
        self._clock = clock

    async def sent(self, conversation_id: str, message_id: int, sensitive: bool) -> None:
        """A message the bot sent; noted when the option covers it."""
        if self.mode == "all" or (self.mode == "sensitive" and sensitive):
            await self._note(conversation_id, f"b{message_id}")

    async def received(self, conversation_id: str, message_id: int) -> None:
        if self.mode != "off":
            await self._note(conversation_id, f"p{message_id}")

    async def _note(self, conversation_id: str, member: str) -> None:
        key = keys.chat_messages(conversation_id)
        async with self._redis.pipeline(transaction=True) as pipe:
            # NX: an edited message comes again with its old id; its window still counts from the first sending.
            pipe.zadd(key, {member: self._clock()}, nx=True)
            pipe.expire(key, WINDOW_SECONDS)
            await pipe.execute()

    async def noted(self, conversation_id: str) -> list[ChatMessage]:
        """Every message noted for the chat (those past the window too: the person is told about them), oldest first."""
        if self.mode == "off":
            return []
        members = await self._redis.zrange(keys.chat_messages(conversation_id), 0, -1, withscores=True)
        return [ChatMessage(int(member[1:]), member[0] == "b", float(at)) for member, at in members
                if member[1:].isdigit()]

    def deletable(self, message: ChatMessage) -> bool:
        return message.sent_at > self._clock() - WINDOW_SECONDS + MARGIN_SECONDS


async def delete_messages(bot: Bot, chat_id: int, messages: list[ChatMessage],
                          sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> Cleaned:
    """Deletes each message; one that is already gone counts as deleted, one Telegram refuses as left."""
    by_bot = by_person = left = 0
    for position, message in enumerate(messages[:MAX_DELETIONS]):
        deleted = await _delete(bot, chat_id, message.message_id, sleep)
        if deleted is None:  # the bot is blocked or Telegram wants a long pause: the rest cannot go either
            left += len(messages[position:MAX_DELETIONS])
            break
        if not deleted:
            left += 1
        elif message.from_bot:
            by_bot += 1
        else:
            by_person += 1
    left += max(0, len(messages) - MAX_DELETIONS)
    return Cleaned(by_bot, by_person, left)


async def _delete(bot: Bot, chat_id: int, message_id: int, sleep: Callable[[float], Awaitable[None]]) -> bool | None:
    for attempt in (1, 2):
        try:
            return bool(await bot.delete_message(chat_id, message_id, read_timeout=CALL_TIMEOUT,
                                                 write_timeout=CALL_TIMEOUT, connect_timeout=CALL_TIMEOUT))
        except RetryAfter as error:
            wait = error.retry_after if isinstance(error.retry_after, (int, float)) \
                else error.retry_after.total_seconds()
            if attempt == 2 or wait > MAX_RETRY_AFTER:
                return None
            await sleep(float(wait))
        except BadRequest as error:  # before NetworkError, its base class
            return "message to delete not found" in error.message.lower()  # already gone: deleted
        except (Forbidden, NetworkError) as error:  # blocked, or the Bot API is down or hangs: not on every id
            log.warning("telegram deleteMessage stopped: %s", type(error).__name__)
            return None
        except TelegramError as error:
            log.warning("telegram deleteMessage failed: %s", type(error).__name__)
            return False
    return False


def report(notes: Notes, cleaned: Cleaned) -> str:
    """What the person is told: what went from the chat, what is left, and how to delete the rest themselves."""
    lines = []
    what = [template.format(count=count) for template, count in
            ((notes.chat_deleted_bot, cleaned.by_bot), (notes.chat_deleted_person, cleaned.by_person)) if count]
    if what:
        lines.append(notes.chat_deleted.format(what=f" {notes.chat_and} ".join(what)))
    if cleaned.left:
        lines.append(notes.chat_not_deleted.format(count=cleaned.left))
    lines.append(notes.chat_rest)
    return "\n".join(lines)


async def clean_chat(bot: Bot, chat_log: ChatLog, notes: Notes, conversation_id: str,
                     messages: list[ChatMessage]) -> str | None:
    """Deletes the noted messages still inside the window and says what happened; None when the option is off."""
    if chat_log.mode == "off":
        return None
    fresh = [message for message in messages if chat_log.deletable(message)]
    cleaned = await delete_messages(bot, int(conversation_id.removeprefix("tg:")), fresh)
    cleaned = Cleaned(cleaned.by_bot, cleaned.by_person, cleaned.left + len(messages) - len(fresh))
    log.info("telegram chat cleaned deleted=%d left=%d", cleaned.by_bot + cleaned.by_person, cleaned.left)
    return report(notes, cleaned)


async def safely(work: Awaitable[None]) -> None:
    """Noting an id must never fail a delivery that already happened."""
    try:
        await work
    except (redis.RedisError, OSError) as error:
        log.warning("telegram chat log unavailable: %s", type(error).__name__)
