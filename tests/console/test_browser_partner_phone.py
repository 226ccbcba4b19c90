"""The partner page on a phone (390 px wide, as a caseworker reads it in the field): nothing wider than the screen,
the referral readable and its status movable, the history opened; each label in Vietnamese."""

from __future__ import annotations

import time

from bot.settings import Settings
from bot.state.organisations import Organisation, OrganisationStore
from bot.state.referrals import Referral, new_id
from harness.botapi import FakeBotAPI
from harness.rasa import FakeRasa
from tests.console.harness import console_app, over_http
from tests.console.test_browser import ARGS, CHROMIUM, OPTIONS, SCREENSHOTS, async_playwright, expect, sign_in

ENTRY = "tro-giup-phap-ly-1800-1233"
SUMMARY = ("Chị 24 tuổi, bị giữ giấy tờ ở một xưởng may tại Bình Dương, muốn về quê, cần tư vấn pháp lý về hợp đồng "
           "lao động và cách lấy lại hộ chiếu đang bị chủ xưởng giữ.")
WIDTH = 390


async def test_partner_page_on_a_phone(settings: Settings, rasa: FakeRasa, bot_api: FakeBotAPI) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    async with over_http(console_app(settings, rasa, OPTIONS)) as console:
        await OrganisationStore(console.gateway.redis).put(Organisation("tgpl", "Trợ giúp pháp lý", (ENTRY,)))
        await console.operator("lan", role="partner", org="tgpl")
        consent = console.gateway.consent
        assert consent is not None
        now = time.time()
        referral = await consent.referrals.create(Referral(
            new_id(), "tg:4242", ENTRY, "tgpl", SUMMARY, 7, "hoa", now, now + 3600, channel="telegram",
            entry_type="legal_aid", province="Bình Dương"))
        await consent.referrals.answer(referral.id, "share", True)
        await consent.referrals.answer(referral.id, "contact", True, "0901 234 567, gọi sau 8 giờ tối, nói là bạn cũ")
        await consent.referrals.answer(referral.id, "transcript", False)
        await consent.referrals.done_asking("tg:4242")
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
            try:
                context = await browser.new_context(viewport={"width": WIDTH, "height": 844}, device_scale_factor=2,
                                                    is_mobile=True, has_touch=True)
                page = await context.new_page()
                await sign_in(page, console, "lan")
                await page.wait_for_url("**/console/partner.html")
                card = page.locator("#partner-referrals > li")
                await expect(card).to_have_count(1)
                await expect(card).to_contain_text("0901 234 567")
                await card.locator("button.quiet").click()  # "Xem lịch sử"
                await expect(card.locator(".history li")).to_have_count(3)  # agreed; to be contacted; no transcript
                await expect(card.locator(".history")).to_contain_text("đồng ý để tổ chức liên lạc lại")
                await expect(card.locator(".history")).not_to_contain_text("consent_")
                wide = await page.evaluate("document.documentElement.scrollWidth")
                await page.screenshot(path=str(SCREENSHOTS / "referral-partner-phone.png"), full_page=True)
                assert wide <= WIDTH, f"the page is {wide} px wide on a {WIDTH} px screen"
                await card.locator(".status-choice").select_option("declined")
                await card.locator(".status-form button").click()
                await expect(card.locator(".status-form .error")).to_have_text("Hãy ghi lý do từ chối.")
                await card.locator(".status-note").fill("Ngoài địa bàn của chúng tôi")
                await card.locator(".status-form button").click()
                await expect(card.locator(".referral-status")).to_have_text("Tổ chức từ chối")
                assert await page.evaluate("document.documentElement.scrollWidth") <= WIDTH
            finally:
                await browser.close()
