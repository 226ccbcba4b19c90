"""A referral in a real Chromium: the operator proposes one from the conversation panel; the person agrees on Telegram
(the Bot API double); the partner logs in, sees only that referral (not another organisation's), marks it contacted;
the supervisor's numbers move (as "<5": so few could point at a person)."""

from __future__ import annotations

import json
import time

from bot.settings import Settings
from bot.state.organisations import Organisation, OrganisationStore
from bot.state.queue import Case
from bot.state.referrals import Referral, new_id
from harness.botapi import FakeBotAPI, callback_update
from harness.rasa import FakeRasa
from harness.wait import until_async
from tests.console.harness import Console, console_app, over_http
from tests.console.test_browser import (
    ARGS,
    CHROMIUM,
    OPTIONS,
    SCREENSHOTS,
    async_playwright,
    expect,
    sign_in,
    telegram,
)

CHAT = 777301
PERSON = f"tg:{CHAT}"
ENTRY, OTHER_ENTRY = "tro-giup-phap-ly-1800-1233", "tgpl-ho-chi-minh"
SUMMARY = "Anh 30 tuổi, bị công ty môi giới giữ hộ chiếu, cần tư vấn pháp lý."


async def prepare(console: Console) -> str:
    """Organisations, accounts, the person waiting, and another organisation's referral the partner must not see."""
    organisations = OrganisationStore(console.gateway.redis)
    await organisations.put(Organisation("tgpl", "Trợ giúp pháp lý", (ENTRY,)))
    await organisations.put(Organisation("tgpl-hcm", "Trợ giúp pháp lý TP.HCM", (OTHER_ENTRY,)))
    await console.operator("hoa", alias="Hoa")
    await console.operator("boss", role="supervisor")
    await console.operator("lan", role="partner", org="tgpl")
    await console.gateway.queue.enqueue(Case(PERSON, "telegram", "medium", ("Bị giữ giấy tờ",), "", "", time.time()))
    await console.gateway.transcript.append(PERSON, "person", "công ty giữ hộ chiếu của tôi")
    consent = console.gateway.consent
    assert consent is not None
    other = await consent.referrals.create(Referral(
        new_id(), "tg:999", OTHER_ENTRY, "tgpl-hcm", "Một trường hợp khác", 7, "boss", time.time(),
        time.time() + 3600, channel="telegram", entry_type="legal_aid", province="Hồ Chí Minh"))
    await consent.referrals.done_asking("tg:999")
    await consent.referrals.answer(other.id, "share", True)
    return other.id


async def test_operator_proposes_person_agrees_partner_marks_contacted_numbers_move(
        settings: Settings, rasa: FakeRasa, bot_api: FakeBotAPI) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    async with over_http(console_app(settings, rasa, OPTIONS)) as console:
        other = await prepare(console)
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
            try:
                operator = await (await browser.new_context(viewport={"width": 1360, "height": 900})).new_page()
                await sign_in(operator, console, "hoa")
                await expect(operator.locator("#queue-list li")).to_have_count(1)
                await operator.goto(f"{console.base_url}/console/#/c/{PERSON}")
                await operator.click("#claim")
                await expect(operator.locator("#conv-state")).to_contain_text("Bạn đang hỗ trợ")
                await operator.select_option("#referral-entry", ENTRY)
                await operator.fill("#referral-summary", SUMMARY)
                await operator.fill("#referral-days", "5")
                await operator.click("#referral-send")
                await expect(operator.locator("#referrals li")).to_contain_text("Đang chờ người nhắn trả lời")

                # The person reads the question with the summary, and taps "Đồng ý".
                def question() -> dict[str, object] | None:
                    calls = [c for c in bot_api.called("sendMessage") if str(c["chat_id"]) == str(CHAT)
                             and SUMMARY in str(c.get("text", ""))]
                    return calls[-1] if calls else None

                asked = await until_async(question, 10, "the consent question to reach the person")
                markup = asked["reply_markup"]
                markup = json.loads(markup) if isinstance(markup, str) else markup
                agree = markup["inline_keyboard"][0][0]  # type: ignore[index]
                assert agree["text"] == "Đồng ý"
                await telegram(console, callback_update(CHAT, agree["callback_data"]))
                await console.settle()
                # The operator sees the answer live: a line in the transcript, the referral sent.
                await expect(operator.locator("#transcript")).to_contain_text("ĐỒNG Ý chia sẻ tóm tắt")
                await expect(operator.locator("#referrals li")).to_contain_text("Đã gửi")
                await operator.screenshot(path=str(SCREENSHOTS / "referral-operator.png"), full_page=True)

                supervisor = await (await browser.new_context(viewport={"width": 1360, "height": 900})).new_page()
                await sign_in(supervisor, console, "boss")
                await supervisor.goto(f"{console.base_url}/console/#/stats")
                total = supervisor.locator("#referral-stats tr.total td")
                await expect(total.nth(0)).to_have_text("<5")  # proposed
                await expect(total.nth(4)).to_have_text("0")  # contacted: nobody yet

                partner = await (await browser.new_context(viewport={"width": 1200, "height": 900})).new_page()
                await sign_in(partner, console, "lan")
                await partner.wait_for_url("**/console/partner.html")
                cards = partner.locator("#partner-referrals > li")
                await expect(cards).to_have_count(1)  # its own only: not the other organisation's
                assert await cards.first.get_attribute("data-id") != other
                await expect(cards.first).to_contain_text(SUMMARY)
                await expect(cards.first).to_contain_text("chưa đồng ý để tổ chức liên lạc lại")  # not answered yet
                await expect(cards.first).not_to_contain_text(PERSON)
                await cards.first.locator(".status-choice").select_option("contacted")
                await cards.first.locator(".status-form button").click()
                await expect(partner.locator("#partner-referrals > li .referral-status")).to_have_text(
                    "Đã liên hệ được")
                await partner.screenshot(path=str(SCREENSHOTS / "referral-partner.png"), full_page=True)

                await supervisor.reload()
                await expect(supervisor.locator("#referral-stats tr.total td").nth(4)).to_have_text("<5")
                await expect(supervisor.locator("#stats")).not_to_contain_text("lan")  # a partner is no operator
                await supervisor.screenshot(path=str(SCREENSHOTS / "referral-numbers.png"), full_page=True)
            finally:
                await browser.close()
