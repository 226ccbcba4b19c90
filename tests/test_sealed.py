"""Sealing message texts at rest (bot/state/sealed.py) and the CAUNOI_DATA_KEYS setting."""

from __future__ import annotations

import pytest
import redis.asyncio

from bot.settings import Secret, SettingsError, from_environment
from bot.state import keys
from bot.state.deadletters import DeadLetters
from bot.state.queue import Case, HandoffQueue
from bot.state.sealed import CHUNKED, MARK, Sealer, Unreadable, chunk_count, new_key
from bot.state.transcript import Transcript

TEXT = "cứu tôi với, bị giữ hộ chiếu ở Campuchia"


def sealer(*keys: str) -> Sealer:
    return Sealer(tuple(Secret(key) for key in keys))


def test_a_sealed_text_shows_nothing_of_itself_and_opens_again() -> None:
    one = sealer(new_key())
    sealed = one.seal(TEXT)
    assert sealed.startswith(MARK)
    assert "Campuchia" not in sealed and "cứu" not in sealed
    assert one.seal(TEXT) != sealed  # a fresh IV each time: equal texts do not look equal at rest
    assert one.open(sealed) == TEXT


def test_values_stored_before_encryption_are_read_as_they_are() -> None:
    assert sealer(new_key()).open('{"text": "xin chào"}') == '{"text": "xin chào"}'


def test_rotation_keeps_old_values_readable_and_reseals_them_under_the_new_key() -> None:
    old, new = new_key(), new_key()
    before = sealer(old).seal(TEXT)
    rotating = sealer(new, old)
    assert rotating.open(before) == TEXT
    assert not rotating.is_current(before)
    after = rotating.reseal(before)
    assert rotating.is_current(after)
    assert sealer(new).open(after) == TEXT  # the old key can now be dropped
    with pytest.raises(Unreadable):
        sealer(new).open(before)
    with pytest.raises(Unreadable):
        sealer(new).open(MARK + "not-a-token")


def test_a_chunked_value_grows_by_appending_and_opens_to_its_pieces_in_order() -> None:
    one = sealer(new_key())
    pieces = ['{"events": [', '{"text": "cứu tôi"}', ', {"text": "ở Campuchia"}', "]}"]
    value = one.seal_chunked(pieces[0])
    for piece in pieces[1:]:
        grown = value + one.chunk(piece)
        assert grown.startswith(value)  # what is stored stays as it is: an append (Redis APPEND)
        value = grown
    assert value.startswith(CHUNKED) and chunk_count(value) == 4
    assert "Campuchia" not in value and "cứu" not in value
    assert one.open(value) == "".join(pieces)
    assert one.is_current(value)
    assert one.open(one.seal_chunked("")) == ""


def test_a_chunked_value_rotates_into_one_chunk_under_the_new_key() -> None:
    old, new = new_key(), new_key()
    value = sealer(old).seal_chunked("một") + sealer(old).chunk(" hai")
    rotating = sealer(new, old)
    value += rotating.chunk(" ba")  # appended after the restart with the new key first
    assert rotating.open(value) == "một hai ba"
    assert not rotating.is_current(value)  # some chunks are still under the old key
    after = rotating.reseal(value)
    assert chunk_count(after) == 1 and rotating.is_current(after)
    assert sealer(new).open(after) == "một hai ba"
    with pytest.raises(Unreadable):
        sealer(new).open(value)  # one chunk under a dropped key: the value does not open, nothing is made up
    with pytest.raises(Unreadable):
        sealer(new).open(value[:-3] + "xyz")  # a chunk altered at rest


def test_without_keys_the_error_says_how_to_make_one() -> None:
    with pytest.raises(SettingsError, match="caunoi keys new"):
        Sealer.from_settings(from_environment({}))


def test_keys_are_checked_at_start_and_never_shown() -> None:
    good, other = new_key(), new_key()
    settings = from_environment({"CAUNOI_DATA_KEYS": f"{good}, {other}"})
    assert [key.reveal() for key in settings.data_keys] == [good, other]
    assert good not in repr(settings) and other not in repr(settings)
    typo = good[:-2] + "!="
    for bad in (typo, f"{good},", good[:20], f"{good},{good}x"):
        with pytest.raises(SettingsError, match="CAUNOI_DATA_KEYS") as raised:
            from_environment({"CAUNOI_DATA_KEYS": bad})
        assert good[:20] not in str(raised.value)


async def test_transcripts_dead_letters_and_cases_are_sealed_in_redis(redis_client: redis.asyncio.Redis) -> None:
    one = sealer(new_key())
    transcript = Transcript(redis_client, sealer=one)
    await transcript.append("tg:7", "person", TEXT)
    [raw] = await redis_client.lrange(keys.transcript("tg:7"), 0, -1)
    assert "Campuchia" not in raw
    assert [entry["text"] for entry in await transcript.read("tg:7")] == [TEXT]

    dead = DeadLetters(redis_client, sealer=one)
    await dead.add("tg:7", "telegram", "blocked", text=TEXT)
    assert all("Campuchia" not in value for value in (await redis_client.hgetall(keys.DEAD_LETTER_ENTRIES)).values())
    assert [entry["text"] for entry in await dead.read()] == [TEXT]
    assert await dead.forget_conversation("tg:7") == 1

    queue = HandoffQueue(redis_client, one)
    await queue.enqueue(Case("tg:7", "telegram", "high", ("Bị giữ hộ chiếu",), "Ở Campuchia"))
    stored = await redis_client.hgetall(keys.case("tg:7"))
    assert "Campuchia" not in stored["summary"] and "hộ chiếu" not in stored["reasons"]
    case = await queue.case("tg:7")
    assert case is not None and case.summary == "Ở Campuchia" and case.reasons == ("Bị giữ hộ chiếu",)


async def test_an_entry_no_key_opens_is_kept_and_marked_not_lost(redis_client: redis.asyncio.Redis) -> None:
    await Transcript(redis_client, sealer=sealer(new_key())).append("tg:8", "person", TEXT)
    other = Transcript(redis_client, sealer=sealer(new_key()))
    assert [entry["kind"] for entry in await other.read("tg:8")] == ["unreadable"]
    assert await redis_client.llen(keys.transcript("tg:8")) == 1
