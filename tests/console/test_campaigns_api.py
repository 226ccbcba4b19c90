"""The console's campaign routes: supervisors list campaigns with their counts ("<5" under five), create and disable
them, get the link with the verification sentence, the QR codes and the CSV export; closing a campaign's conversation
with a referral counts it, and so does an operator's reply (once)."""

from __future__ import annotations

import csv
import io
import time
from typing import Any

import pytest
import zxingcpp
from PIL import Image

from bot.settings import Settings
from bot.state.campaigns import CampaignStore, today, validated
from bot.state.queue import Case
from harness.botapi import FakeBotAPI
from harness.rasa import FakeRasa
from tests.console.conftest import console_settings
from tests.console.harness import Console, console_app, over_asgi

PERSON = "tg:555"
BOT = "caunoi_test_bot"
LINK = f"https://t.me/{BOT}?start=qn-2026"


@pytest.fixture
def settings(redis_url: str, bot_api: FakeBotAPI) -> Settings:
    return console_settings(redis_url, bot_api, CAUNOI_TELEGRAM_BOT_USERNAME=f"@{BOT}")


async def audited(console: Console, action: str) -> list[dict[str, Any]]:
    return [entry async for entry in console.services.audit.export() if entry["action"] == action]


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


async def test_supervisors_disable_a_campaign_from_the_console(console: Console) -> None:
    hoa, boss = await console.login("hoa"), await console.login("boss", role="supervisor")
    store = CampaignStore(console.gateway.redis)
    await store.create(validated("qn-2026", "Quảng Ninh 2026", greeting="Chào bạn!"))
    assert (await hoa.post("/api/campaigns/qn-2026/disable")).status_code == 403
    assert (await boss.post("/api/campaigns/qn-2026/disable", csrf=False)).status_code == 403
    assert (await store.get("qn-2026")).active  # type: ignore[union-attr]
    unknown = await boss.post("/api/campaigns/nope/disable")
    assert unknown.status_code == 404 and "nope" in unknown.json()["error"]
    bad = await boss.post("/api/campaigns/bad%20code/disable")
    assert bad.status_code == 400 and "A-Z" in bad.json()["error"]
    assert (await boss.post(f"/api/campaigns/{'x' * 65}/disable")).status_code == 400

    done = await boss.post("/api/campaigns/qn-2026/disable")
    assert done.status_code == 200 and done.json()["campaign"]["active"] is False
    assert not (await store.get("qn-2026")).active  # type: ignore[union-attr]
    assert await store.active_greeting("qn-2026", today()) is None
    assert [(e["actor"], e["target"]) for e in await audited(console, "campaign_disable")] == [("boss", "qn-2026")]
    assert (await boss.get("/api/campaigns")).json()["campaigns"][0]["active"] is False


async def test_the_link_comes_with_the_official_bot_the_zalo_line_and_the_verification_sentence(
        console: Console) -> None:
    hoa, boss = await console.login("hoa"), await console.login("boss", role="supervisor")
    await CampaignStore(console.gateway.redis).create(validated("qn-2026", "Quảng Ninh 2026"))
    assert (await hoa.get("/api/campaigns/qn-2026/link")).status_code == 403
    assert (await boss.get("/api/campaigns/nope/link")).status_code == 404
    data = (await boss.get("/api/campaigns/qn-2026/link")).json()
    assert data["telegram"] == LINK and data["bot"] == f"@{BOT}"
    assert data["verification"].startswith(f"Kênh chính thức của Cầu Nối trên Telegram là @{BOT}.")
    assert "nhắn mã qn-2026" in data["zalo"] and "could be verified" in data["zalo_note"]


async def test_the_qr_codes_download_as_png_and_svg_and_decode_to_the_link(console: Console) -> None:
    hoa, boss = await console.login("hoa"), await console.login("boss", role="supervisor")
    await CampaignStore(console.gateway.redis).create(validated("qn-2026", "Quảng Ninh 2026"))
    assert (await hoa.get("/api/campaigns/qn-2026/qr.png")).status_code == 403
    png = await boss.get("/api/campaigns/qn-2026/qr.png")
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    assert png.headers["content-disposition"] == 'attachment; filename="caunoi-qn-2026.png"'
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(png.content)))
    assert [(code.format, code.text) for code in decoded] == [(zxingcpp.BarcodeFormat.QRCode, LINK)]
    svg = await boss.get("/api/campaigns/qn-2026/qr.svg")
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
    assert svg.text.lstrip().startswith(("<?xml", "<svg")) and "<script" not in svg.text
    wrong = await boss.get("/api/campaigns/qn-2026/qr.jpg")
    assert wrong.status_code == 400 and "qr.png or qr.svg" in wrong.json()["error"]
    assert (await boss.get("/api/campaigns/nope/qr.png")).status_code == 404
    assert [(e["target"], e["format"]) for e in await audited(console, "campaign_qr")] == [
        ("qn-2026", "png"), ("qn-2026", "svg")]
    poster = await boss.get("/api/campaigns/qn-2026/poster.pdf")
    assert poster.status_code == 200 and poster.headers["content-type"] == "application/pdf"
    assert poster.content.startswith(b"%PDF-") and len(await audited(console, "campaign_poster")) == 1
    assert (await hoa.get("/api/campaigns/qn-2026/poster.pdf")).status_code == 403


async def test_without_an_official_bot_username_there_is_no_link_and_it_says_why(
        redis_url: str, bot_api: FakeBotAPI, rasa: FakeRasa) -> None:
    async with over_asgi(console_app(console_settings(redis_url, bot_api), rasa)) as console:
        boss = await console.login("boss", role="supervisor")
        await CampaignStore(console.gateway.redis).create(validated("qn-2026", "Quảng Ninh 2026"))
        for path in ("link", "qr.png", "poster.pdf"):
            response = await boss.get(f"/api/campaigns/qn-2026/{path}")
            assert response.status_code == 409 and "CAUNOI_TELEGRAM_BOT_USERNAME" in response.json()["error"]


async def test_the_csv_export_has_codes_days_and_counts_only(console: Console) -> None:
    hoa, boss = await console.login("hoa"), await console.login("boss", role="supervisor")
    store = CampaignStore(console.gateway.redis)
    await store.create(validated("qn-2026", "Quảng Ninh 2026", team="Nhóm B"))
    for _ in range(6):
        await store.count("qn-2026", "started", "2026-03-01")
    await store.count_once("qn-2026", "answered", "2026-03-01", PERSON, 3600)
    assert (await hoa.get("/api/campaigns.csv")).status_code == 403
    response = await boss.get("/api/campaigns.csv")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert list(csv.reader(io.StringIO(response.text))) == [
        ["campaign", "day", "started", "answered", "job_check", "service_search", "escalated", "referred"],
        ["qn-2026", "2026-03-01", "6", "<5", "0", "0", "0", "0"]]
    assert "555" not in response.text
    assert len(await audited(console, "campaign_export")) == 1
