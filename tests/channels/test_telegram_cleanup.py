"""Telegram hygiene on an erase: the bot deletes its safety messages and the person's own messages from the chat
(through the real python-telegram-bot and the Bot API double), within the 48-hour window, and says what it did."""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

import redis.asyncio

from bot.channels.notices import Notes
from bot.content import gateway_texts
from bot.gateway.parts import GatewayOptions
from bot.messages import Outbound
from bot.settings import Settings
from bot.state import keys
from bot.state.erase import ERASE_PAYLOAD
from harness.botapi import Behaviour, FakeBotAPI, text_update
from harness.rasa import FakeRasa
from tests.channels.harness import Running, run_gateway

CHAT = 515151
CONVERSATION = f"tg:{CHAT}"


def replies(message: dict[str, Any]) -> list[dict[str, Any]]:
    who = {"recipient_id": message["sender"]}
    if message["message"] == "/delete_my_data":  # as action_delete_my_data answers: the text, then the request
        return [{**who, "text": "Đã xóa: 3 tin nhắn."}, {**who, "custom": ERASE_PAYLOAD}]
    if "khan cap" in message["message"]:  # a safety message: protected, so deleted on an erase
        return [{**who, "text": "Số khẩn cấp: 113"}, {**who, "custom": {"protect_content": True}}]
    return [{**who, "text": "Chào bạn, mình là Cầu Nối."}]


async def converse(gateway: Running, bot_api: FakeBotAPI) -> dict[str, Any]:
    """Greeting and a safety answer. The ids involved."""
    ids: dict[str, Any] = {"person": []}
    for text in ("xin chào", "so khan cap"):
        update = text_update(CHAT, text)
        ids["person"].append(update["message"]["message_id"])
        await gateway.telegram(update)
        await gateway.settle()
        if text == "so khan cap":
            ids["safety"] = bot_api._message_id  # the double numbers the messages it sends
        else:
            ids["greeting"] = bot_api._message_id
    return ids


async def erase_now(gateway: Running, ids: dict[str, Any]) -> None:
    update = text_update(CHAT, "/xoa")
    ids["person"].append(update["message"]["message_id"])
    await gateway.telegram(update)
    await gateway.settle()


def deleted(bot_api: FakeBotAPI) -> list[tuple[str, str]]:
    return [(str(call["chat_id"]), str(call["message_id"])) for call in bot_api.called("deleteMessage")]


def notes(settings: Settings) -> Notes:
    return Notes.from_texts(gateway_texts(settings.content_dir))


async def test_erase_deletes_safety_messages_and_the_persons_messages(running: Running, rasa: FakeRasa,
                                                                      bot_api: FakeBotAPI,
                                                                      channel_settings: Settings) -> None:
    rasa.replies = replies
    ids = await converse(running, bot_api)
    await erase_now(running, ids)

    expected = {(str(CHAT), str(ids["safety"]))} | {(str(CHAT), str(person)) for person in ids["person"]}
    assert set(deleted(bot_api)) == expected
    assert (str(CHAT), str(ids["greeting"])) not in deleted(bot_api)  # not a safety message: left alone
    sent = [call["text"] for call in bot_api.called("sendMessage")]
    assert sent[-2] == "Đã xóa: 3 tin nhắn."
    text = notes(channel_settings)
    done = text.chat_deleted.format(what=f"{text.chat_deleted_bot.format(count=1)} {text.chat_and} "
                                         f"{text.chat_deleted_person.format(count=3)}")
    assert sent[-1] == f"{done}\n{text.chat_rest}"
    # The note is not recorded: nothing about the conversation is left, the record of message ids included.
    assert await running.gateway.transcript.read(CONVERSATION) == []
    assert not [key for key in await running.redis.keys(f"*{CONVERSATION}*") if "rate" not in key]


async def test_messages_past_the_48_hour_window_are_not_tried_and_the_person_is_told(
        running: Running, rasa: FakeRasa, bot_api: FakeBotAPI, channel_settings: Settings) -> None:
    rasa.replies = replies
    ids = await converse(running, bot_api)
    old = ids["person"][0]
    await running.redis.zadd(keys.chat_messages(CONVERSATION), {f"p{old}": time.time() - 48 * 3600 - 60})
    await erase_now(running, ids)

    assert (str(CHAT), str(old)) not in deleted(bot_api)
    assert len(deleted(bot_api)) == 3
    text = notes(channel_settings)
    assert text.chat_not_deleted.format(count=1) in bot_api.called("sendMessage")[-1]["text"]


