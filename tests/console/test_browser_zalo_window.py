"""Zalo's reply window in a real Chromium: the queue shows how long is left on each Zalo conversation, the open one
counts down, and a reply to a person who wrote more than 48 hours ago is refused with the reason on screen, with
nothing posted to Zalo (the same Chromium and Playwright as tests/console/test_browser.py)."""

from __future__ import annotations

import re
import time

from bot.console import ConsoleOptions
from bot.gateway.parts import GatewayOptions
from bot.settings import Settings
from bot.state.queue import Case
from bot.state.transcript import Entry
from harness.botapi import FakeBotAPI
from tests.channels.fakes import FakeZalo
from tests.console.conftest import console_settings
from tests.console.harness import CHEAP_HASHER, Console, FakeRasa, console_app, gateway_options, over_http
from tests.console.test_browser import ARGS, CHROMIUM, SCREENSHOTS, async_playwright, expect, sign_in

OPEN = "zalo:7770000000000000051"  # wrote two hours ago
LATE = "zalo:7770000000000000052"  # wrote fifty hours ago
HOUR = 3600.0


def zalo_settings(redis_url: str, bot_api: FakeBotAPI) -> Settings:
    return console_settings(redis_url, bot_api, CAUNOI_ZALO_APP_ID="1111222233334444",
                            CAUNOI_ZALO_OA_SECRET="fake-oa-secret-key", CAUNOI_ZALO_APP_SECRET="fake-app-secret",
                            CAUNOI_ZALO_ACCESS_TOKEN="fake-access-1", CAUNOI_ZALO_REFRESH_TOKEN="fake-refresh-1",
                            CAUNOI_ZALO_API_URL="http://zalo.test", CAUNOI_ZALO_OAUTH_URL="http://oauth.zalo.test")


async def waiting(console: Console, conversation: str, wrote_at: float, risk: str) -> None:
    await console.gateway.transcript.append_many(conversation, [
        Entry("person", "Tôi bị giữ lương ba tháng", at=wrote_at),
        Entry("bot", "Mình đã chuyển bạn tới người hỗ trợ.", at=wrote_at + 1)])
    await console.gateway.queue.enqueue(Case(conversation, "zalo", risk, ("Bị giữ lương",), enqueued_at=wrote_at + 1))


async def test_the_window_is_shown_and_a_late_reply_refused_on_screen(redis_url: str, bot_api: FakeBotAPI,
                                                                      rasa: FakeRasa) -> None:
    zalo_api = FakeZalo()
    gateway = GatewayOptions(**{**gateway_options().__dict__, "zalo_transport": zalo_api.transport()})
    options = ConsoleOptions(hasher=CHEAP_HASHER, heartbeat_seconds=2.0, sweep_seconds=3600)
    app = console_app(zalo_settings(redis_url, bot_api), rasa, options, gateway)
    async with over_http(app) as console:
        await console.operator("hoa", alias="Hoa")
        now = time.time()
        await waiting(console, LATE, now - 50 * HOUR, "high")
        await waiting(console, OPEN, now - 2 * HOUR, "medium")
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
            context = await browser.new_context(viewport={"width": 1360, "height": 860}, locale="vi-VN",
                                                timezone_id="Asia/Ho_Chi_Minh")
            page = await context.new_page()
            try:
                await sign_in(page, console)

                rows = page.locator("#queue-list li")
                await expect(rows).to_have_count(2)
                late_badge = page.locator(f"#queue-list li[data-id='{LATE}'] .badge[data-until]")
                open_badge = page.locator(f"#queue-list li[data-id='{OPEN}'] .badge[data-until]")
                await expect(late_badge).to_have_text("đã hết hạn trả lời")
                await expect(late_badge).to_have_class("badge window-closed")
                await expect(open_badge).to_have_text(re.compile(r"^còn 4[56] giờ \d+ phút \d+ giây để trả lời$"))
                before = await open_badge.text_content()
                await expect(open_badge).not_to_have_text(before or "", timeout=5000)  # it counts down
                SCREENSHOTS.mkdir(parents=True, exist_ok=True)
                await page.screenshot(path=str(SCREENSHOTS / "console-zalo-window.png"))

                # The late one: claimed, the facts say the window is over, the reply is refused with the reason.
                await page.click(f"#queue-list li[data-id='{LATE}']")
                await page.click("#claim")
                await expect(page.locator("#conv-state")).to_have_text("Bạn đang hỗ trợ")
                facts = page.locator("#facts")
                await expect(facts).to_contain_text("Hạn trả lời (Zalo, 48 giờ)")
                await expect(page.locator("#reply-window")).to_have_text("đã hết hạn trả lời")
                await expect(facts).to_contain_text("chờ người nhắn viết lại")
                posted = len(zalo_api.sends)
                await page.fill("#reply-text", "Bạn còn ở đó không?")
                await page.click("#reply-send")
                await expect(page.locator("#reply-status")).to_have_text(
                    "Không gửi được: đã quá 48 giờ kể từ tin nhắn cuối của người nhắn, Zalo không cho gửi nữa. "
                    "Hãy chờ người nhắn viết lại.")
                assert len(zalo_api.sends) == posted
                assert "Bạn còn ở đó không?" not in str([s.json for s in zalo_api.sends])

                # The open one: the countdown in the facts, and the reply goes out.
                await page.click("#back")
                await page.click(f"#queue-list li[data-id='{OPEN}']")
                await page.click("#claim")
                await expect(page.locator("#reply-window")).to_have_text(re.compile(r"^còn 4[56] giờ"))
                await expect(page.locator("#facts")).to_contain_text("đã gửi 1/8 tin trả lời miễn phí")
                await page.fill("#reply-text", "Mình là Hoa, mình đang ở đây.")
                await page.click("#reply-send")
                await expect(page.locator("#reply-status")).to_have_text("Đã gửi.")
                assert zalo_api.texts()[-1] == "Mình là Hoa, mình đang ở đây."
            finally:
                await browser.close()
