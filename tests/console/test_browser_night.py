"""The night shift in a real Chromium (Debian's `chromium`, Playwright), at a laptop's 1366 px and a phone's 390 px.

Hoa claims a high-risk conversation (at 390 px the claim button and the risk facts come before the transcript) and
goes back to the queue; the person writes: an unread badge and the tab title say so. Every queue row is reached with
Tab and opened with Enter; single-key shortcuts can be switched off. Hoa types a reply and stops: the console warns
before the idle logout, logs out, and after logging in again the draft is still in the box (kept in the tab, never
sent to the server). Hoa transfers to Minh with a handover note: Minh sees it first among the notes and as a line in
the transcript. Minh goes on a break while holding it: the supervisor's board lists that problem first, and one click
opens the conversation. Every text on the screens measured meets WCAG AA contrast (4.5:1).
Screenshots go to a temporary folder, or to reports/screenshots/ with CAUNOI_SCREENSHOTS=1.
"""

from __future__ import annotations

import re
import time

import pytest

from bot.settings import Settings
from bot.state.queue import Case
from harness.botapi import FakeBotAPI, text_update
from harness.rasa import FakeRasa
from tests.console.conftest import console_settings
from tests.console.harness import PASSWORD, Console, console_app, over_http
from tests.console.test_browser import ARGS, CHROMIUM, OPTIONS, SCREENSHOTS, sign_in, telegram

try:
    from playwright.async_api import Page, async_playwright, expect
except ImportError:  # pragma: no cover - test_browser skipped the module already
    pass

PERSON_CHAT = 880001
PERSON = f"tg:{PERSON_CHAT}"
OTHERS = ["zalo:8800777", "web:nguoi-nhan-0002"]
DRAFT = "Mình đang tìm số của Tổng lãnh sự quán cho bạn, chờ mình một chút nhé"
HANDOVER = "Bạn ấy bị giữ hộ chiếu ở Sihanoukville, pin yếu; đã cho số Bảo hộ công dân. Cần hỏi địa chỉ cụ thể."
VIEWPORTS = {"laptop": {"width": 1366, "height": 860}, "phone": {"width": 390, "height": 844}}

# Every visible element with its own text: its colour against the first opaque background behind it (WCAG 2.x
# relative luminance). Disabled controls are exempt (WCAG 1.4.3). Returns the ones under 4.5:1.
CONTRAST = """() => {
  const parse = (value) => { const m = value.match(/rgba?\\(([^)]+)\\)/); if (!m) return null;
    const [r, g, b, a = 1] = m[1].split(',').map(Number); return { r, g, b, a }; };
  const channel = (c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
  const lum = ({ r, g, b }) => 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
  const background = (node) => {
    for (let n = node; n && n.nodeType === 1; n = n.parentElement) {
      const bg = parse(getComputedStyle(n).backgroundColor);
      if (bg && bg.a > 0.5) return bg;
    }
    return parse(getComputedStyle(document.body).backgroundColor);
  };
  const failures = [];
  for (const node of document.querySelectorAll('body *')) {
    const own = [...node.childNodes].some((c) => c.nodeType === 3 && c.textContent.trim());
    if (!own || node.closest('[hidden], dialog:not([open])') || node.closest(':disabled')) continue;
    const rects = node.getClientRects();
    if (!rects.length || getComputedStyle(node).visibility === 'hidden') continue;
    const fg = parse(getComputedStyle(node).color), bg = background(node);
    const [hi, lo] = [lum(fg), lum(bg)].sort((a, b) => b - a);
    const ratio = (hi + 0.05) / (lo + 0.05);
    const name = `${node.tagName.toLowerCase()}#${node.id}.${node.className}`;
    if (ratio < 4.5) failures.push(`${name} "${node.textContent.trim().slice(0, 30)}" ${ratio.toFixed(2)}`);
  }
  return failures;
}"""


@pytest.fixture
def settings(redis_url: str, bot_api: FakeBotAPI) -> Settings:
    return console_settings(redis_url, bot_api, CAUNOI_UNANSWERED_MINUTES="5", CAUNOI_HANDBACK_GRACE_MINUTES="5")