async def test_a_refused_deletion_is_counted_as_left(running: Running, rasa: FakeRasa, bot_api: FakeBotAPI,
                                                     channel_settings: Settings) -> None:
    rasa.replies = replies
    ids = await converse(running, bot_api)
    bot_api.answer("deleteMessage", Behaviour("400"))  # "Bad Request: chat not found", for the first call only
    await erase_now(running, ids)

    assert len(deleted(bot_api)) == 4  # the others were still tried
    last = bot_api.called("sendMessage")[-1]["text"]
    text = notes(channel_settings)
    assert text.chat_not_deleted.format(count=1) in last
    # The oldest noted message, the person's first, was refused; the other two of theirs and the safety message went.
    assert text.chat_deleted_person.format(count=2) in last
    assert text.chat_deleted_bot.format(count=1) in last


async def test_a_blocked_bot_stops_deleting(running: Running, rasa: FakeRasa, bot_api: FakeBotAPI) -> None:
    rasa.replies = replies
    ids = await converse(running, bot_api)
    bot_api.answer("deleteMessage", Behaviour("403"))
    await erase_now(running, ids)
    assert len(deleted(bot_api)) == 1  # the rest cannot go either: no more calls


async def test_all_deletes_every_bot_message(channel_settings: Settings, rasa: FakeRasa, options: GatewayOptions,
                                             bot_api: FakeBotAPI, redis_client: redis.asyncio.Redis) -> None:
    rasa.replies = replies
    async with run_gateway(replace(channel_settings, telegram_delete_on_erase="all"), rasa, options,
                           redis_client) as gateway:
        ids = await converse(gateway, bot_api)
        await erase_now(gateway, ids)
    assert (str(CHAT), str(ids["greeting"])) in deleted(bot_api)
    assert (str(CHAT), str(ids["safety"])) in deleted(bot_api)
    # The "Đã xóa" reply went out before the erase: in `all` it goes too, and the note stays.
    assert len(deleted(bot_api)) == 3 + 3


async def test_off_deletes_nothing_and_notes_nothing(channel_settings: Settings, rasa: FakeRasa,
                                                     options: GatewayOptions, bot_api: FakeBotAPI,
                                                     redis_client: redis.asyncio.Redis) -> None:
    rasa.replies = replies
    async with run_gateway(replace(channel_settings, telegram_delete_on_erase="off"), rasa, options,
                           redis_client) as gateway:
        ids = await converse(gateway, bot_api)
        assert not await redis_client.exists(keys.chat_messages(CONVERSATION))
        await erase_now(gateway, ids)
    assert bot_api.called("deleteMessage") == []
    assert bot_api.called("sendMessage")[-1]["text"] == "Đã xóa: 3 tin nhắn."


async def test_noted_ids_expire_with_the_window_and_hold_no_text(running: Running, rasa: FakeRasa,
                                                                 bot_api: FakeBotAPI) -> None:
    rasa.replies = replies
    await converse(running, bot_api)
    key = keys.chat_messages(CONVERSATION)
    ttl = await running.redis.ttl(key)
    assert 48 * 3600 - 60 < ttl <= 48 * 3600
    members = await running.redis.zrange(key, 0, -1)
    assert len(members) == 3 and all(member[0] in "bp" and member[1:].isdigit() for member in members)


async def test_handoff_messages_count_as_sensitive(running: Running, rasa: FakeRasa, bot_api: FakeBotAPI) -> None:
    rasa.replies = replies
    ids = await converse(running, bot_api)
    # What the operator console sends (bot/console/handoff.py marks it sensitive), and a plain gateway message.
    await running.gateway.send(CONVERSATION, Outbound("Mình là Hoa, nhân viên hỗ trợ.", sensitive=True))
    operator = bot_api._message_id
    await running.gateway.send(CONVERSATION, Outbound("Bạn cứ viết nhé."))
    plain = bot_api._message_id
    await erase_now(running, ids)
    assert (str(CHAT), str(operator)) in deleted(bot_api)
    assert (str(CHAT), str(plain)) not in deleted(bot_api)


async def test_a_bot_api_that_is_down_stops_deleting_and_the_person_is_told(running: Running, rasa: FakeRasa,
                                                                           bot_api: FakeBotAPI,
                                                                           channel_settings: Settings) -> None:
    rasa.replies = replies
    ids = await converse(running, bot_api)
    bot_api.answer("deleteMessage", Behaviour("5xx", 502))
    await erase_now(running, ids)
    assert len(deleted(bot_api)) == 1  # not one timeout per message
    text = notes(channel_settings)
    assert text.chat_not_deleted.format(count=4) in bot_api.called("sendMessage")[-1]["text"]
