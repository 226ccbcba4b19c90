"""The web console in a real Chromium (Debian's `chromium`, driven by Playwright; never `playwright install`).

An operator logs in, sees the high-risk conversation on top, claims it, replies (the reply reaches the Telegram Bot
API double), reads a message the person sends meanwhile (measured: it should be on screen within a second, and it
never reaches the bot), adds a note, closes with a referral; the person's next message goes to the bot again.
A supervisor then sees the shift's numbers, opens a campaign's link (with the verification sentence) and disables it.
Screenshots of the views go to a temporary folder, or to reports/screenshots/ with CAUNOI_SCREENSHOTS=1 (so that
`make test` does not rewrite the committed ones).
"""

from __future__ import annotations

import os
import re
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from bot.console import ConsoleOptions
from bot.console.clock import VIETNAM
from bot.settings import PROJECT_ROOT, Settings
from bot.state.campaigns import CampaignStore, validated
from bot.state.queue import Case
from harness.botapi import FakeBotAPI, message_update, text_update
from harness.rasa import FakeRasa
from harness.wait import until_async
from tests.console.conftest import WEBHOOK_SECRET, console_settings
from tests.console.harness import CHEAP_HASHER, PASSWORD, Console, console_app, over_http

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SCREENSHOTS = (PROJECT_ROOT / "reports" / "screenshots" if os.environ.get("CAUNOI_SCREENSHOTS")
               else Path(tempfile.gettempdir()) / "caunoi-screenshots")
PERSON_CHAT = 777001
PERSON = f"tg:{PERSON_CHAT}"
XSS = '<script>window.__xss = 1</script><img src=x onerror="window.__xss = 2"> <b>in đậm?</b>'
OPTIONS = ConsoleOptions(hasher=CHEAP_HASHER, heartbeat_seconds=2.0, sweep_seconds=3600)

try:
    from playwright.async_api import Page, async_playwright, expect
except ImportError:  # pragma: no cover - the dev extras install it
    async_playwright = None  # type: ignore[assignment]

if async_playwright is None or not CHROMIUM.exists():
    reason = "browser tests need playwright (dev extras) and /usr/bin/chromium (scripts/bootstrap installs it)"
    if os.environ.get("CI"):
        raise RuntimeError(reason)  # CI must run them, not skip them
    pytest.skip(reason, allow_module_level=True)
expect.set_options(timeout=10_000)  # generous: a slow CI machine is not a failure
BOT = "caunoi_test_bot"


@pytest.fixture
def settings(redis_url: str, bot_api: FakeBotAPI) -> Settings:
    return console_settings(redis_url, bot_api, CAUNOI_TELEGRAM_BOT_USERNAME=BOT)


