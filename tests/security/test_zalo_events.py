"""Issue #24, item 6 (Zalo): a replayed signed follow or unfollow was applied again (a follow sent again after the
person left opened sending to them), and a signed event dated far ahead was accepted (its date kept it inside the
replay window long after its dedupe key expired). Each state change now counts once per event; a date more than
five minutes ahead is refused with 403 and the reason."""

from __future__ import annotations

import pytest

from bot.state import keys
from harness.rasa import FakeRasa
from tests.channels.fakes import FakeZalo
from tests.channels.harness import Running
from tests.channels.test_zalo import CONVERSATION, deliver, event, now_ms
from tests.security.state import changed, snapshot


async def test_a_replayed_follow_does_not_reopen_a_conversation_that_unfollowed(running: Running, rasa: FakeRasa,
                                                                               zalo_api: FakeZalo) -> None:
    follow = event("follow")
    assert (await deliver(running, follow)).status_code == 200
    await running.settle()
    assert (await deliver(running, event("unfollow", timestamp=now_ms(1)))).status_code == 200
    await running.settle()
    assert await running.redis.exists(keys.stopped(CONVERSATION))
    greeted = len(rasa.received)

    replay = await deliver(running, follow)  # the same signed bytes, captured and sent again
    await running.settle()
    assert replay.status_code == 200  # acknowledged, as Zalo's own redeliveries must be
    assert await running.redis.exists(keys.stopped(CONVERSATION))  # still nothing goes to them
    assert len(rasa.received) == greeted and len(zalo_api.sends) == 1


async def test_a_replayed_unfollow_is_applied_once(running: Running, zalo_api: FakeZalo) -> None:
    unfollow = event("unfollow")
    for _ in range(3):
        assert (await deliver(running, unfollow)).status_code == 200
    await running.settle()
    marks = [entry for entry in await running.gateway.transcript.read(CONVERSATION) if entry["text"] == "[unfollow]"]
    assert len(marks) == 1


async def test_following_again_later_still_counts(running: Running, zalo_api: FakeZalo) -> None:
    await deliver(running, event("unfollow"))
    await deliver(running, event("follow", timestamp=now_ms(1)))  # a new event: a new timestamp
    await running.settle()
    assert not await running.redis.exists(keys.stopped(CONVERSATION)) and len(zalo_api.sends) == 1


@pytest.mark.parametrize("ahead_seconds", [400, 3600, 10 * 365 * 24 * 3600])
@pytest.mark.parametrize("name", ["user_send_text", "follow", "unfollow"])
async def test_a_signed_event_dated_ahead_is_403(running: Running, rasa: FakeRasa, redis_url: str,
                                                 name: str, ahead_seconds: int) -> None:
    before = await snapshot(redis_url)
    response = await deliver(running, event(name, timestamp=now_ms(ahead_seconds)))
    await running.settle()
    assert response.status_code == 403 and response.json() == {"error": "event timestamp is in the future"}
    assert changed(before, await snapshot(redis_url)) == [] and rasa.received == []


async def test_a_clock_a_little_ahead_is_fine(running: Running, rasa: FakeRasa) -> None:
    assert (await deliver(running, event("user_send_text", timestamp=now_ms(120)))).status_code == 200
    await running.settle()
    assert len(rasa.received) == 1


async def test_the_signed_timestamp_is_found_before_parsing_even_after_a_nested_one(running: Running,
                                                                                     rasa: FakeRasa) -> None:
    data = {"extra": {"timestamp": "1"}, **event("user_send_text")}  # a nested "timestamp" member comes first
    assert (await deliver(running, data)).status_code == 200
    await running.settle()
    assert len(rasa.received) == 1
