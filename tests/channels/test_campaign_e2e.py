"""A campaign end to end: a Telegram `/start CODE` through the gateway, the real welcome and escalate actions behind a
stand-in Rasa, the campaign's greeting on Telegram, and counts in Redis that identify no one; on Zalo, the code typed
as the first message does the same."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import pytest
import redis.asyncio
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

import actions.common
from actions.escalate import ActionEscalate
from actions.welcome import ActionWelcome
from bot.settings import Settings
from bot.state.campaigns import CampaignStore, today, validated
from harness.botapi import FakeBotAPI, text_update
from harness.rasa import FakeRasa
from tests.actions.recorded import domain
from tests.channels import test_zalo
from tests.channels.fakes import FakeZalo
from tests.channels.harness import Running

CHAT = 515151
DANGER = "cứu tôi với, tôi bị giữ ở Campuchia không cho về"
GREETING = "Chào bạn! Nhóm tình nguyện Tết 2027 gửi đến bạn kênh hỗ trợ này."


@dataclass
class Actions:
    """What Rasa answers as far as these two turns go: /greet runs action_welcome, anything else action_escalate."""

    slots: dict[str, Any] = field(default_factory=lambda: {"campaign": None, "escalated": None})
    events: list[dict[str, Any]] = field(default_factory=list)

    async def __call__(self, turn: dict[str, Any]) -> list[dict[str, Any]]:
        greet = turn["message"] == "/greet"
        intent = {"name": "greet" if greet else "report_danger", "confidence": 1.0}
        message = {"text": turn["message"], "intent": intent, "entities": [], "metadata": turn.get("metadata") or {}}
        self.events.append({"event": "user", "text": turn["message"], "parse_data": message,
                            "input_channel": turn.get("input_channel")})
        tracker = Tracker(turn["sender"], dict(self.slots), message, list(self.events), False, None, {},
                          "action_listen")
        dispatcher = CollectingDispatcher()
        action = ActionWelcome() if greet else ActionEscalate()
        for event in await action.run(dispatcher, tracker, domain()):
            if event.get("event") == "slot":
                self.slots[event["name"]] = event["value"]
        replies = [{"recipient_id": turn["sender"], "text": rendered(m)} for m in dispatcher.messages]
        self.events += [{"event": "bot", "text": reply["text"]} for reply in replies]
        return replies


def rendered(message: dict[str, Any]) -> str:
    if message.get("custom"):
        return str(message["custom"]["text"])
    if message.get("text"):
        return str(message["text"])
    values = {key: value for key, value in message.items() if key not in ("response", "text")}
    return actions.common.response_text(domain(), message["response"], **values)


@pytest.fixture
def played() -> Actions:
    return Actions()


@pytest.fixture
def rasa(played: Actions) -> FakeRasa:
    return FakeRasa(replies=played)


@pytest.fixture
def channel_settings(channel_settings: Settings) -> Settings:
    # The actions run inside the fake, in this process, reached over a real socket with the gateway's Rasa
    # timeout: on a busy machine the first turn (loading the domain, building the triage tables) can take longer
    # than the channel tests' 2 s.
    return replace(channel_settings, rasa_timeout_seconds=30.0)


async def test_a_campaign_link_greets_escalates_and_counts_without_identifying_anyone(
        running: Running, played: Actions, bot_api: FakeBotAPI, redis_client: redis.asyncio.Redis,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(actions.common, "_redis", redis_client)
    store = CampaignStore(redis_client)
    await store.create(validated("tet-2027", "Tết 2027", team="Nhóm A", place="Nghệ An", greeting=GREETING))

    await running.telegram(text_update(CHAT, "/start tet-2027"))
    await running.settle()
    await running.telegram(text_update(CHAT, DANGER))
    await running.settle()

    texts = [m["text"] for m in bot_api.called("sendMessage")]
    # The greeting and the welcome are one turn's texts: one message (bot/channels/splitting.py join_replies).
    welcome = actions.common.response_text(domain(), "utter_welcome", **actions.common.welcome_facts(domain()))
    assert texts[0] == f"{GREETING}\n\n{welcome}"
    assert played.slots == {"campaign": "tet-2027", "escalated": True}
    assert (await running.gateway.queue.case(f"tg:{CHAT}")).campaign == "tet-2027"  # type: ignore[union-attr]

    assert (await store.counts("tet-2027"))[today()] == {"started": 1, "answered": 0, "job_check": 0,
                                                         "service_search": 0, "escalated": 1, "referred": 0}
    stored: list[str] = []
    async for key in redis_client.scan_iter("caunoi:campaign*"):
        kind = await redis_client.type(key)
        value = (await redis_client.hgetall(key) if kind == "hash" else await redis_client.smembers(key))
        stored.append(f"{key} {value}")
    dump = "\n".join(stored)
    assert str(CHAT) not in dump and "tg:" not in dump and "Campuchia" not in dump


async def test_on_zalo_the_code_typed_first_greets_and_counts(
        running: Running, played: Actions, zalo_api: FakeZalo, redis_client: redis.asyncio.Redis,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(actions.common, "_redis", redis_client)
    store = CampaignStore(redis_client)
    await store.create(validated("tet-2027", "Tết 2027", greeting=GREETING))

    # As the poster says: "nhắn mã TET-2027" (any case).
    await test_zalo.deliver(running, test_zalo.event("user_send_text", text="TET-2027"))
    await running.settle()

    assert zalo_api.texts()[0].startswith(GREETING)
    assert played.slots["campaign"] == "tet-2027"
    assert (await store.counts("tet-2027"))[today()]["started"] == 1
