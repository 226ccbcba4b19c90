"""Teams in a real Chromium (Debian's `chromium`, Playwright): Hoa of team Hà Nội sees her team's conversation with
its team, not the NGO's; when nobody of the NGO is on duty any more, the NGO's conversation appears in her queue
live (the sweep's event), marked as open to every team; the supervisor's board lists both teams and who is on duty.
Screenshots go to a temporary folder, or to reports/screenshots/ with CAUNOI_SCREENSHOTS=1."""

from __future__ import annotations

import pytest

from bot.settings import Settings
from bot.state.queue import Case
from bot.state.teams import Teams
from harness.rasa import FakeRasa
from tests.console.harness import console_app, over_http
from tests.console.test_browser import ARGS, CHROMIUM, OPTIONS, SCREENSHOTS, sign_in

try:
    from playwright.async_api import async_playwright, expect
except ImportError:  # pragma: no cover - test_browser skipped the module already
    pass

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="browser tests need /usr/bin/chromium")
HANOI, NGO = "tg:7101", "tg:7102"


async def test_an_operator_sees_her_teams_queue_and_a_spill_arrives_live(settings: Settings, rasa: FakeRasa) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    async with over_http(console_app(settings, rasa, OPTIONS)) as console:
        teams = Teams(console.gateway.redis)
        await teams.add("hanoi", "Trung tâm CTXH Hà Nội")
        await teams.add("ngo", "Tổ chức Hy Vọng")
        await teams.route("hanoi", "province", "Hà Nội")
        await teams.route("ngo", "campaign", "hyvong")
        await console.operator("hoa", alias="Hoa")
        await console.operator("mai", role="supervisor", alias="Mai")
        await teams.assign("hanoi", "hoa")
        lan = await console.login("lan")  # on duty, her console open
        await teams.assign("ngo", "lan")
        await console.gateway.queue.enqueue(Case(HANOI, "telegram", "low", ("Bị giữ lương",), province="Hà Nội"))
        await console.gateway.queue.enqueue(Case(NGO, "telegram", "medium", ("Bị giữ giấy tờ",), campaign="hyvong"))
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
            errors: list[str] = []
            try:
                pages = []
                for _ in range(2):
                    context = await browser.new_context(locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh")
                    page = await context.new_page()
                    page.on("pageerror", lambda error: errors.append(str(error)))
                    pages.append(page)
                hoa, mai = pages
                await sign_in(hoa, console, "hoa")
                rows = hoa.locator("#queue-list li")
                await expect(rows).to_have_count(1)
                await expect(rows.nth(0).locator(".badge.team")).to_have_text("Nhóm: Trung tâm CTXH Hà Nội")
                await expect(hoa.locator("#connection")).to_have_text("● Đang cập nhật trực tiếp")

                assert (await lan.post("/api/me/status", {"status": "break"})).status_code == 200
                assert await console.services.queue_view.sweep() == [NGO]
                await expect(rows).to_have_count(2)  # no reload: the event made the console fetch the queue
                spilled = hoa.locator(f"#queue-list li[data-id='{NGO}'] .badge.team")
                await expect(spilled).to_have_text("Nhóm: Tổ chức Hy Vọng · mọi nhóm")
                await hoa.screenshot(path=str(SCREENSHOTS / "teams-queue.png"), full_page=True)
                await hoa.click(f"#queue-list li[data-id='{NGO}'] a")
                await expect(hoa.locator("#facts")).to_contain_text("Tổ chức Hy Vọng (đã mở cho mọi nhóm)")

                await sign_in(mai, console, "mai")
                await mai.click("#nav-board")
                board = mai.locator("#board-teams li")
                await expect(board).to_have_count(2)
                await expect(mai.locator("#board-teams li[data-team='hanoi']")).to_contain_text(
                    "1/1 người đang trực: hoa")
                ngo = mai.locator("#board-teams li[data-team='ngo']")
                await expect(ngo).to_contain_text("0/1 người đang trực")
                await expect(ngo).to_contain_text("1 đã mở cho mọi nhóm")
                await expect(mai.locator("#board-teams-rule")).to_contain_text("sau 5 phút")
                await mai.screenshot(path=str(SCREENSHOTS / "teams-board.png"), full_page=True)
            finally:
                await browser.close()
            assert errors == []