async def prepare(console: Console) -> None:
    await console.operator("hoa", alias="Hoa")
    await console.operator("minh", alias="Minh")
    await console.operator("mai", role="supervisor", alias="Mai")
    now = time.time()
    await console.gateway.queue.enqueue(Case(OTHERS[0], "zalo", "medium", ("Bị giữ lương",),
                                             "Người thân làm việc ở Malaysia, bị giữ lương.", "",
                                             enqueued_at=now - 900))
    await console.gateway.queue.enqueue(Case(OTHERS[1], "web", "low", ("Hỏi về việc làm",), "", "",
                                             enqueued_at=now - 1500))
    await telegram(console, text_update(PERSON_CHAT, "Họ giữ hộ chiếu của tôi ở Campuchia"))
    await console.settle()
    await console.gateway.queue.enqueue(Case(PERSON, "telegram", "high", ("Bị giữ giấy tờ tuỳ thân",),
                                             "Người nhắn nói đang ở Campuchia, bị giữ hộ chiếu.", "",
                                             enqueued_at=now - 300))


async def contrast_failures(page: Page) -> list[str]:
    failures: list[str] = await page.evaluate(CONTRAST)
    return failures


async def shot(page: Page, name: str, size: str) -> None:
    await page.screenshot(path=str(SCREENSHOTS / f"night-{name}-{size}.png"), full_page=size == "phone")


