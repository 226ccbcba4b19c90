"""Retention on a real Redis: each message moves a conversation's deadline, a closed handoff sets the outcome's
period, and the scheduled purge erases whatever is past its deadline that TTLs miss (periods of seconds here)."""

from __future__ import annotations

import asyncio
import time

import pytest
import redis.asyncio

from bot.rasa_server.endpoints import rasa_endpoints
from bot.settings import SettingsError
from bot.state import keys
from bot.state.deadletters import DeadLetters
from bot.state.erase import UNANSWERED_AFTER_SECONDS, erase, request_erase
from bot.state.retention import KeptTranscript, Periods, Purger, Retention
from tests.conftest import make_settings

A, B, C = "tg:101", "zalo:202", "web:waiting-person"
DAY = 24 * 3600


async def test_each_message_moves_the_deadline_and_the_transcript_ttl(redis_client: redis.asyncio.Redis) -> None:
    retention = Retention(redis_client, Periods(default=100))
    transcript = KeptTranscript(redis_client, retention)
    await transcript.append(A, "person", "xin chào")
    first = await retention.deadline(A)
    assert first is not None and 98 < first - time.time() <= 100.01  # the time is kept to the millisecond
    assert 98 < await redis_client.ttl(keys.transcript(A)) <= 100
    await asyncio.sleep(0.05)
    await transcript.append(A, "bot", "Chào bạn")
    later = await retention.deadline(A)
    assert later is not None and later > first
    assert [entry["text"] for entry in await transcript.read(A)] == ["xin chào", "Chào bạn"]


async def test_a_close_sets_the_outcome_period_from_the_close(redis_client: redis.asyncio.Redis) -> None:
    retention = Retention(redis_client, Periods(default=100, by_outcome={"referred": 1000, "false_alarm": 10}))
    transcript = KeptTranscript(redis_client, retention)
    await transcript.append(A, "person", "cứu tôi")
    await redis_client.set(keys.rasa_tracker(A), "{}", ex=50)  # Rasa's own TTL
    await redis_client.rpush(keys.case_notes(A), "{}")

    deadline = await retention.close(A, "referred")
    assert 998 < deadline - time.time() <= 1000.01
    for key in (keys.transcript(A), keys.rasa_tracker(A), keys.case_notes(A)):
        assert 998 < await redis_client.ttl(key) <= 1000, key
    # A later message (the closing note, the person writing again) keeps the outcome's period, not the default.
    await transcript.append(A, "bot", "Cuộc trò chuyện đã kết thúc.")
    assert await redis_client.ttl(keys.transcript(A)) > 900
    later = await retention.deadline(A)
    assert later is not None and later - time.time() > 900

    # A shorter period brings the deadline forward: a false alarm is not kept longer than it needs.
    await retention.close(A, "false_alarm")
    shorter = await retention.deadline(A)
    assert shorter is not None and shorter - time.time() <= 10.01
    assert await redis_client.ttl(keys.transcript(A)) <= 10
    # Outcomes without a period of their own get the default.
    assert Retention(redis_client, Periods(100, {"referred": 1000})).periods.after("informed") == 100


async def conversation_with_everything(client: redis.asyncio.Redis, transcript: KeptTranscript,
                                       dead: DeadLetters, conversation_id: str) -> None:
    await transcript.append(conversation_id, "person", "tôi bị giữ ở đây")
    await client.set(keys.rasa_tracker(conversation_id), '{"events": []}')  # no TTL reaches it from here
    await client.rpush(keys.case_notes(conversation_id), '{"text": "ghi chú"}')
    await client.rpush(keys.handoffs(conversation_id), '{"outcome": "informed"}')
    await client.hset(keys.TRANSCRIPT_LENGTHS, conversation_id, 1)  # left by the old transcript watcher
    await dead.add(conversation_id, "telegram", "test", "tin không gửi được")


def leftovers(found: list[str], conversation_id: str) -> list[str]:
    return [key for key in found if conversation_id in key]


