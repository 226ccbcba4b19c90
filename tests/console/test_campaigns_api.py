"""The console's campaign routes: supervisors list campaigns with their counts ("<5" under five) and create them;
closing a campaign's conversation with a referral counts it."""

from __future__ import annotations

import time

from bot.campaigns import CampaignStore, today, validated
from bot.queue import Case
from tests.console.harness import Console

PERSON = "tg:555"


async def test_supervisors_create_and_list_campaigns_with_counts(console: Console) -> None:
    hoa, boss = await console.login("hoa"), await console.login("boss", role="supervisor")
    body = {"code": "qn-2026", "name": "Quảng Ninh 2026", "team": "Nhóm B", "place": "Quảng Ninh",
            "start": "2026-01-01", "end": "", "greeting": "Chào bạn!"}
    assert (await hoa.post("/api/campaigns", body)).status_code == 403
    assert (await hoa.get("/api/campaigns")).status_code == 403
    created = await boss.post("/api/campaigns", body)
    assert created.status_code == 201 and created.json()["campaign"]["code"] == "qn-2026"
    assert (await boss.post("/api/campaigns", body)).status_code == 409
    bad = await boss.post("/api/campaigns", {**body, "code": "bad code"})
    assert bad.status_code == 400 and "A-Z" in bad.json()["error"]
    assert (await boss.post("/api/campaigns", {**body, "code": "x", "name": 5})).status_code == 400
    assert (await boss.post("/api/campaigns", body, csrf=False)).status_code == 403

    # A referral closed in the console counts for the case's campaign.
    await console.gateway.queue.enqueue(Case(PERSON, "telegram", "high", (), "Tóm tắt", "qn-2026", time.time()))
    await hoa.post(f"/api/conversations/{PERSON}/claim")
    closed = await hoa.post(f"/api/conversations/{PERSON}/close", {"outcome": "referred",
                                                                   "referral": {"entry_id": "tong-dai-111"}})
    assert closed.status_code == 200
    store = CampaignStore(console.gateway.redis)
    for _ in range(7):
        await store.count("qn-2026", "started", today())

    listed = (await boss.get("/api/campaigns")).json()["campaigns"]
    assert len(listed) == 1 and listed[0]["name"] == "Quảng Ninh 2026" and listed[0]["active"] is True
    expected = {"started": 7, "answered": 0, "job_check": 0, "service_search": 0, "escalated": 0, "referred": "<5"}
    assert listed[0]["totals"] == expected
    assert listed[0]["days"] == [{"day": today(), **expected}]
    assert PERSON not in str(listed)


async def test_an_operator_reply_that_arrives_counts_as_an_answer_once(console: Console) -> None:
    hoa = await console.login("hoa")
    store = CampaignStore(console.gateway.redis)
    await store.create(validated("qn-2026", "Quảng Ninh 2026"))
    await console.gateway.queue.enqueue(Case(PERSON, "telegram", "high", (), "Tóm tắt", "qn-2026", time.time()))
    await console.gateway.queue.enqueue(Case("tg:556", "telegram", "high", (), "Tóm tắt", "", time.time()))
    for conversation in (PERSON, "tg:556"):
        assert (await hoa.post(f"/api/conversations/{conversation}/claim")).status_code == 200
        for text in ("Chào bạn", "Bạn đang ở đâu?"):
            assert (await hoa.post(f"/api/conversations/{conversation}/messages", {"text": text})).status_code == 200
    counts = (await store.counts("qn-2026"))[today()]
    assert counts["answered"] == 1  # two replies, one conversation; the one without a campaign counts nowhere
    assert [code for code in await console.gateway.redis.smembers("caunoi:campaigns")] == ["qn-2026"]
