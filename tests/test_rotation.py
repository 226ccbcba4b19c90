"""Key rotation (`caunoi keys rotate`, bot/state/rotation.py) against a real Redis: old data stays readable, is
re-sealed
under the new key, values no key opens are kept, and nothing else is touched."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import pytest
import redis.asyncio

from bot.channels.buttons import ButtonMap
from bot.channels.web import WebSender
from bot.cli import main
from bot.console.notes import CaseNotes
from bot.gateway.inbox import Inbox
from bot.messages import Button, Inbound, Location, Outbound
from bot.settings import Secret, get_settings
from bot.state import keys
from bot.state.deadletters import DeadLetters
from bot.state.queue import Case, HandoffQueue
from bot.state.rotation import Rotation
from bot.state.sealed import Sealer, new_key, process_sealer
from bot.state.transcript import Transcript

OLD, NEW, LOST = new_key(), new_key(), new_key()
TEXT = "em bị giữ hộ chiếu ở Campuchia"


def sealer(*keys_: str) -> Sealer:
    return Sealer(tuple(Secret(key) for key in keys_))


async def store_everything(client: redis.asyncio.Redis, with_sealer: Sealer) -> None:
    """One value of every kind the gateway, the console and Rasa seal."""
    await Transcript(client, sealer=with_sealer).append("tg:1", "person", TEXT)
    await DeadLetters(client, sealer=with_sealer).add("tg:1", "telegram", "blocked", text=TEXT)
    await HandoffQueue(client, with_sealer).enqueue(Case("tg:1", "telegram", "high", ("Bị giữ hộ chiếu",), TEXT))
    await CaseNotes(client, lambda: 1.0, sealer=with_sealer).add("tg:1", "lan", TEXT)
    await CaseNotes(client, lambda: 1.0, sealer=with_sealer).record_handoff("tg:1", {"referral": {"text": TEXT}})
    await ButtonMap(client, with_sealer).codes("tg:1", [Button(TEXT, "/inform")])
    await ButtonMap(client, with_sealer).offer("zalo:1", [Button(TEXT, "/inform")])
    await Inbox(client, with_sealer).submit(Inbound("telegram", "tg:1", "9", TEXT, Location(10.76, 106.66)), "u9")
    await WebSender(client, sealer=with_sealer).send("web:abcdefgh", Outbound(TEXT))
    # Rasa's tracker is sealed in chunks, one appended per save (bot/rasa_server/tracker_store.py)
    tracker = with_sealer.seal_chunked('{"events": [') + with_sealer.chunk(json.dumps({"text": TEXT})) \
        + with_sealer.chunk("]}")
    await client.set(keys.rasa_tracker("tg:1"), tracker, ex=600)
    await client.hset(keys.ZALO_TOKENS, mapping={"access_token": with_sealer.seal(TEXT),
                                                 "refresh_token": with_sealer.seal(TEXT), "expires_at": "0"})


async def snapshot(client: redis.asyncio.Redis) -> dict[str, object]:
    found: dict[str, object] = {}
    async for key in client.scan_iter(count=500):
        kind = await client.type(key)
        found[key] = (await client.lrange(key, 0, -1) if kind == "list" else await client.hgetall(key)
                      if kind == "hash" else await client.zrange(key, 0, -1) if kind == "zset"
                      else await client.get(key) if kind == "string" else kind)
    return found


async def read_everything(client: redis.asyncio.Redis, with_sealer: Sealer) -> list[str]:
    """What the stores give back, as text, through their ordinary reading paths."""
    found = [entry["text"] for entry in await Transcript(client, sealer=with_sealer).read("tg:1")]
    found += [entry["text"] for entry in await DeadLetters(client, sealer=with_sealer).read()]
    case = await HandoffQueue(client, with_sealer).case("tg:1")
    found += [case.summary if case else "", *(case.reasons if case else ())]
    notes = CaseNotes(client, lambda: 1.0, sealer=with_sealer)
    found += [note["text"] for note in await notes.read("tg:1")]
    found += [handoff["referral"]["text"] for handoff in await notes.handoffs("tg:1")]
    [code] = await client.hkeys(keys.buttons("tg:1"))
    found += [button.title for button in [await ButtonMap(client, with_sealer).resolve("tg:1", code)] if button]
    head = await client.lindex(keys.inbox("tg:1"), 0)
    found += [Inbox(client, with_sealer).open(head).text] if head else []
    found += [message["text"] for message in await WebSender(client, sealer=with_sealer).collect("web:abcdefgh")]
    tracker = await client.get(keys.rasa_tracker("tg:1"))
    found += [json.loads(with_sealer.open(tracker))["events"][0]["text"]] if tracker else []
    zalo = await client.hgetall(keys.ZALO_TOKENS)
    found += [with_sealer.open(zalo[name]) for name in keys.ZALO_TOKENS_SEALED if name in zalo]
    return found


async def test_rotation_reseals_every_kind_under_the_new_key_and_the_old_key_can_go(
        redis_client: redis.asyncio.Redis) -> None:
    await store_everything(redis_client, sealer(OLD))
    await redis_client.rpush(keys.transcript("tg:2"), json.dumps({"at": 1, "from": "person", "text": TEXT,
                                                                   "kind": "text"}))  # from before encryption
    await redis_client.rpush(keys.transcript("tg:3"), sealer(LOST).seal("{}"))  # its key is gone
    lost = await redis_client.lindex(keys.transcript("tg:3"), 0)
    unrelated = {"caunoi:campaign:x": "Chiến dịch Campuchia"}
    await redis_client.set("caunoi:campaign:x", unrelated["caunoi:campaign:x"])
    ttl_before = await redis_client.ttl(keys.rasa_tracker("tg:1"))

    both = sealer(NEW, OLD)
    before = await snapshot(redis_client)
    check = await Rotation(redis_client, both, check=True).run()
    # 11 kinds (the case and the Zalo tokens have two fields each) and the plain entry
    assert check.resealed == 14 and not check.done
    assert await snapshot(redis_client) == before  # --check changed nothing

    report = await Rotation(redis_client, both).run()
    assert (report.resealed, report.current, report.unreadable, report.changed) == (14, 0, 1, 0)
    assert report.done

    only_new = sealer(NEW)
    assert sorted(await read_everything(redis_client, only_new)) == sorted([TEXT] * 11 + ["Bị giữ hộ chiếu"])
    [plain] = await Transcript(redis_client, sealer=only_new).read("tg:2")
    assert plain["text"] == TEXT
    assert await redis_client.lindex(keys.transcript("tg:3"), 0) == lost  # kept, byte for byte
    assert await redis_client.get("caunoi:campaign:x") == unrelated["caunoi:campaign:x"]  # not a sealed key
    assert 0 < await redis_client.ttl(keys.rasa_tracker("tg:1")) <= ttl_before  # the retention period survives

    again = await Rotation(redis_client, both).run()
    # Reading the web outbox took its message: one value fewer than before, all under the new key.
    assert (again.resealed, again.unreadable, again.current) == (0, 1, report.resealed - 1)


async def test_a_value_that_changed_while_rotating_is_left_to_its_writer(redis_client: redis.asyncio.Redis) -> None:
    old, both = sealer(OLD), sealer(NEW, OLD)
    await redis_client.set(keys.rasa_tracker("tg:1"), old.seal("first"))
    rotation = Rotation(redis_client, both)
    stale = await redis_client.get(keys.rasa_tracker("tg:1"))
    newer = both.seal("saved by Rasa meanwhile")
    await redis_client.set(keys.rasa_tracker("tg:1"), newer)
    report = await rotation.run()
    assert report.current == 1 and report.changed == 0
    swapped = await rotation._swap(keys=[keys.rasa_tracker("tg:1")], args=["string", "", stale, both.seal("x")])
    assert swapped == 0 and await redis_client.get(keys.rasa_tracker("tg:1")) == newer


@pytest.fixture
def rotate_env(redis_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    monkeypatch.setenv("REDIS_URL", redis_url)
    monkeypatch.setenv("CAUNOI_DATA_KEYS", f"{NEW},{OLD}")
    get_settings.cache_clear()
    process_sealer.cache_clear()
    yield monkeypatch
    get_settings.cache_clear()
    process_sealer.cache_clear()


async def test_the_command_rotates_and_says_when_the_old_key_can_go(
        rotate_env: pytest.MonkeyPatch, redis_client: redis.asyncio.Redis,
        capsys: pytest.CaptureFixture[str]) -> None:
    await Transcript(redis_client, sealer=sealer(OLD)).append("tg:1", "person", TEXT)
    # main() runs its own event loop: call it from a thread, as a person's shell would run it beside this one.
    assert await asyncio.to_thread(main, ["keys", "rotate", "--check"]) == 0
    assert "would re-seal: 1 keys: 1 values re-sealed" in capsys.readouterr().out
    assert await asyncio.to_thread(main, ["keys", "rotate"]) == 0
    out, err = capsys.readouterr()
    assert "1 values re-sealed" in out and "older keys can be removed" in out
    assert NEW not in out + err and OLD not in out + err
    [entry] = await Transcript(redis_client, sealer=sealer(NEW)).read("tg:1")
    assert entry["text"] == TEXT


def test_the_command_without_keys_is_one_clear_line(redis_url: str, monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("REDIS_URL", redis_url)
    monkeypatch.setenv("CAUNOI_DATA_KEYS", "")
    get_settings.cache_clear()
    try:
        assert main(["keys", "rotate"]) == 2
    finally:
        get_settings.cache_clear()
    assert "CAUNOI_DATA_KEYS is not set" in capsys.readouterr().err


def test_new_keys_are_fresh_and_accepted(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["keys", "new"]) == 0
    first = capsys.readouterr().out.strip()
    main(["keys", "new"])
    second = capsys.readouterr().out.strip()
    assert first != second
    assert sealer(first, second).open(sealer(second).seal(TEXT)) == TEXT