async def telegram(console: Console, update: dict[str, Any]) -> None:
    async with console.client() as http:
        response = await http.post("/webhooks/telegram", json=update,
                                   headers={"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET})
    assert response.status_code == 200


async def sent_to_person(bot_api: FakeBotAPI, count: int) -> list[str]:
    def texts() -> list[str] | None:
        sent = [c["text"] for c in bot_api.called("sendMessage") if str(c["chat_id"]) == str(PERSON_CHAT)]
        return sent if len(sent) >= count else None

    return await until_async(texts, 10, f"{count} messages to reach the person")


async def prepare(console: Console) -> None:
    """Three people waiting: a high-risk one (who shared a location and typed markup) and two who waited longer."""
    await console.operator("hoa", alias="Hoa")
    await console.operator("giam-sat", role="supervisor", alias="Mai")
    await CampaignStore(console.gateway.redis).create(validated("qn-cho-2026", "Chợ Quảng Ninh 2026",
                                                                place="Quảng Ninh"))
    now = time.time()
    await console.gateway.queue.enqueue(Case("web:nguoi-dung-0001", "web", "low", ("Hỏi về việc làm",),
                                             "Người dùng hỏi cách kiểm tra một công ty môi giới.", "",
                                             enqueued_at=now - 1500))
    await console.gateway.queue.enqueue(Case("zalo:8800123", "zalo", "medium", ("Bị giữ lương",),
                                             "Người thân đang làm việc ở Malaysia, bị giữ lương 3 tháng.", "",
                                             enqueued_at=now - 600))
    await telegram(console, text_update(PERSON_CHAT, "Cứu tôi, họ lấy hộ chiếu và không cho tôi về"))
    await telegram(console, message_update(PERSON_CHAT, location={"latitude": 21.0064, "longitude": 107.2925}))
    await telegram(console, text_update(PERSON_CHAT, XSS))
    await console.settle()
    await console.gateway.queue.enqueue(Case(
        PERSON, "telegram", "high", ("Bị giữ giấy tờ tuỳ thân", "Bị giam giữ, không được về"),
        "Người dùng cần giúp đỡ khẩn cấp. Đang ở tỉnh Quảng Ninh. Dấu hiệu: bị giữ giấy tờ; bị giam giữ.",
        "qn-cho-2026", enqueued_at=now - 120))


async def test_an_operator_works_a_high_risk_conversation_end_to_end(settings: Settings, rasa: FakeRasa,
                                                                     bot_api: FakeBotAPI) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    async with over_http(console_app(settings, rasa, OPTIONS)) as console:
        await prepare(console)
        assert rasa.messages(PERSON)  # before the handoff the bot read the person
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
            # A browser far from Vietnam: the console must still show Vietnam's time.
            context = await browser.new_context(viewport={"width": 1360, "height": 860}, locale="vi-VN",
                                                timezone_id="Europe/Berlin")
            page = await context.new_page()
            dialogs: list[str] = []
            page.on("dialog", lambda dialog: dialogs.append(dialog.message))
            page.on("pageerror", lambda error: print(f"page error: {error}"))
            try:
                await operator_session(page, console, rasa, bot_api)
                await supervisor_stats(page, console)
            finally:
                await browser.close()
            assert dialogs == []  # nothing a person wrote ran as script


async def sign_in(page: Page, console: Console, username: str = "hoa", password: str = PASSWORD,
                  path: str = "/console/") -> None:
    """Opens the console and submits the login form (the browser tests' one way in)."""
    await page.goto(f"{console.base_url}{path}")
    await page.fill("#login-username", username)
    await page.fill("#login-password", password)
    await page.click("#login-submit")


async def operator_session(page: Page, console: Console, rasa: FakeRasa, bot_api: FakeBotAPI) -> None:
    await sign_in(page, console)

    # The queue: high risk on top although the others waited longer; waiting times tick.
    rows = page.locator("#queue-list li")
    await expect(rows).to_have_count(3)
    assert await rows.nth(0).get_attribute("data-id") == PERSON
    assert "risk-high" in (await rows.nth(0).get_attribute("class") or "")
    assert [await rows.nth(n).get_attribute("data-id") for n in (1, 2)] == ["zalo:8800123", "web:nguoi-dung-0001"]
    await expect(rows.nth(0)).to_contain_text("Nguy cơ cao")
    await page.evaluate("window.__alerts = []; window.addEventListener('caunoi-alert', (e) => "
                        "window.__alerts.push(e.detail.title))")
    await page.screenshot(path=str(SCREENSHOTS / "console-queue.png"))

    # A new high-risk person: the console alerts.
    await console.gateway.queue.enqueue(Case("tg:777002", "telegram", "high", ("Bị đe doạ",)))
    await page.wait_for_function("window.__alerts.length > 0", timeout=5000)
    await expect(rows).to_have_count(4)

    # Keyboard: j/k move the selection; c claims the selected conversation and opens it.
    await page.keyboard.press("j")
    await page.keyboard.press("k")
    await expect(rows.nth(0)).to_have_class("risk-high selected")
    await page.keyboard.press("c")
    await expect(page.locator("#conv-state")).to_have_text("Bạn đang hỗ trợ")
    assert await console.gateway.queue.holder(PERSON) == "hoa"
    joined = (await sent_to_person(bot_api, 1))[-1]
    assert joined.startswith("Chào bạn, mình là Hoa")

    # What the person typed is shown as text, never as markup.
    transcript = page.locator("#transcript")
    await expect(transcript).to_contain_text(XSS)
    assert await page.locator("#transcript script, #transcript img, #transcript b").count() == 0
    assert await page.evaluate("window.__xss") is None
    # Context: risk reasons, channel, campaign, location with an OpenStreetMap link; times in Vietnam time.
    facts = page.locator("#facts")
    await expect(facts).to_contain_text("Bị giam giữ, không được về")
    await expect(facts).to_contain_text("qn-cho-2026")
    await expect(facts).to_contain_text("Quảng Ninh")
    assert (await page.get_attribute("#map-link", "href") or "").startswith("https://www.openstreetmap.org/")
    first = (await console.gateway.transcript.read(PERSON))[0]
    shown = datetime.fromtimestamp(first["at"], VIETNAM).strftime("%H:%M:%S")
    await expect(transcript.locator("li .meta").first).to_contain_text(shown)

    # Reply with a canned answer plus own words: it reaches the person's Telegram.
    await page.keyboard.press("r")
    await page.keyboard.type("Mình đang ở đây với bạn.")
    await page.click("#canned button[data-canned='hoi-an-toan']")
    await page.keyboard.press("Control+Enter")
    await expect(page.locator("#reply-status")).to_have_text("Đã gửi.")
    reply = (await sent_to_person(bot_api, 2))[-1]
    assert reply.startswith("Mình đang ở đây với bạn.\nTrước hết, bạn có đang an toàn không?")

    # The person writes while a human holds the conversation: on the operator's screen at once, never to the bot.
    asked_before = len(rasa.received)
    started = time.monotonic()
    await telegram(console, text_update(PERSON_CHAT, "Tôi đang trốn trong nhà vệ sinh"))
    await expect(transcript).to_contain_text("Tôi đang trốn trong nhà vệ sinh", timeout=10_000)
    elapsed = time.monotonic() - started
    print(f"\nperson's message on the operator's screen after {elapsed * 1000:.0f} ms")
    await console.settle()
    assert len(rasa.received) == asked_before
    assert "Tôi đang trốn" not in str(rasa.received)

    # An internal note, kept with the conversation.
    await page.keyboard.press("Escape")
    await page.keyboard.press("n")
    await page.keyboard.type("Đã hỏi vị trí; người dùng đang ở Quảng Ninh, điện thoại sắp hết pin.")
    await page.keyboard.press("Control+Enter")
    await expect(page.locator("#notes")).to_contain_text("điện thoại sắp hết pin")
    await page.screenshot(path=str(SCREENSHOTS / "console-conversation.png"))

    # Close with a referral to 111: back to the queue, back to the bot, closing message, Rasa slot reset.
    await page.click("#close")
    await page.select_option("#close-outcome", "referred")
    await page.select_option("#close-entry", "tong-dai-111")
    await page.click("#close-confirm")  # no topic yet: the dialog says so and stays
    await expect(page.locator("#close-error")).to_have_text("Hãy chọn ít nhất một chủ đề.")
    await page.check("#close-tags input[value='bi-giu-giay-to']")
    await page.fill("#close-summary", "Đã hướng dẫn gọi 111; đang ở Quảng Ninh.")
    await page.click("#close-confirm")
    await expect(page.locator("#queue-view")).to_be_visible()
    await expect(rows).to_have_count(3)
    await expect(page.locator("#break-offer")).to_be_visible()  # after a high-risk conversation, a break is offered
    assert await console.gateway.queue.mode(PERSON) == "bot"
    closing = (await sent_to_person(bot_api, 3))[-1]
    assert closing.startswith("Cuộc trò chuyện với người hỗ trợ đã kết thúc")
    await console.services.handoffs.idle()
    assert [conversation for conversation, _, _ in rasa.tracker_events] == [PERSON]

    # The person's next message goes to the bot again.
    await telegram(console, text_update(PERSON_CHAT, "cảm ơn nhiều"))
    await console.settle()
    assert rasa.messages(PERSON)[-1] == "cảm ơn nhiều"
    await page.click("#logout")
    await expect(page.locator("#login-view")).to_be_visible()
    # Nothing of the person stays in the page, even hidden (ASVS 8.2.3).
    for hidden in ("#transcript", "#notes", "#queue-list", "#held-list", "#facts", "#history"):
        assert await page.locator(f"{hidden} > *").count() == 0, hidden
    assert await page.locator("#reply-text").input_value() == ""


async def supervisor_stats(page: Page, console: Console) -> None:
    await page.fill("#login-username", "giam-sat")
    await page.fill("#login-password", PASSWORD)
    await page.click("#login-submit")
    await expect(page.locator("#nav-stats")).to_be_visible()
    await page.keyboard.press("Escape")
    await page.keyboard.press("s")
    stats = page.locator("#stats")
    await expect(page.locator("#stats dt:has-text('Đã chuyển tuyến') + dd")).to_have_text("1")
    await expect(stats).to_contain_text("giam-sat (Mai)")

    # A campaign: its link with the verification sentence to print, its QR codes, and a disable button that works.
    campaign = page.locator("#campaigns li[data-code='qn-cho-2026']")
    await expect(campaign).to_contain_text("Chợ Quảng Ninh 2026")
    await expect(campaign.locator("dt:has-text('Chuyển tuyến') + dd .count")).to_have_text("<5")
    await campaign.locator("summary").click()
    await expect(campaign.locator("input.link")).to_have_value(f"https://t.me/{BOT}?start=qn-cho-2026")
    await expect(campaign.locator("textarea.verification")).to_have_value(re.compile(f"Telegram là @{BOT}"))
    assert await campaign.locator("a.qr-png").get_attribute("href") == "/api/campaigns/qn-cho-2026/qr.png"
    assert await campaign.locator("a.poster").get_attribute("href") == "/api/campaigns/qn-cho-2026/poster.pdf"
    await page.screenshot(path=str(SCREENSHOTS / "console-stats.png"))
    disable = campaign.locator("button.disable")
    await disable.click()
    await expect(disable).to_have_text("Bấm lần nữa để tắt")
    assert (await CampaignStore(console.gateway.redis).get("qn-cho-2026")).active  # type: ignore[union-attr]
    await disable.click()
    await expect(campaign).to_have_class("disabled")
    await expect(campaign.locator("button.disable")).to_have_count(0)
    assert not (await CampaignStore(console.gateway.redis).get("qn-cho-2026")).active  # type: ignore[union-attr]
