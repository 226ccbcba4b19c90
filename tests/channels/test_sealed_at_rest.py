"""A Redis dump alone reveals no message text: a conversation through every store, then every key's raw value."""

from __future__ import annotations

import time
from typing import Any

import redis
import redis.asyncio

from bot.console.notes import CaseNotes
from bot.state import keys
from bot.state.queue import Case
from harness.botapi import Behaviour, FakeBotAPI, message_update, text_update
from harness.rasa import FakeRasa
from tests.channels.harness import Running
from tests.conftest import TEST_REDIS_URL
from tests.rawscan import hits

CHAT = 515151
CONVERSATION = f"tg:{CHAT}"
SAID = ["Chồng tôi đánh tôi ở Nghệ An", "giấy tờ bị thu hết rồi", "tin nhắn còn chờ xử lý", "em ở trọ Vinh một mình"]
NOTE = "ghi chú riêng: hàng xóm tên Hoa"
PLACE = {"latitude": 18.6796, "longitude": 105.6813}


def echo_with_buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    """Rasa's answer repeats what it understood (so replies carry the person's words) and offers buttons for it."""
    said = message["message"]
    return [{"recipient_id": message["sender"], "text": f"Bạn nói: {said}",
             "buttons": [{"title": f"Tìm nơi giúp ở {said}", "payload": f'/find_service{{"place": "{said}"}}'}]}]


async def test_a_conversation_leaves_no_message_text_in_redis(running: Running, rasa: FakeRasa,
                                                              bot_api: FakeBotAPI) -> None:
    rasa.replies = echo_with_buttons
    await running.telegram(text_update(CHAT, SAID[0]))
    await running.telegram(message_update(CHAT, location=PLACE))
    await running.settle()
    bot_api.answer("sendMessage", *[Behaviour("5xx", 502)] * 3)  # this reply ends in the dead letters
    await running.telegram(text_update(CHAT, SAID[1]))
    await running.settle()
    await running.gateway.queue.enqueue(Case(CONVERSATION, "telegram", "high", (f"Nói: {SAID[0]}",), SAID[0]))
    await CaseNotes(running.redis, time.time).add(CONVERSATION, "lan", NOTE)
    web = await running.web_chat().say(text=SAID[3])
    assert web.status_code == 200
    await running.gateway.worker.stop()  # nobody drains now: the last message waits in the inbox
    await running.telegram(text_update(CHAT, SAID[2]))

    # Everything is there, and reads back through the stores ...
    transcript = await running.gateway.transcript.read(CONVERSATION)
    assert SAID[0] in [entry["text"] for entry in transcript]
    assert any(entry["kind"] == "location" for entry in transcript)
    assert [letter["text"] for letter in await running.gateway.dead_letters.read()] == [f"Bạn nói: {SAID[1]}"]
    case = await running.gateway.queue.case(CONVERSATION)
    assert case is not None and case.summary == SAID[0]
    assert await running.redis.llen(keys.inbox(CONVERSATION)) == 1
    assert await running.redis.exists(keys.buttons(CONVERSATION), keys.case_notes(CONVERSATION)) == 2

    # ... but the raw values show none of it: no words, no place, no coordinates.
    needles = [*SAID, NOTE, "Nghệ An", "hàng xóm", f"{PLACE['latitude']}", f"{PLACE['longitude']}"]
    assert hits(TEST_REDIS_URL, needles) == []


def test_the_scan_finds_plain_text_wherever_it_is(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    client.rpush("plain:list", '{"text": "Chồng tôi đánh tôi"}')
    client.hset("plain:hash", "summary", '{"text": "Ch\\u1ed3ng t\\u00f4i \\u0111\\u00e1nh"}')  # JSON-escaped
    client.set("plain:long", "x" * 500 + "chong toi danh toi" + "y" * 500)  # DUMP compresses this one
    client.xadd("plain:stream", {"note": "hàng xóm tên Hoa"})
    found = hits(redis_url, ["Chồng tôi đánh", "hàng xóm", "chưa từng nói"])
    assert sorted(found) == [("plain:hash", "Chồng tôi đánh"), ("plain:list", "Chồng tôi đánh"),
                             ("plain:long", "Chồng tôi đánh"), ("plain:stream", "hàng xóm")]
