"""The operator sees what became of a referral's check-in in the conversation panel (issue #21: "otherwise the
follow-up is skipped and the operator sees why"): the person's answer, or the reason in the operators' words."""

from __future__ import annotations

import time

from bot.settings import Settings
from bot.state.organisations import Organisation, OrganisationStore
from bot.state.queue import Case
from bot.state.referrals import Referral, new_id
from harness.botapi import FakeBotAPI
from harness.rasa import FakeRasa
from tests.console.harness import console_app, over_http
from tests.console.test_browser import ARGS, CHROMIUM, OPTIONS, async_playwright, expect, sign_in

CHAT = 777401
PERSON = f"tg:{CHAT}"
ENTRY, OTHER_ENTRY = "tro-giup-phap-ly-1800-1233", "tgpl-ho-chi-minh"
SKIPPED = "Không gửi hỏi thăm: người nhắn đã chặn bot trên Telegram"  # content/vi/gateway/followup.yml


async def test_the_check_in_answer_and_why_it_was_skipped_are_in_the_panel(settings: Settings, rasa: FakeRasa,
                                                                            bot_api: FakeBotAPI) -> None:
    async with over_http(console_app(settings, rasa, OPTIONS)) as console:
        organisations = OrganisationStore(console.gateway.redis)
        await organisations.put(Organisation("tgpl", "Trợ giúp pháp lý", (ENTRY,)))
        await organisations.put(Organisation("tgpl-hcm", "Trợ giúp pháp lý TP.HCM", (OTHER_ENTRY,)))
        await console.operator("hoa", alias="Hoa")
        await console.gateway.queue.enqueue(Case(PERSON, "telegram", "medium", ("Hỏi thăm",), "", "", time.time()))
        await console.gateway.transcript.append(PERSON, "person", "chưa liên hệ được")
        consent = console.gateway.consent
        assert consent is not None
        now = time.time()
        for entry, org, event, note, values in (
                (ENTRY, "tgpl", "follow_up_answered", "Chưa liên hệ được", {"follow_up_answer": "not_reached"}),
                (OTHER_ENTRY, "tgpl-hcm", "follow_up_skipped", SKIPPED, {"follow_up_skipped": "blocked"})):
            referral = await consent.referrals.create(Referral(
                new_id(), PERSON, entry, org, "Tóm tắt", 3, "hoa", now, now + 3600, channel="telegram"))
            await consent.referrals.answer(referral.id, "share", True)
            await consent.referrals.update(referral.id, lambda r, e=event, n=note, v=values:  # type: ignore[misc]
                                           r.changed("system", e, time.time(), n, **v))
        await consent.referrals.done_asking(PERSON)
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
            try:
                page = await (await browser.new_context(viewport={"width": 1360, "height": 900})).new_page()
                await sign_in(page, console, "hoa")
                await expect(page.locator("#queue-list li")).to_have_count(1)
                await page.goto(f"{console.base_url}/console/#/c/{PERSON}")
                await page.click("#claim")
                items = page.locator("#referrals li")
                await expect(items).to_have_count(2)
                await expect(page.locator("#referrals")).to_contain_text('Hỏi thăm: người nhắn trả lời "chưa liên '
                                                                         'hệ được".')
                await expect(page.locator("#referrals")).to_contain_text(SKIPPED)
            finally:
                await browser.close()
