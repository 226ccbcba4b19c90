"""Zalo campaigns by typed code (bot/outreach/typed_code.py): the first message a person types, when it is exactly a
running campaign's code (any case), reaches the bot as a greeting with the campaign; nothing else does."""

from __future__ import annotations

from typing import Any

import redis.asyncio

from bot.state.campaigns import CampaignStore, validated
from harness.rasa import FakeRasa
from tests.channels.harness import Running
from tests.channels.test_zalo import CONVERSATION, deliver, event

OTHER = "7770000000000000002"


def texted(text: str, number: int, user: str | None = None) -> dict[str, Any]:
    data = event("user_send_text", text=text, msg_id=f"fake-msg-campaign-{number:04d}")
    if user is not None:
        data["sender"] = {"id": user}
    return data


async def campaigns(redis_client: redis.asyncio.Redis) -> None:
    store = CampaignStore(redis_client)
    await store.create(validated("QN-Cho-2026", "Chợ Quảng Ninh", greeting="Chào bạn!"))
    await store.create(validated("da-tat", "Đã tắt"))
    await store.disable("da-tat")
    await store.create(validated("da-xong", "Đã xong", end="2020-01-31"))


async def test_a_code_typed_first_after_following_starts_the_campaign(running: Running, rasa: FakeRasa,
                                                                      redis_client: redis.asyncio.Redis) -> None:
    await campaigns(redis_client)
    await deliver(running, event("follow"))  # the follow greeting is not something the person typed
    await deliver(running, texted(" qn-cho-2026 ", 1))
    await deliver(running, texted("qn-cho-2026", 2))  # later: only text
    await running.settle()
    assert [(body["message"], body["metadata"].get("campaign")) for body in rasa.received] == [
        ("/greet", None), ("/greet", "QN-Cho-2026"), ("qn-cho-2026", None)]
    typed = [entry for entry in await running.gateway.transcript.read(CONVERSATION) if entry["from"] == "person"]
    assert [(entry["kind"], entry["text"]) for entry in typed] == [
        ("command", "[follow]"), ("text", "qn-cho-2026"), ("text", "qn-cho-2026")]  # recorded as text


async def test_other_first_messages_reach_the_bot_as_text(running: Running, rasa: FakeRasa,
                                                          redis_client: redis.asyncio.Redis) -> None:
    await campaigns(redis_client)
    firsts = ["da-tat", "DA-XONG", "khong-co", "qn-cho-2026 xin chào", "qn-cho-2026!"]
    for number, text in enumerate(firsts):
        await deliver(running, texted(text, number, user=f"77700000000000001{number:02d}"))
    await running.settle()
    assert sorted((body["message"], body["metadata"].get("campaign")) for body in rasa.received) == \
        sorted((text, None) for text in firsts)


async def test_a_code_after_a_first_message_is_only_text(running: Running, rasa: FakeRasa,
                                                         redis_client: redis.asyncio.Redis) -> None:
    await campaigns(redis_client)
    await deliver(running, texted("chào", 1, user=OTHER))
    await deliver(running, texted("QN-CHO-2026", 2, user=OTHER))
    await running.settle()
    assert rasa.messages(f"zalo:{OTHER}") == ["chào", "QN-CHO-2026"]
    assert all("campaign" not in body["metadata"] for body in rasa.received)
