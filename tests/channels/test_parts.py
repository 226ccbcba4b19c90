"""The small pieces on their own: text splitting, Rasa's reply shapes, rate limits, dead letters, buttons."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
import redis.asyncio

from bot.channels.base import PermanentFailure
from bot.channels.buttons import ButtonMap, code_for
from bot.channels.splitting import join_replies, split_text
from bot.gateway.delivery import Delivery, Limits, RetryPolicy
from bot.gateway.rasa_client import to_outbounds
from bot.messages import Button, Inbound, Location, Outbound, channel_of
from bot.settings import SettingsError, from_environment
from bot.state import keys
from bot.state.deadletters import DeadLetters
from bot.state.ratelimit import AHEAD_SECONDS, Rate, RateLimiter
from bot.state.transcript import Transcript
from tests.channels.harness import Sleeps


def test_short_text_is_one_piece() -> None:
    assert split_text("  Xin chào.  ", 4096) == ["Xin chào."]


def test_one_turns_texts_in_a_row_become_one_message_until_a_keyboard_or_the_limit() -> None:
    keyboard = (Button("Có", "/affirm"),)
    turn = [Outbound("Một."), Outbound("Hai.", protect_content=True), Outbound("Ba?", keyboard),
            Outbound("Bốn."), Outbound("Năm.", request_location=True), Outbound("Sáu."), Outbound("x" * 20)]
    assert join_replies(turn, limit=20) == [
        Outbound("Một.\n\nHai.\n\nBa?", keyboard, protect_content=True),
        Outbound("Bốn.\n\nNăm.", request_location=True),
        Outbound("Sáu."),
        Outbound("x" * 20),  # 4 + 2 + 20 characters would pass the limit
    ]
    assert join_replies([]) == []


def test_split_prefers_paragraphs_then_sentences_then_words() -> None:
    text = "Câu một. Câu hai! Câu ba?\n\nĐoạn hai rất dài " + "chữ " * 40
    pieces = split_text(text, 60)
    assert pieces[0] == "Câu một. Câu hai! Câu ba?"
    assert all(len(piece) <= 60 for piece in pieces)
    assert " ".join(pieces).split() == text.split()


def test_split_cuts_a_word_longer_than_the_limit() -> None:
    assert split_text("a" * 25, 10) == ["a" * 10, "a" * 10, "a" * 5]


@pytest.mark.parametrize(("replies", "expected"), [
    ([{"text": "Một"}, {"text": "Hai", "buttons": [{"title": "Có", "payload": "/affirm"}, {"title": "x"}]}],
     [Outbound("Một"), Outbound("Hai", (Button("Có", "/affirm"),))]),
    # Rasa's REST channel sends a response's custom part as its own message, after the response's texts.
    ([{"text": "Bạn ở đâu?"}, {"custom": {"request_location": True}}],
     [Outbound("Bạn ở đâu?", request_location=True)]),
    ([{"text": "A"}, {"text": "B"}, {"custom": {"protect_content": True}}],
     [Outbound("A", protect_content=True), Outbound("B", protect_content=True)]),
    ([{"custom": {"text": "Gọi 111", "protect_content": True}}], [Outbound("Gọi 111", protect_content=True)]),
    ([{"custom": {"request_location": True}}], [Outbound("", request_location=True)]),
    ([{"image": "https://example.invalid/x.png"}, "junk", {"custom": {"other": 1}}], []),
])
def test_rasa_replies_become_outbound_messages(replies: list[Any], expected: list[Outbound]) -> None:
    assert to_outbounds(replies) == expected


def test_conversation_ids_name_their_channel() -> None:
    assert [channel_of(c) for c in ("tg:-100", "zalo:123", "web:abcdefgh")] == ["telegram", "zalo", "web"]
    with pytest.raises(ValueError):
        channel_of("sms:123")


def test_inbound_survives_json() -> None:
    inbound = Inbound("zalo", "zalo:1", "m1", location=Location(1.5, 2.5), campaign="c1")
    assert Inbound.from_json(json.loads(json.dumps(inbound.to_json()))) == inbound


async def wait_for(limiter: RateLimiter, now: float, *limits: tuple[str, Rate]) -> float:
    """The seconds from `now` (the limiter's clock) until the slot just taken of every limit."""
    return (await limiter.take(list(limits))).ready - now


async def test_rate_limiter_spaces_one_chat_to_one_message_a_second(redis_client: redis.asyncio.Redis) -> None:
    sleeps = Sleeps()
    now = [1000.0]
    limiter = RateLimiter(redis_client, sleeps, clock=lambda: now[0])
    per_chat = Rate(1.0)
    waits = [await wait_for(limiter, now[0], ("telegram:tg:1", per_chat)) for _ in range(3)]
    assert waits == pytest.approx([0.0, 1.0, 2.0])
    assert await wait_for(limiter, now[0], ("telegram:tg:2", per_chat)) == 0.0  # other chats are not held up
    now[0] += 10
    assert await wait_for(limiter, now[0], ("telegram:tg:1", per_chat)) == 0.0


async def test_limits_reserved_together_wait_for_the_slowest_and_all_take_a_slot(
        redis_client: redis.asyncio.Redis) -> None:
    limiter = RateLimiter(redis_client, Sleeps(), clock=lambda: 10.0)
    overall, per_chat = Rate(30.0, burst=5), Rate(1.0)
    both = [("telegram", overall), ("telegram:tg:1", per_chat)]
    assert await wait_for(limiter, 10.0, *both) == 0.0
    assert await wait_for(limiter, 10.0, *both) == pytest.approx(1.0)  # the chat's second message this second
    assert await wait_for(limiter, 10.0, ("telegram", overall)) == 0.0  # overall: 3 of its burst of 5 taken
    assert await wait_for(limiter, 10.0, ("telegram:tg:1", per_chat)) == pytest.approx(2.0)


async def test_rate_limiter_allows_a_burst_then_the_rate(redis_client: redis.asyncio.Redis) -> None:
    limiter = RateLimiter(redis_client, Sleeps(), clock=lambda: 50.0)
    waits = [await wait_for(limiter, 50.0, ("telegram", Rate(30.0, burst=5))) for _ in range(7)]
    assert waits[:5] == [0.0] * 5
    assert waits[5] == pytest.approx(1 / 30) and waits[6] == pytest.approx(2 / 30)


async def test_allow_takes_a_slot_only_when_one_is_free_and_a_refusal_takes_nothing(
        redis_client: redis.asyncio.Redis) -> None:
    now = [100.0]
    limiter = RateLimiter(redis_client, Sleeps(), clock=lambda: now[0])
    per_address, new = ("web:messages:a", Rate(1.0, burst=3)), ("web:new:a", Rate(0.1, burst=1))
    assert [await limiter.allow([per_address]) for _ in range(3)] == [0.0] * 3
    assert await limiter.allow([per_address]) == pytest.approx(1.0)
    assert await limiter.allow([per_address]) == pytest.approx(1.0)  # knocking again does not push it back
    now[0] += 1.0
    assert await limiter.allow([per_address, new]) == 0.0  # both free: both taken
    now[0] += 1.0
    assert await limiter.allow([per_address, new]) == pytest.approx(9.0)  # one busy: neither taken ...
    assert await limiter.allow([per_address]) == 0.0  # ... so the free one still has its slot


class Recording:
    channel = "test"
    unfollows = False
    numbered_choices = False

    def __init__(self) -> None:
        self.posted: list[tuple[str, str]] = []

    def parts(self, message: Outbound) -> list[Outbound]:
        return [message]

    async def post(self, conversation_id: str, part: Outbound) -> None:
        self.posted.append((conversation_id, part.text))


async def test_delivery_waits_for_each_chats_slot(redis_client: redis.asyncio.Redis) -> None:
    sleeps = Sleeps()
    transport = Recording()
    limits = Limits(Rate(30.0, burst=30), Rate(1.0, burst=1))
    delivery = Delivery(transport, redis_client, RateLimiter(redis_client, sleeps), limits,
                        Transcript(redis_client), DeadLetters(redis_client), RetryPolicy(), sleeps)
    for text in ("một", "hai", "ba"):
        assert await delivery.send("tg:9", Outbound(text))
    assert transport.posted == [("tg:9", "một"), ("tg:9", "hai"), ("tg:9", "ba")]
    # The injected sleep does not advance the clock, so the reservations pile up: ~1 s, then ~2 s.
    assert [round(delay) for delay in sleeps.delays] == [1, 2]


async def test_a_slot_taken_ahead_waits_only_for_what_is_left_of_it_and_then_expires(
        redis_client: redis.asyncio.Redis) -> None:
    sleeps = Sleeps()
    now = [100.0]
    limiter = RateLimiter(redis_client, sleeps, clock=lambda: now[0])
    per_chat = [("telegram:tg:1", Rate(1.0))]
    first, second = await limiter.take(per_chat), await limiter.take(per_chat)
    assert (first.ready, second.ready) == pytest.approx((100.0, 101.0))
    now[0] += 0.4  # taken while Rasa thought
    assert limiter.fresh(second)
    assert await limiter.use(first) == 0.0
    assert await limiter.use(second) == pytest.approx(0.6)
    assert sleeps.delays == pytest.approx([0.6])
    now[0] = first.ready + AHEAD_SECONDS + 0.01
    assert not limiter.fresh(first) and limiter.fresh(second)  # a slot counts from its time, not from its taking
    now[0] = second.ready + AHEAD_SECONDS + 0.01
    assert not limiter.fresh(second)


def limited_delivery(redis_client: redis.asyncio.Redis, transport: Recording, now: list[float],
                     sleeps: Sleeps) -> Delivery:
    """One message a second per chat, no burst; the limiter's clock is `now`."""
    return Delivery(transport, redis_client, RateLimiter(redis_client, sleeps, clock=lambda: now[0]),
                    Limits(Rate(30.0, burst=30), Rate(1.0, burst=1)), Transcript(redis_client),
                    DeadLetters(redis_client), RetryPolicy(), sleeps)


class Watching(Recording):
    """Notes, while each part is on its way, the chat's next free time in the limits."""

    def __init__(self, redis_client: redis.asyncio.Redis) -> None:
        super().__init__()
        self.redis = redis_client
        self.next_free: list[float] = []

    async def post(self, conversation_id: str, part: Outbound) -> None:
        await asyncio.sleep(0.02)  # on the wire
        self.next_free.append(float(await self.redis.get(keys.rate(f"test:{conversation_id}"))))
        await super().post(conversation_id, part)


async def test_delivery_uses_the_slot_taken_ahead_and_takes_the_next_parts_while_posting(
        redis_client: redis.asyncio.Redis) -> None:
    sleeps, now, transport = Sleeps(), [500.0], Watching(redis_client)
    delivery = limited_delivery(redis_client, transport, now, sleeps)
    ahead = delivery.take_slot("tg:9")
    assert await delivery.send_all("tg:9", [Outbound("một"), Outbound("hai")], ahead=ahead)
    assert [text for _, text in transport.posted] == ["một", "hai"]
    # Two slots in all: the first message used the one taken ahead (a third would have made the second wait 2 s),
    # and the second's was already taken while the first was on its way.
    assert sleeps.delays == pytest.approx([1.0])
    assert transport.next_free == pytest.approx([502.0, 502.0])


async def test_a_slot_taken_too_long_ago_is_replaced(redis_client: redis.asyncio.Redis) -> None:
    sleeps, now, transport = Sleeps(), [500.0], Watching(redis_client)
    delivery = limited_delivery(redis_client, transport, now, sleeps)
    ahead = delivery.take_slot("tg:8")
    await asyncio.wait({ahead})
    now[0] += AHEAD_SECONDS + 0.5  # Rasa took its time: a burst of old slots must not go out at once
    assert await delivery.send_all("tg:8", [Outbound("một")], ahead=ahead)
    assert transport.next_free == pytest.approx([502.0])  # a second slot, taken when the message went out


class Refusing(Recording):
    """Refuses any part whose text is "blocked" (a permanent failure); posts the rest."""

    async def post(self, conversation_id: str, part: Outbound) -> None:
        if part.text == "blocked":
            raise PermanentFailure("refused")
        await super().post(conversation_id, part)


async def test_a_turns_messages_all_go_out_before_the_transcript_records_them(
        redis_client: redis.asyncio.Redis) -> None:
    transport, transcript = Refusing(), Transcript(redis_client)
    delivery = Delivery(transport, redis_client, None, None, transcript, DeadLetters(redis_client))
    written: list[int] = []  # how many parts had gone out each time the transcript was written
    original = transcript.append_many

    async def watching(conversation_id: str, entries: Any) -> None:
        written.append(len(transport.posted))
        await original(conversation_id, entries)

    transcript.append_many = watching  # type: ignore[method-assign]
    assert not await delivery.send_all("tg:9", [Outbound("một"), Outbound("blocked"), Outbound("ba")])
    assert transport.posted == [("tg:9", "một"), ("tg:9", "ba")]  # a refused message does not stop the next
    assert written == [2]  # once, after both went out
    entries = await transcript.read("tg:9")
    assert [(entry["text"], entry.get("undeliverable", False)) for entry in entries] == \
        [("một", False), ("blocked", True), ("ba", False)]


async def test_dead_letters_are_listed_newest_first_and_can_be_removed(redis_client: redis.asyncio.Redis) -> None:
    dead = DeadLetters(redis_client, retention_days=1)
    old = await dead.add("tg:1", "telegram", "old", "x", at=1.0)  # older than the retention: pruned on next add
    first = await dead.add("tg:1", "telegram", "telegram 429 (after 5 attempts)", "Chào")
    second = await dead.add("zalo:2", "zalo", "undeliverable: zalo -230", "Xin chào")
    assert [entry["id"] for entry in await dead.read()] == [second, first]
    assert old not in await redis_client.hkeys(keys.DEAD_LETTER_ENTRIES)
    assert await dead.remove(first) == 1
    assert await dead.count() == 1


async def test_button_codes_resolve_only_for_their_conversation(redis_client: redis.asyncio.Redis) -> None:
    buttons = ButtonMap(redis_client)
    shelter = Button("Nơi ở", '/find_service{"service_type": "shelter"}')
    [code] = await buttons.codes("tg:1", [shelter])
    assert code == code_for(shelter.payload) and len(code.encode()) <= 64
    assert await buttons.resolve("tg:1", code) == shelter
    assert await buttons.resolve("tg:2", code) is None


async def test_numbered_choices_last_one_message(redis_client: redis.asyncio.Redis) -> None:
    buttons = ButtonMap(redis_client)
    options = [Button("Một", "/one"), Button("Hai", "/two")]
    await buttons.offer("zalo:1", options)
    assert await buttons.take("zalo:1", "2.") == options[1]
    assert await buttons.take("zalo:1", "1") is None  # used up
    await buttons.offer("zalo:1", options)
    assert await buttons.take("zalo:1", "tôi muốn hỏi") is None
    assert await buttons.take("zalo:1", "1") is None  # any message ends the offer
    await buttons.offer("zalo:1", options)
    assert await buttons.take("zalo:1", "3") is None


async def test_transcript_keeps_both_sides_with_a_ttl(redis_client: redis.asyncio.Redis) -> None:
    transcript = Transcript(redis_client, retention_days=30)
    await transcript.append("tg:1", "person", "[ảnh]", "photo")
    await transcript.append("tg:1", "bot", "Chào", undeliverable="telegram: Forbidden")
    entries = await transcript.read("tg:1")
    assert [(e["from"], e["kind"], e.get("undeliverable", False)) for e in entries] == [
        ("person", "photo", False), ("bot", "text", True)]
    assert 29 * 86400 < await redis_client.ttl(keys.transcript("tg:1")) <= 30 * 86400


def test_channel_settings_fail_fast() -> None:
    settings = from_environment({})
    assert settings.telegram_protect_safety is True and settings.retention_days == 30
    assert not settings.zalo_app_secret and "*" in repr(from_environment({"CAUNOI_ZALO_APP_SECRET": "s"}))
    assert from_environment({"CAUNOI_TELEGRAM_PROTECT_SAFETY": "off"}).telegram_protect_safety is False
    with pytest.raises(SettingsError, match="CAUNOI_TELEGRAM_PROTECT_SAFETY"):
        from_environment({"CAUNOI_TELEGRAM_PROTECT_SAFETY": "maybe"})
    with pytest.raises(SettingsError, match="CAUNOI_RETENTION_DAYS"):
        from_environment({"CAUNOI_RETENTION_DAYS": "0"})


def test_an_action_s_custom_message_carries_its_text_buttons_and_flags() -> None:
    from bot.gateway.rasa_client import to_outbounds as convert
    from bot.messages import Button as B

    reply = {"custom": {"text": "Bạn đang ở đâu?", "buttons": [{"title": "Hà Nội", "payload": "/inform_location"}],
                        "request_location": True, "protect_content": True}}
    [message] = convert([reply])
    assert (message.text, message.buttons, message.request_location, message.protect_content) == (
        "Bạn đang ở đâu?", (B("Hà Nội", "/inform_location"),), True, True)