async def test_the_scheduled_purge_erases_what_is_past_its_period(redis_client: redis.asyncio.Redis) -> None:
    retention = Retention(redis_client, Periods(default=1))
    transcript = KeptTranscript(redis_client, retention)
    dead = DeadLetters(redis_client)
    await conversation_with_everything(redis_client, transcript, dead, A)
    await conversation_with_everything(redis_client, transcript, dead, C)
    await redis_client.set(keys.conversation_mode(C), "waiting")  # not closed: kept however old

    stopping = asyncio.Event()
    purge = asyncio.create_task(Purger(redis_client, retention, dead).run(0.2, stopping))
    try:
        await asyncio.sleep(0.6)
        await transcript.append(B, "person", "xin chào")  # a conversation still going on
        deadline = time.monotonic() + 5
        while leftovers(await redis_client.keys("*"), A) and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
            await transcript.append(B, "person", "còn đây")
    finally:
        stopping.set()
        await asyncio.wait_for(purge, 5)

    everything = await redis_client.keys("*")
    assert leftovers(everything, A) == []
    assert not await redis_client.exists(keys.TRANSCRIPT_LENGTHS)
    assert await redis_client.zscore(keys.RETENTION, A) is None
    assert await dead.read() == []  # older than the period, whoever they belong to
    assert await transcript.read(B) != []  # still within its period
    # The waiting conversation keeps everything TTLs do not take, and is looked at again a period later.
    assert await redis_client.exists(keys.rasa_tracker(C), keys.case_notes(C)) == 2
    again = await retention.deadline(C)
    assert again is not None and again > time.time()


async def test_one_worker_purges_per_interval(redis_client: redis.asyncio.Redis) -> None:
    retention = Retention(redis_client, Periods(default=1))
    first = Purger(redis_client, retention, DeadLetters(redis_client))
    second = Purger(redis_client, retention, DeadLetters(redis_client))
    assert await first.tick(10) is not None
    assert await second.tick(10) is None
    assert 8 < await redis_client.ttl(keys.PURGE_LOCK) <= 9


async def test_old_dead_letters_are_pruned_even_with_no_new_ones(redis_client: redis.asyncio.Redis) -> None:
    dead = DeadLetters(redis_client)
    await dead.add("tg:9", "telegram", "old", "cũ", at=time.time() - 10)
    await dead.add("tg:9", "telegram", "new", "mới")
    report = await Purger(redis_client, Retention(redis_client, Periods(default=5)), dead).purge()
    assert report.dead_letters == 1
    assert [entry["reason"] for entry in await dead.read()] == ["new"]


async def test_audit_entries_older_than_their_period_are_trimmed(redis_client: redis.asyncio.Redis) -> None:
    now = 100_000_000.0  # seconds; the stream's ids are the milliseconds an entry was written at
    day = 24 * 3600
    for age_days in (400, 366, 364, 1):
        at_ms = int((now - age_days * day) * 1000)
        await redis_client.xadd(keys.AUDIT, {"action": f"{age_days} days ago"}, id=f"{at_ms}-0")
    purger = Purger(redis_client, Retention(redis_client, Periods(default=30)), DeadLetters(redis_client),
                    clock=lambda: now, audit_days=365)
    assert (await purger.purge()).audit_entries == 2
    kept = [fields["action"] for _, fields in await redis_client.xrange(keys.AUDIT)]
    assert kept == ["364 days ago", "1 days ago"]
    assert (await purger.purge()).audit_entries == 0
    assert make_settings().audit_retention_days == 365
    assert make_settings(CAUNOI_AUDIT_RETENTION_DAYS="90").audit_retention_days == 90
    with pytest.raises(SettingsError, match="CAUNOI_AUDIT_RETENTION_DAYS"):
        make_settings(CAUNOI_AUDIT_RETENTION_DAYS="0")


async def test_an_erased_conversation_takes_its_younger_dead_letters(redis_client: redis.asyncio.Redis) -> None:
    now = time.time()
    retention = Retention(redis_client, Periods(default=60), clock=lambda: now - 120)
    await retention.keep(A)  # went quiet two minutes ago: a minute past its period
    dead = DeadLetters(redis_client)
    await dead.add(A, "telegram", "mine", "của A")
    await dead.add(B, "telegram", "other", "của B")
    report = await Purger(redis_client, retention, dead, clock=lambda: now).purge()
    assert (report.erased, report.dead_letters) == (1, 1)
    assert [entry["conversation_id"] for entry in await dead.read()] == [B]