@pytest.mark.parametrize("size", list(VIEWPORTS))
async def test_a_night_shift_in_the_browser(settings: Settings, rasa: FakeRasa, bot_api: FakeBotAPI,
                                            size: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    async with over_http(console_app(settings, rasa, OPTIONS)) as console:
        await prepare(console)
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
            errors: list[str] = []

            async def page_for() -> Page:
                context = await browser.new_context(viewport=VIEWPORTS[size], locale="vi-VN",  # type: ignore[arg-type]
                                                    timezone_id="Asia/Ho_Chi_Minh")
                page = await context.new_page()
                page.on("pageerror", lambda error: errors.append(str(error)))
                return page

            try:
                hoa, minh, mai = await page_for(), await page_for(), await page_for()
                await hoa.clock.install()  # the idle warning is reached by moving this page's clock
                await operator_hoa(hoa, console, size)
                await sign_in(minh, console, "minh")
                await expect(minh.locator("#queue-view")).to_be_visible()
                await transfer_with_a_note(hoa, minh, console, size)
                await supervisor_board(minh, mai, console, size)
            finally:
                await browser.close()
            assert errors == []


async def operator_hoa(page: Page, console: Console, size: str) -> None:
    sent: list[str] = []
    page.on("request", lambda request: sent.append(request.post_data or ""))
    await sign_in(page, console, "hoa")
    rows = page.locator("#queue-list li")
    await expect(rows).to_have_count(3)
    await expect(rows.nth(0).locator("a.row")).to_have_attribute("aria-current", "true")  # the selected row
    assert await page.locator("#queue-list a[aria-current]").count() == 1
    await expect(page.locator("#connection")).to_have_text("● Đang cập nhật trực tiếp")
    assert await contrast_failures(page) == []
    await shot(page, "queue", size)

    # The high-risk conversation: at phone width the claim button and the risk facts come before the transcript.
    await page.click(f"#queue-list li[data-id='{PERSON}']")
    await expect(page.locator("#claim")).to_be_visible()
    await expect(page.locator("#facts")).to_contain_text("Nguy cơ cao")
    # Said as what it is, a country named in the messages: a mother can name where her daughter went.
    await expect(page.locator("#facts")).to_contain_text("Tin nhắn có nhắc tới nước ngoài")
    await expect(page.locator("#facts")).not_to_contain_text("Ở nước ngoài")
    await expect(page.locator("#transcript")).to_contain_text("Campuchia")
    claim, risk, transcript = [await page.locator(selector).bounding_box()
                               for selector in ("#claim", "#facts dd .risk-text-high", "#transcript")]
    assert claim and risk and transcript
    if size == "phone":
        assert claim["y"] < transcript["y"] and risk["y"] < transcript["y"]
    assert await contrast_failures(page) == []
    await shot(page, "conversation", size)
    await page.click("#claim")
    await expect(page.locator("#conv-state")).to_have_text("Bạn đang hỗ trợ")
    await expect(page.locator("#reply-text")).to_have_accessible_name("Trả lời người nhắn")
    await expect(page.locator("#note-text")).to_have_accessible_name("Ghi chú nội bộ (người nhắn không thấy)")

    # Back in the queue, the person writes: the held row shows it unread, and the tab title too.
    await page.click("#back")
    held = page.locator(f"#held-list li[data-id='{PERSON}']")
    await expect(held).to_be_visible()
    await expect(held.locator(".unread-count")).to_have_count(0)
    await page.evaluate("window.__alerts = []; window.addEventListener('caunoi-alert', (e) => "
                        "window.__alerts.push(e.detail.title))")
    await telegram(console, text_update(PERSON_CHAT, "Anh ơi họ đang tới"))
    await expect(held.locator(".unread-count")).to_have_text("1 tin chưa đọc")
    await page.wait_for_function("window.__alerts.includes('Cầu Nối: tin nhắn mới')")  # tone + notification
    await expect(page).to_have_title("(1) Cầu Nối — Tổng đài viên")
    await expect(page.locator("#unread-count")).to_have_text("1 chưa đọc")
    await shot(page, "unread", size)

    # Keyboard only: Tab reaches every row (waiting and held), each a link; Enter opens the focused one.
    await page.locator("#nav-queue").focus()
    reached: list[str] = []
    for _ in range(40):
        await page.keyboard.press("Tab")
        found = await page.evaluate("document.activeElement.closest('#queue-list li, #held-list li')?.dataset.id")
        if found:
            assert await page.evaluate("document.activeElement.tagName") == "A"
            reached.append(found)
        if found == PERSON and len(reached) > 3:
            break
    assert set(reached) >= {PERSON, *OTHERS} and reached.count(PERSON) == 2  # waiting list, then held list
    await page.keyboard.press("Enter")
    await expect(page).to_have_url(f"{console.base_url}/console/#/c/{PERSON.replace(':', '%3A')}")
    await expect(page.locator("#transcript")).to_contain_text("Anh ơi họ đang tới")
    await page.click("#back")
    await expect(held.locator(".unread-count")).to_have_count(0)  # opened by its holder: read
    await expect(page).to_have_title("Cầu Nối — Tổng đài viên")
    assert await held.locator("a[aria-current]").count() == 0

    # Single-key shortcuts can be switched off: j no longer moves the selection.
    first = page.locator("#queue-list li").nth(0)
    await expect(first).to_have_class("risk-medium selected")
    await page.keyboard.press("?")
    await page.uncheck("#pref-shortcuts")
    await page.keyboard.press("Escape")
    await page.locator("body").click(position={"x": 5, "y": 300})
    await page.keyboard.press("j")
    await expect(first).to_have_class("risk-medium selected")
    await expect(page.locator("#shortcut-hint")).to_contain_text("đang tắt")
    await page.keyboard.press("?")
    await page.check("#pref-shortcuts")
    await page.keyboard.press("Escape")

    # Canned replies by "/": "/tre" finds the children's reply under its group; Enter puts it in the box.
    await page.click(f"#held-list li[data-id='{PERSON}']")
    await page.click("#reply-text")
    await page.keyboard.type("/tre")
    await expect(page.locator("#canned-search h4").first).to_have_text("Trẻ em")
    await expect(page.locator("#canned-results [role=option]").first).to_have_text("Trẻ dưới 18 tuổi")
    await shot(page, "canned-slash", size)
    await page.keyboard.press("Enter")
    await expect(page.locator("#reply-text")).to_have_value(re.compile("^Em làm đúng khi nhắn"))
    await expect(page.locator("#canned-search")).to_be_hidden()

    # A draft, then no click for most of the session's idle time: a warning; then the logout keeps the draft.
    await page.fill("#reply-text", DRAFT)
    await page.clock.fast_forward("28:30")
    await expect(page.locator("#idle-dialog")).to_be_visible()
    await expect(page.locator("#idle-left")).to_contain_text("phút")
    await shot(page, "idle-warning", size)
    await page.clock.fast_forward("02:00")
    await expect(page.locator("#login-view")).to_be_visible()
    await expect(page.locator("#login-note")).to_contain_text("Bản nháp trả lời vẫn giữ trên máy này")
    assert await page.locator("#reply-text").input_value() == ""  # not in the page while logged out
    await page.fill("#login-username", "hoa")
    await page.fill("#login-password", PASSWORD)
    await page.click("#login-submit")
    await expect(page.locator("#conv-state")).to_have_text("Bạn đang hỗ trợ")
    await expect(page.locator("#reply-text")).to_have_value(DRAFT)
    assert not [body for body in sent if DRAFT in body]  # the draft never went to the server


async def transfer_with_a_note(hoa: Page, minh: Page, console: Console, size: str) -> None:
    await hoa.click("#transfer")
    options = hoa.locator("#transfer-operator option")
    await expect(options).to_have_count(1)  # only minh is on duty (mai has not logged in); never hoa herself
    await hoa.select_option("#transfer-operator", "minh")
    await hoa.click("#transfer-confirm")
    await expect(hoa.locator("#transfer-error")).to_have_text("Hãy viết ghi chú bàn giao cho người nhận.")
    await hoa.fill("#transfer-note", HANDOVER)
    assert await contrast_failures(hoa) == []
    await shot(hoa, "transfer", size)
    await hoa.click("#transfer-confirm")
    await expect(hoa.locator("#conv-state")).to_have_text("Minh đang hỗ trợ")
    assert await console.gateway.queue.holder(PERSON) == "minh"

    await minh.click(f"#held-list li[data-id='{PERSON}']")
    await expect(minh.locator("#conv-state")).to_have_text("Bạn đang hỗ trợ")
    first_note = minh.locator("#notes li").first
    await expect(first_note).to_have_class("note-handover")
    await expect(first_note).to_contain_text(HANDOVER)
    await expect(first_note).to_contain_text("hoa → minh")
    await expect(minh.locator("#transcript li.note-handover")).to_contain_text(f"Bàn giao từ hoa cho minh: {HANDOVER}")
    await shot(minh, "handover", size)


async def supervisor_board(minh: Page, mai: Page, console: Console, size: str) -> None:
    await minh.select_option("#my-status", "break")
    await sign_in(mai, console, "mai")
    await expect(mai.locator("#nav-board")).to_be_visible()
    await mai.click("#nav-board")
    problems = mai.locator("#board-problems li")
    await expect(problems.first).to_contain_text("minh đang nghỉ nhưng vẫn giữ cuộc trò chuyện")
    assert await problems.first.get_attribute("data-kind") == "holder_away"
    await expect(mai.locator("#board-operators li[data-operator='minh']")).to_contain_text("Đang nghỉ")
    await expect(mai.locator("#board-range")).to_contain_text("0 cuộc trò chuyện đã kết thúc")
    assert await contrast_failures(mai) == []
    # A supervisor's header has the most links: still no sideways scroll at a phone's width.
    assert await mai.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    await shot(mai, "board", size)
    await problems.first.locator("a").click()
    await expect(mai.locator("#conversation-view")).to_be_visible()
    await expect(mai.locator("#conv-state")).to_contain_text("đang hỗ trợ")
    await expect(mai.locator("#release")).to_be_visible()  # a supervisor may put it back or transfer it

    # Search by (part of) the id: never by message text. One click opens the conversation.
    await mai.click("#nav-search")
    await mai.fill("#search-id", str(PERSON_CHAT)[-4:])
    await mai.click("#search-submit")
    found = mai.locator(f"#search-results li[data-id='{PERSON}']")
    await expect(found).to_contain_text("Nguy cơ cao")
    assert await contrast_failures(mai) == []
    await shot(mai, "search", size)
    await found.locator("a").click()
    await expect(mai.locator("#conversation-view")).to_be_visible()

