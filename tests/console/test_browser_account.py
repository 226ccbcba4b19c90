"""An operator's own account in a real Chromium (Debian's `chromium`, driven by Playwright; never `playwright install`).

Hoa turns on the second factor from the QR code's key (a wrong code is refused first), writes down her recovery
codes, logs in again with the password and a code (a wrong code refused), then with a recovery code (which works
once only), and changes her own password (a common one refused first; her other session ends, this one goes on).
"""

from __future__ import annotations

import base64
import re
import time

import pyotp
import pytest

from bot.settings import Settings
from harness.botapi import FakeBotAPI
from harness.rasa import FakeRasa
from tests.console.conftest import console_settings
from tests.console.harness import PASSWORD, Console, console_app, over_http
from tests.console.test_browser import ARGS, CHROMIUM, OPTIONS, async_playwright, sign_in

if async_playwright is not None:
    from playwright.async_api import Page, expect

NEW_PASSWORD = "chiều thứ sáu đi chợ Hạ Long"


@pytest.fixture
def settings(redis_url: str, bot_api: FakeBotAPI) -> Settings:
    return console_settings(redis_url, bot_api)


async def log_in(page: Page, console: Console, password: str = PASSWORD, code: str | None = None) -> None:
    await sign_in(page, console, password=password, path="/console/#/queue")
    if code is not None:
        await expect(page.locator("#login-code")).to_be_visible()
        await expect(page.locator("#login-error")).to_contain_text("Nhập mã 6 số")
        await page.fill("#login-code", code)
        await page.click("#login-submit")


async def log_out(page: Page) -> None:
    await page.click("#logout")
    await expect(page.locator("#login-view")).to_be_visible()


async def test_an_operator_enrols_totp_logs_in_with_it_and_changes_her_password(settings: Settings, rasa: FakeRasa,
                                                                                bot_api: FakeBotAPI) -> None:
    async with over_http(console_app(settings, rasa, OPTIONS)) as console:
        await console.operator("hoa", alias="Hoa")
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
            try:
                page = await (await browser.new_context(locale="vi-VN")).new_page()
                secret, codes = await enrol(page, console)
                await logins_with_the_second_factor(page, console, secret, codes)
                await password_change(page, console, codes[2])
            finally:
                await browser.close()


async def enrol(page: Page, console: Console) -> tuple[str, list[str]]:
    await log_in(page, console)
    await expect(page.locator("#queue-view")).to_be_visible()
    await page.click("#nav-account")
    await expect(page.locator("#second-factor-state")).to_contain_text("Chưa bật")
    await page.click("#totp-start")
    qr = page.locator("#totp-qr")
    await expect(qr).to_be_visible()
    source = await qr.get_attribute("src") or ""
    assert source.startswith("data:image/svg+xml;base64,")
    assert b"<svg" in base64.b64decode(source.split(",", 1)[1])
    assert await qr.evaluate("(image) => image.naturalWidth") > 0  # the browser drew it (the CSP let it in)
    secret = (await page.locator("#totp-secret").text_content() or "").strip()
    assert len(secret) == 32

    await page.fill("#totp-code", "000000")
    await page.click("#totp-confirm")
    await expect(page.locator("#totp-error")).to_contain_text("Mã không đúng")
    assert not (await console.services.operators.get("hoa")).second_factor  # type: ignore[union-attr]

    await page.fill("#totp-code", pyotp.TOTP(secret).now())
    await page.click("#totp-confirm")
    listed = page.locator("#recovery-codes li")
    await expect(listed).to_have_count(10)
    await expect(page.locator("#second-factor-state")).to_contain_text("Đã bật")
    codes = [(await listed.nth(n).text_content() or "").strip() for n in range(10)]
    assert all(len(code) == 11 and code[5] == "-" for code in codes)  # shown as XXXXX-XXXXX, for paper
    await log_out(page)
    assert await page.locator("#recovery-codes li").count() == 0  # gone from the page with the session
    return secret, codes