async def test_an_erase_the_gateway_never_got_to_is_done_by_the_purge(redis_client: redis.asyncio.Redis) -> None:
    # The person said yes to "delete everything?", and the gateway gave up waiting for Rasa's answer (or died).
    retention = Retention(redis_client, Periods(default=DAY))
    transcript, dead = KeptTranscript(redis_client, retention), DeadLetters(redis_client)
    for conversation_id in (A, C):
        await conversation_with_everything(redis_client, transcript, dead, conversation_id)
        await request_erase(redis_client, conversation_id)
    await redis_client.set(keys.conversation_mode(C), "waiting")  # asked while waiting: erased all the same
    asked = await redis_client.zscore(keys.ERASE_REQUESTS, A)
    assert asked is not None
    soon = await Purger(redis_client, retention, dead, clock=lambda: asked + 60).purge()
    assert soon.requested == 0 and await transcript.read(A) != []  # the turn may still be under way
    later = await Purger(redis_client, retention, dead, clock=lambda: asked + UNANSWERED_AFTER_SECONDS + 60).purge()
    assert later.requested == 2
    assert [key for key in await redis_client.keys("*") if A in key or C in key] == []
    assert await dead.read() == [] and await redis_client.zcard(keys.ERASE_REQUESTS) == 0


async def test_a_message_just_before_the_purge_saves_the_conversation(redis_client: redis.asyncio.Redis) -> None:
    clock = [1000.0]
    retention = Retention(redis_client, Periods(default=60), clock=lambda: clock[0])
    await retention.keep(A)
    clock[0] += 61
    await retention.keep(A)  # the person wrote again
    report = await Purger(redis_client, retention, DeadLetters(redis_client), clock=lambda: clock[0]).purge()
    assert report.erased == 0
    clock[0] += 61
    report = await Purger(redis_client, retention, DeadLetters(redis_client), clock=lambda: clock[0]).purge()
    assert report.erased == 1


async def test_erasing_takes_the_conversation_off_the_schedule(redis_client: redis.asyncio.Redis) -> None:
    retention = Retention(redis_client, Periods(default=100))
    await KeptTranscript(redis_client, retention).append(A, "person", "xóa giúp tôi")
    await erase(redis_client, A)
    assert await retention.deadline(A) is None
    assert await redis_client.keys("*") == []


def test_settings_read_the_outcome_table_the_interval_and_the_telegram_option() -> None:
    settings = make_settings(CAUNOI_RETENTION_DAYS="20", CAUNOI_RETENTION_BY_OUTCOME="referred=120, false_alarm=7",
                             CAUNOI_PURGE_INTERVAL_SECONDS="600", CAUNOI_TELEGRAM_DELETE_ON_ERASE="ALL")
    periods = Periods.from_settings(settings)
    assert periods.default == 20 * DAY
    assert periods.after("referred") == 120 * DAY and periods.after("false_alarm") == 7 * DAY
    assert periods.after("informed") == 20 * DAY
    assert settings.purge_interval_seconds == 600 and settings.telegram_delete_on_erase == "all"
    defaults = make_settings()
    assert dict(defaults.retention_by_outcome) == {"referred": 90}
    assert defaults.purge_interval_seconds == 3600 and defaults.telegram_delete_on_erase == "sensitive"
    # Rasa's own TTL on trackers never cuts a conversation kept longer: the purge erases it on time.
    assert rasa_endpoints(settings)["tracker_store"]["record_exp"] == 120 * DAY


@pytest.mark.parametrize(("name", "value", "reason"), [
    ("CAUNOI_RETENTION_BY_OUTCOME", "done=5", "is not an outcome"),
    ("CAUNOI_RETENTION_BY_OUTCOME", "referred", "needs a number of days"),
    ("CAUNOI_RETENTION_BY_OUTCOME", "referred=ninety", "whole number"),
    ("CAUNOI_RETENTION_BY_OUTCOME", "referred=0", "between 1 and 3650"),
    ("CAUNOI_PURGE_INTERVAL_SECONDS", "0", "between 1 and"),
    ("CAUNOI_TELEGRAM_DELETE_ON_ERASE", "yes", "off, sensitive, all"),
])
def test_bad_retention_settings_say_what_is_wrong(name: str, value: str, reason: str) -> None:
    with pytest.raises(SettingsError, match=reason):
        make_settings(**{name: value})
