"""An operator searches the directory from a conversation in Chromium (static/directory-search.js): finds a verified
entry by province, type and text, puts it into the reply in the bot's wording, and closes with it as the referral.
An unverified entry is never offered."""

from __future__ import annotations

import time

from bot.settings import Settings
from bot.state.queue import Case
from harness.botapi import FakeBotAPI
from harness.rasa import FakeRasa
from tests.console.harness import console_app, over_http
from tests.console.test_browser import ARGS, CHROMIUM, OPTIONS, async_playwright, expect, sign_in
from tests.console.test_directory_api import ENTRY, SOURCE, audited, today

PERSON = "tg:919191"


async def test_an_operator_inserts_a_verified_entry_and_refers_to_it(settings: Settings, rasa: FakeRasa,
                                                                     bot_api: FakeBotAPI) -> None:
    async with over_http(console_app(settings, rasa, OPTIONS)) as console:
        editor = await console.login("lan", role="directory_editor")
        await editor.post("/api/directory/entries", ENTRY)
        await editor.post(f"/api/directory/entries/{ENTRY['id']}/verify",
                          {"source_url": SOURCE, "verified_at": today().isoformat()})
        await editor.post("/api/directory/entries", {**ENTRY, "id": "chua-xac-minh", "name": "Chưa xác minh"})
        await console.operator("hoa", alias="Hoa")
        await console.gateway.queue.enqueue(Case(PERSON, "telegram", "high", ("Bị giữ giấy tờ tuỳ thân",),
                                                 "Cần trợ giúp pháp lý ở Quảng Ninh.", "", time.time()))
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
            try:
                page = await browser.new_page(viewport={"width": 1360, "height": 900})
                await sign_in(page, console)
                await page.click(f"#queue-list li[data-id='{PERSON}']")
                await page.click("#claim")
                await expect(page.locator("#conv-state")).to_have_text("Bạn đang hỗ trợ")

                await page.select_option("#dir-province", "Quảng Ninh")
                await page.select_option("#dir-type", "legal_aid")
                await page.fill("#dir-text", "tro giup")
                results = page.locator("#dir-results li")
                await expect(results).to_have_count(1)  # the unverified one is not offered
                await expect(results.first).to_contain_text(ENTRY["name"])
                await results.first.locator("button[data-action=insert]").click()
                reply = await page.locator("#reply-text").input_value()
                assert ENTRY["name"] in reply and f"☎ {ENTRY['phone']}" in reply

                await results.first.locator("button[data-action=refer]").click()
                await expect(page.locator("#close-dialog")).to_be_visible()
                assert await page.locator("#close-entry").input_value() == ENTRY["id"]
                assert await page.locator("#close-outcome").input_value() == "referred"
                await page.check("#close-tags input[value='bi-giu-giay-to']")  # the wrap-up (#25) asks for both
                await page.fill("#close-summary", "Đã chuyển tới nơi hỗ trợ ở Quảng Ninh.")
                await page.click("#close-form button[type=submit]")
                await expect(page.locator("#close-dialog")).to_be_hidden()
            finally:
                await browser.close()
        [closed] = await audited(console, "close")
        assert closed["outcome"] == "referred" and closed["referral"] == ENTRY["id"]
