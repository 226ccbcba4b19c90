"""Campaigns and their counts in a real Redis (bot/state/campaigns.py)."""

from __future__ import annotations

import pytest
import redis.asyncio

from bot.state import keys
from bot.state.campaigns import CampaignError, CampaignStore, shown, shown_counts, validated


async def test_create_get_list_disable_and_the_greeting_by_date(redis_client: redis.asyncio.Redis) -> None:
    store = CampaignStore(redis_client)
    await store.create(validated("tet-2027", " Tết 2027 ", team="Nhóm A", place="Nghệ An", start="2027-01-20",
                                 end="2027-02-10", greeting="Chào bạn từ chương trình Tết!"))
    await store.create(validated("cho-dem", "Chợ đêm"))
    campaign = await store.get("tet-2027")
    assert campaign is not None and campaign.name == "Tết 2027" and campaign.place == "Nghệ An" and campaign.active
    assert [c.code for c in await store.list()] == ["cho-dem", "tet-2027"]
    assert await store.active_greeting("tet-2027", "2027-01-19") is None
    assert await store.active_greeting("tet-2027", "2027-01-20") == "Chào bạn từ chương trình Tết!"
    assert await store.active_greeting("tet-2027", "2027-02-10") == "Chào bạn từ chương trình Tết!"
    assert await store.active_greeting("tet-2027", "2027-02-11") is None
    assert await store.active_greeting("cho-dem", "2027-01-01") is None  # running, but no greeting of its own
    assert await store.active_greeting("nope", "2027-01-25") is None
    assert await store.active_greeting("bad code!", "2027-01-25") is None
    assert await store.disable("tet-2027") and not await store.disable("nope")
    assert await store.active_greeting("tet-2027", "2027-01-25") is None
    with pytest.raises(CampaignError, match="already exists"):
        await store.create(validated("tet-2027", "Again"))


@pytest.mark.parametrize(("values", "message"), [
    ({"code": "bad code"}, "A-Z"),
    ({"code": "x" * 65}, "A-Z"),
    ({"name": "  "}, "needs a name"),
    ({"start": "2027-13-01"}, "YYYY-MM-DD"),
    ({"start": "2027-02-01", "end": "2027-01-01"}, "before the start"),
    ({"greeting": "x" * 1001}, "longer than"),
])
def test_bad_input_is_refused_with_a_reason(values: dict[str, str], message: str) -> None:
    with pytest.raises(CampaignError, match=message):
        validated(**{"code": "ok", "name": "Tên", **values})


async def test_counts_are_numbers_per_day_and_nothing_else(redis_client: redis.asyncio.Redis) -> None:
    store = CampaignStore(redis_client)
    await store.create(validated("c1", "C1"))
    for _ in range(6):
        await store.count("c1", "started", "2027-01-01")
    await store.count("c1", "escalated", "2027-01-01")
    await store.count("c1", "started", "2027-01-02")
    counts = await store.counts("c1")
    assert list(counts) == ["2027-01-01", "2027-01-02"]
    assert counts["2027-01-01"]["started"] == 6 and counts["2027-01-01"]["escalated"] == 1
    assert shown_counts(counts["2027-01-01"]) == {"started": 6, "answered": 0, "job_check": 0, "service_search": 0,
                                                  "escalated": "<5", "referred": 0}
    assert [shown(n) for n in (0, 1, 4, 5)] == [0, "<5", "<5", 5]
    assert await redis_client.hgetall(keys.campaign_counts("c1", "2027-01-01")) == {"started": "6", "escalated": "1"}
    with pytest.raises(ValueError):
        await store.count("c1", "user_id", "2027-01-01")


async def test_count_once_counts_a_conversation_once_per_campaign(redis_client: redis.asyncio.Redis) -> None:
    store = CampaignStore(redis_client)
    await store.create(validated("c1", "C1"))
    await store.create(validated("c2", "C2"))
    assert await store.count_once("c1", "answered", "2027-01-01", "tg:1", 3600)
    assert not await store.count_once("c1", "answered", "2027-01-01", "tg:1", 3600)
    assert not await store.count_once("c1", "answered", "2027-01-02", "tg:1", 3600)  # once, not once a day
    assert await store.count_once("c1", "answered", "2027-01-01", "tg:2", 3600)
    assert await store.count_once("c2", "answered", "2027-01-01", "tg:1", 3600)
    assert (await store.counts("c1")) == {"2027-01-01": {"started": 0, "answered": 2, "job_check": 0,
                                                         "service_search": 0, "escalated": 0, "referred": 0}}
    assert (await store.counts("c2"))["2027-01-01"]["answered"] == 1
    mark = keys.campaign_once("tg:1", "c1", "answered")
    assert mark.startswith(keys.conversation_prefix("tg:1")) and 0 < await redis_client.ttl(mark) <= 3600
    campaign_keys = [key async for key in redis_client.scan_iter("caunoi:campaign*")]
    for key in campaign_keys:  # the counts and days hold no conversation id
        value = await redis_client.hgetall(key) if await redis_client.type(key) == "hash" \
            else await redis_client.smembers(key)
        assert "tg:" not in f"{key} {value}"
    with pytest.raises(ValueError):
        await store.count_once("c1", "user_id", "2027-01-01", "tg:1", 3600)


async def test_a_typed_code_finds_the_running_campaign_ignoring_case(redis_client: redis.asyncio.Redis) -> None:
    store = CampaignStore(redis_client)
    await store.create(validated("Tet-2027", "Tết", start="2027-01-20", end="2027-02-10"))
    await store.create(validated("abc", "Abc"))
    await store.create(validated("ABC", "ABC"))
    await store.create(validated("tat", "Tắt"))
    await store.disable("tat")
    found = await store.running_by_typed_code("  tet-2027 ", "2027-01-25")
    assert found is not None and found.code == "Tet-2027"
    assert await store.running_by_typed_code("TET-2027", "2027-02-11") is None  # ended
    assert await store.running_by_typed_code("tet-2027 xin chào", "2027-01-25") is None  # not the whole message
    assert await store.running_by_typed_code("tat", "2027-01-25") is None  # disabled
    assert await store.running_by_typed_code("nope", "2027-01-25") is None
    assert (await store.running_by_typed_code("abc", "2027-01-25")).code == "abc"  # type: ignore[union-attr]
    assert await store.running_by_typed_code("Abc", "2027-01-25") is None  # ambiguous: abc or ABC
