"""Issue #22: webhook bodies nobody on the project wrote, replayed through the running gateway with a valid secret or
signature. Every one a person sent gets an answer on the right chat, every one the bot does not handle is ignored,
none leaves an ERROR line or the person's words in the log. What each must do, and where it came from, is the table
in fixtures/real/SOURCES.md; this reads it.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.channels.notices import Notes
from bot.channels.zalo import CONSOLE_MSG_ID
from bot.content import gateway_texts
from bot.settings import PROJECT_ROOT
from bot.state.transcript import UNSUPPORTED
from harness.botapi import FakeBotAPI
from harness.rasa import FakeRasa
from tests.channels.fakes import FakeZalo
from tests.channels.harness import Running
from tests.channels.test_zalo import deliver, now_ms

REAL = Path(__file__).parent / "fixtures" / "real"
ROW = re.compile(r"^\| `(?P<file>[a-z]+/[\w.-]+\.json)` \| (?P<expect>answer|unreadable|ignore)"
                 r"(?: `(?P<to>[^`]+)`)? \|", re.M)
NOTES = Notes.from_texts(gateway_texts(PROJECT_ROOT / "content" / "vi"))


@dataclass(frozen=True)
class Replay:
    file: str
    expect: str
    to: str | None

    @property
    def channel(self) -> str:
        return self.file.split("/", 1)[0]

    def payload(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((REAL / self.file).read_text(encoding="utf-8"))
        return data

    def __str__(self) -> str:
        return self.file


def replays() -> list[Replay]:
    return [Replay(row["file"], row["expect"], row["to"])
            for row in ROW.finditer((REAL / "SOURCES.md").read_text(encoding="utf-8"))]


def words(data: dict[str, Any]) -> list[str]:
    """What the person wrote in an update or event (text, caption), as far as it can be found."""
    found = []
    for node in (data.get("message"), data.get("edited_message")):
        if isinstance(node, dict):
            found += [node[key] for key in ("text", "caption") if isinstance(node.get(key), str)]
    return [text for text in found if len(text) > 3]


async def replay(running: Running, item: Replay) -> int:
    data = item.payload()
    if item.channel == "telegram":
        return (await running.telegram(data)).status_code
    data["timestamp"] = now_ms()  # signed events older than two days are refused: sent again now, signed now
    return (await deliver(running, data)).status_code


def sent(bot_api: FakeBotAPI, zalo_api: FakeZalo) -> list[tuple[str, str]]:
    """(conversation, text) of every message the gateway sent, on either platform."""
    return [(f"tg:{call['chat_id']}", call["text"]) for call in bot_api.called("sendMessage")] + [
        (f"zalo:{request.json['recipient']['user_id']}", request.json["message"]["text"])
        for request in zalo_api.sends if request.json]


def test_the_sources_list_every_payload_once_and_enough_of_them() -> None:
    listed = [item.file for item in replays()]
    on_disk = sorted(f"{path.parent.name}/{path.name}" for path in REAL.glob("*/*.json"))
    assert sorted(listed) == on_disk
    assert len(listed) >= 40
    kinds = {(item.channel, item.expect) for item in replays()}
    assert kinds == {(channel, expect) for channel in ("telegram", "zalo") for expect in ("answer", "ignore")} | {
        ("telegram", "unreadable")}


@pytest.mark.parametrize("item", replays(), ids=str)
async def test_a_real_payload_is_answered_or_ignored_as_it_should(
        running: Running, rasa: FakeRasa, bot_api: FakeBotAPI, zalo_api: FakeZalo, item: Replay,
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    caplog.set_level(logging.DEBUG, logger="bot")
    assert await replay(running, item) == 200
    await running.settle()
    out = sent(bot_api, zalo_api)

    if item.expect == "ignore":
        assert out == [] and rasa.received == []
        assert await running.gateway.inbox.pending() == []
    else:
        assert out, "the person got no answer"
        assert {conversation for conversation, _ in out} == {item.to}
        notice = [text for _, text in out if text in (NOTES.unreadable, NOTES.unreadable_abroad)]
        assert bool(notice) == (item.expect == "unreadable")  # read, not merely told it could not be
        if item.to and not item.to.startswith("tg:-"):  # a group gets its note and nothing is kept of it
            transcript = await running.gateway.transcript.read(item.to)
            kinds = [entry["kind"] for entry in transcript if entry["from"] == "person"]
            assert len(kinds) == 1, "what the person sent is in the transcript, once"
            assert (kinds[0] == UNSUPPORTED) == (item.expect == "unreadable")

    assert [record.getMessage() for record in caplog.records if record.levelno >= logging.ERROR] == []
    logged = "\n".join(record.getMessage() for record in caplog.records)  # bot/logs.py adds no exception text
    for text in words(item.payload()):
        assert text not in logged


async def test_the_unreadable_notice_gives_the_numbers_and_says_what_happened() -> None:
    for text in (NOTES.unreadable, NOTES.unreadable_abroad):
        assert "chưa đọc được tin nhắn này" in text
        assert "+84 981 84 84 84" in text and "111" in text and "113" in text
    assert NOTES.unreadable_abroad.index("+84 981 84 84 84") < NOTES.unreadable_abroad.index("111")


CONSOLE = [item for item in replays() if item.channel == "zalo" and item.expect == "answer"
           and item.payload().get("message", {}).get("msg_id") == CONSOLE_MSG_ID]


async def test_every_console_test_event_is_processed_though_all_share_one_msg_id(
        running: Running, rasa: FakeRasa, bot_api: FakeBotAPI, zalo_api: FakeZalo) -> None:
    assert len(CONSOLE) >= 10
    for round_ in range(2):  # a deployer presses "test" again: the same bodies, a new timestamp each
        for item in CONSOLE:
            assert await replay(running, item) == 200
        await running.settle()
        answered = {conversation for conversation, _ in sent(bot_api, zalo_api)}
        assert answered == {item.to for item in CONSOLE}
        transcripts = [await running.gateway.transcript.read(conversation) for conversation in answered]
        assert sum(1 for entries in transcripts for entry in entries if entry["from"] == "person") == \
            len(CONSOLE) * (round_ + 1)


async def test_a_console_event_delivered_twice_is_still_processed_once(running: Running, rasa: FakeRasa,
                                                                       zalo_api: FakeZalo) -> None:
    data = CONSOLE[0].payload()
    data["timestamp"] = now_ms()
    for _ in range(3):  # Zalo's own redelivery: the same body, the same timestamp
        assert (await deliver(running, data)).status_code == 200
    await running.settle()
    assert len(rasa.received) == 1 and len(zalo_api.sends) == 1