async def logins_with_the_second_factor(page: Page, console: Console, secret: str, codes: list[str]) -> None:
    # The password alone is not enough; a wrong code is refused; the next step's code works.
    await log_in(page, console, code="123456")
    await expect(page.locator("#login-error")).to_contain_text("Mã xác thực không đúng")
    await expect(page.locator("#top")).to_be_hidden()
    await page.fill("#login-code", pyotp.TOTP(secret).at(time.time() + 30))
    await page.click("#login-submit")
    await expect(page.locator("#whoami")).to_contain_text("hoa")
    await log_out(page)

    # A recovery code, typed as written down, works once.
    await log_in(page, console, code=codes[0])
    await expect(page.locator("#whoami")).to_contain_text("hoa")
    await log_out(page)
    await log_in(page, console, code=codes[0])
    await expect(page.locator("#login-error")).to_contain_text("Mã xác thực không đúng")
    await page.fill("#login-code", codes[1])
    await page.click("#login-submit")
    await expect(page.locator("#whoami")).to_contain_text("hoa")


async def password_change(page: Page, console: Console, recovery_code: str) -> None:
    other = console.client()  # another session of hoa's, which the change must end
    signed_in = await other.post("/api/login", json={"username": "hoa", "password": PASSWORD, "code": recovery_code})
    assert signed_in.status_code == 200

    await page.click("#nav-account")
    await expect(page.locator("#sessions-list li")).to_have_count(2)
    await page.fill("#password-current", PASSWORD)
    await page.fill("#password-new", "password1234")
    await page.fill("#password-again", "password1234")
    await page.click("#password-save")
    await expect(page.locator("#password-error")).to_contain_text("quá phổ biến")

    await page.fill("#password-new", NEW_PASSWORD)
    await expect(page.locator("#password-error")).to_be_empty()  # the refusal was of the last try, not this one
    await page.fill("#password-again", NEW_PASSWORD)
    await page.click("#password-save")
    await expect(page.locator("#password-status")).to_contain_text("Đã đổi mật khẩu")
    assert (await other.get("/api/me")).status_code == 401
    await expect(page.locator("#sessions-list li")).to_have_count(1)
    # This browser's new session works on (its new CSRF token too): the queue loads, no log-in form.
    await page.click("#nav-queue")
    await expect(page.locator("#queue-view")).to_be_visible()
    await expect(page.locator("#login-view")).to_be_hidden()
    assert await console.services.operators.verify("hoa", NEW_PASSWORD) is not None
    assert await console.services.operators.verify("hoa", PASSWORD) is None


async def test_a_supervisor_requires_the_second_factor_and_an_operator_must_enrol_first(
        settings: Settings, rasa: FakeRasa, bot_api: FakeBotAPI) -> None:
    async with over_http(console_app(settings, rasa, OPTIONS)) as console:
        await console.operator("hoa")
        await console.operator("lan", role="supervisor")
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
            try:
                page = await (await browser.new_context(locale="vi-VN")).new_page()
                await page.goto(f"{console.base_url}/console/")
                await page.fill("#login-username", "lan")
                await page.fill("#login-password", PASSWORD)
                await page.click("#login-submit")
                await page.click("#nav-account")
                await expect(page.locator("#require-2fa-label")).to_be_visible()
                # The box sits beside its words, not centred on a line of its own above them.
                box = await page.locator("#require-2fa").bounding_box()
                words = await page.locator("#require-2fa-label").bounding_box()
                assert box is not None and words is not None and box["x"] - words["x"] < 8
                await page.check("#require-2fa")
                # Lan has none herself: from now on she too may only enrol (and log out).
                await expect(page.locator("#enrol-needed")).to_be_visible()
                assert await console.services.operators.second_factor_required()
                await log_out(page)

                # hoa has no second factor: the console keeps her on her account page until she enrols.
                await log_in(page, console)
                await expect(page.locator("#account-view")).to_be_visible()
                await expect(page.locator("#enrol-needed")).to_be_visible()
                await page.click("#nav-queue")
                await expect(page.locator("#account-view")).to_be_visible()
                await expect(page.locator("#queue-view")).to_be_hidden()
                await page.click("#totp-start")
                await expect(page.locator("#totp-secret")).to_have_text(re.compile(r"^[A-Z2-7]{32}$"))
                secret = (await page.locator("#totp-secret").text_content() or "").strip()
                await page.fill("#totp-code", pyotp.TOTP(secret).now())
                await page.click("#totp-confirm")
                await expect(page.locator("#recovery-codes li")).to_have_count(10)
                await expect(page.locator("#enrol-needed")).to_be_hidden()
                await page.click("#nav-queue")
                await expect(page.locator("#queue-view")).to_be_visible()

                # Sign out everywhere else: another session of hoa's ends, this one goes on.
                other = console.client()
                codes = [(await page.locator("#recovery-codes li").nth(n).text_content() or "") for n in range(2)]
                assert (await other.post("/api/login", json={"username": "hoa", "password": PASSWORD,
                                                             "code": codes[0]})).status_code == 200
                await page.click("#nav-account")
                await expect(page.locator("#sessions-list li")).to_have_count(2)
                await page.click("#end-sessions")
                await expect(page.locator("#sessions-status")).to_contain_text("Các phiên khác đã kết thúc")
                await expect(page.locator("#sessions-list li")).to_have_count(1)
                assert (await other.get("/api/me")).status_code == 401
                await page.click("#nav-queue")
                await expect(page.locator("#queue-view")).to_be_visible()
            finally:
                await browser.close()


async def test_a_first_password_is_replaced_at_the_first_log_in_with_a_meter_and_a_show_button(
        settings: Settings, rasa: FakeRasa, bot_api: FakeBotAPI) -> None:
    """ASVS 2.3.1, 2.1.8, 2.1.12: Minh's account was made with a temporary password (as `caunoi operator add` makes
    it); he can show what he typed, is kept on his account page until he chooses his own, and sees its strength."""
    async with over_http(console_app(settings, rasa, OPTIONS)) as console:
        await console.services.operators.add("minh", "operator", PASSWORD, temporary=True)
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
            try:
                page = await (await browser.new_context(locale="vi-VN")).new_page()
                await page.goto(f"{console.base_url}/console/")
                await page.fill("#login-username", "minh")
                await page.fill("#login-password", PASSWORD)
                reveal = page.locator("button[data-reveal='login-password']")
                await reveal.click()
                await expect(page.locator("#login-password")).to_have_attribute("type", "text")
                await expect(reveal).to_have_attribute("aria-pressed", "true")
                await reveal.click()
                await expect(page.locator("#login-password")).to_have_attribute("type", "password")
                await page.click("#login-submit")

                await expect(page.locator("#account-view")).to_be_visible()
                await expect(page.locator("#password-needed")).to_be_visible()
                await expect(page.locator("#connection-text")).to_have_text(
                    "Chưa nhận cập nhật — hãy hoàn tất tài khoản trước")
                await page.click("#nav-queue")
                await expect(page.locator("#account-view")).to_be_visible()  # nothing else until he chooses
                await expect(page.locator("#queue-view")).to_be_hidden()

                await page.fill("#password-current", PASSWORD)
                await page.fill("#password-new", "password1234")
                await expect(page.locator("#password-strength-text")).to_contain_text("quá phổ biến")
                assert await page.locator("#password-strength").evaluate("m => m.value") == 0
                await page.fill("#password-new", NEW_PASSWORD)
                await expect(page.locator("#password-strength-text")).to_contain_text("Độ mạnh:")
                assert await page.locator("#password-strength").evaluate("m => m.value") >= 3
                await page.fill("#password-again", NEW_PASSWORD)
                await page.click("#password-save")
                await expect(page.locator("#password-status")).to_contain_text("Đã đổi mật khẩu")
                await expect(page.locator("#password-needed")).to_be_hidden()
                await page.click("#nav-queue")
                await expect(page.locator("#queue-view")).to_be_visible()
                await expect(page.locator("#connection-text")).to_have_text("Đang cập nhật trực tiếp")
                operator = await console.services.operators.verify("minh", NEW_PASSWORD)
                assert operator is not None and not operator.must_change_password
            finally:
                await browser.close()
