"""action_answer_from_article on the recorded tracker of a question (tests/actions/trackers/art.json), with the
question and what the NLU found replaced by others: the section asked for, its source in one line, the other
sections and related articles as buttons, and a human offered to someone whose ordeal is over."""

from __future__ import annotations

import json
from typing import Any

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.answer_from_article import ActionAnswerFromArticle, payload
from tests.actions.recorded import domain, tracker_before

MORE_SUPPORT = ["Được công nhận là nạn nhân", "Ăn ở 120 ngày", "Khám chữa bệnh, bảo hiểm y tế",
                "Luật sư, trợ giúp pháp lý", "Đi học", "Học nghề, việc làm, vay vốn", "Con đi cùng",
                "Xem thêm: Quyền của nạn nhân", "Xem thêm: Gặp nguy hiểm ở Việt Nam"]


async def answer(text: str, intent: str = "ask_support_policy",
                 entities: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    tracker = tracker_before("art", "action_answer_from_article", text=text, intent={"name": intent},
                             entities=entities or [])
    dispatcher = CollectingDispatcher()
    assert await ActionAnswerFromArticle().run(dispatcher, tracker, domain()) == []
    return dispatcher.messages


def titles(message: dict[str, Any]) -> list[str]:
    return [button["title"] for button in message["buttons"]]


async def test_checking_an_agency_answers_with_the_article_its_source_line_and_related_buttons() -> None:
    tracker = tracker_before("art", "action_answer_from_article")
    dispatcher = CollectingDispatcher()
    await ActionAnswerFromArticle().run(dispatcher, tracker, domain())
    [message] = dispatcher.messages
    text = message["text"]
    assert text.startswith("Cách kiểm tra công ty đưa người đi làm việc ở nước ngoài\n\nChỉ doanh nghiệp")
    assert "dolab.moha.gov.vn" in text and "dolab.gov.vn" not in text
    assert text.endswith("\n\nNguồn: VnEconomy, 24/12/2025 — https://vneconomy.vn/lua-dao-thu-tien-trai-luat-cua-"
                         "nguoi-lao-dong-muon-di-nuoc-ngoai-lam-viec.htm")
    assert text.count("https://") == 1
    assert message["buttons"] == [
        {"title": "Đi Hàn Quốc theo EPS",
         "payload": '/ask_support_policy{"article": "check-agency", "section": "eps"}'},
        {"title": "Website giả mạo", "payload": payload("check-agency", "website-gia")},
        {"title": "Xem thêm: Các khoản phí hợp pháp", "payload": '/ask_support_policy{"article": "legal-fees"}'},
        {"title": "Xem thêm: Dấu hiệu lừa đảo", "payload": '/ask_support_policy{"article": "fake-job-signs"}'}]


@pytest.mark.parametrize(("question", "heading", "words"), [
    ("lam sao de duoc cong nhan la nan nhan", "Được công nhận là nạn nhân", "Lời kể của chính bạn"),
    ("làm sao để được công nhận là nạn nhân", "Được công nhận là nạn nhân", "cảnh sát biển"),
    ("co duoc boi thuong khong", "Bồi thường", "quyền được bồi thường thiệt hại"),
    ("con toi di cung co duoc ho tro khong", "Con đi cùng", "dưới 18 tuổi đi cùng"),
    ("co phai tra tien luat su khong", "Luật sư, trợ giúp pháp lý", "không cần chứng minh hoàn cảnh khó khăn"),
    ("co dc bhyt mien phi ko", "Khám chữa bệnh, bảo hiểm y tế", "Nếu bạn chưa có bảo hiểm y tế"),
])
async def test_a_question_gets_the_section_that_answers_it(question: str, heading: str, words: str) -> None:
    [message] = await answer(question)
    assert message["text"].startswith(f"{heading}\n\n") and words in message["text"]
    assert "\n\nNguồn: " in message["text"] and message["text"].count("https://") == 1
    assert heading not in titles(message)  # the other sections are offered, not the one shown
    assert titles(message)[0] in ("Các khoản hỗ trợ", "Quyền của nạn nhân")  # and the article's overview
    assert any(title.startswith("Xem thêm: ") for title in titles(message))


async def test_a_general_question_gets_the_overview_and_every_section_as_a_button() -> None:
    [message] = await answer("nan nhan bi mua ban duoc ho tro nhung gi")
    assert message["text"].startswith("Nạn nhân bị mua bán người được hỗ trợ những gì\n\nNạn nhân được hỗ trợ")
    assert "Nguồn: Bộ Tư pháp (pbgdpl.gov.vn) — https://pbgdpl.gov.vn/Pages/tin-tuc-hd-pbpl.aspx?ItemID=5282" \
        in message["text"]
    assert titles(message) == MORE_SUPPORT
    assert message["buttons"][0]["payload"] == payload("victim-support", "cong-nhan")
    assert payload("victim-support", "cong-nhan") == \
        '/ask_support_policy{"article": "victim-support", "section": "cong-nhan"}'


async def test_a_xem_them_button_shows_exactly_what_it_names() -> None:
    button = json.loads(payload("victim-rights", "xu-phat").removeprefix("/ask_support_policy"))
    entities = [{"entity": name, "value": value} for name, value in button.items()]
    [message] = await answer('/ask_support_policy{"article": "victim-rights", "section": "xu-phat"}',
                             entities=entities)
    assert message["text"].startswith("Lo bị phạt vì đã đi chui\n\nMình nói thật:")
    assert "chưa có điều nào miễn phạt" in message["text"]
    [message] = await answer("/ask_support_policy", entities=[{"entity": "article", "value": "never-pay-rescuers"}])
    assert message["text"].startswith("Đừng trả tiền cho người nhận \"giải cứu\" trên mạng\n\n")
    assert titles(message) == ["Xem thêm: Người thân mất liên lạc"]  # no sections: no overview button either


async def test_a_button_naming_a_section_that_is_gone_shows_the_article() -> None:
    [message] = await answer("/ask_support_policy", entities=[{"entity": "article", "value": "victim-rights"},
                                                               {"entity": "section", "value": "khong-con"}])
    assert message["text"].startswith("Quyền của nạn nhân bị mua bán người\n\n")


async def test_someone_home_after_being_trafficked_gets_the_answer_and_a_human_without_the_emergency_text() -> None:
    for question in ("toi tung bi ban sang TQ, gio da ve nha, co duoc boi thuong khong",
                     "Tôi từng bị bán sang Trung Quốc, giờ đã về nhà, có được bồi thường không?"):
        [message] = await answer(question)  # one message: numbered choices (Zalo, web) are the last message's only
        offer = domain()["responses"]["utter_article_offer_human"][0]["text"]
        assert message["text"].startswith("Bồi thường\n\nBạn có quyền được bồi thường thiệt hại, kể cả khi đã về nhà.")
        assert message["text"].endswith(f"\n\n{offer}") and "Nguồn: Công an tỉnh Bình Phước" in message["text"]
        assert message["buttons"][:2] == [{"title": "Nói chuyện với người hỗ trợ", "payload": "/request_human"},
                                          {"title": "Quyền của nạn nhân", "payload": payload("victim-rights")}]
        assert "Xem thêm: Các khoản hỗ trợ" in titles(message)
        assert "113" not in message["text"]


async def test_a_question_with_no_ordeal_gets_no_offer_of_a_human() -> None:
    [message] = await answer("co duoc boi thuong khong")
    assert "Nói chuyện với người hỗ trợ" not in titles(message)


async def test_an_intent_with_no_article_and_no_section_gets_111() -> None:
    assert [m["response"] for m in await answer("xin chao", intent="greet")] == ["utter_always_111"]


@pytest.mark.parametrize(("question", "heading", "first_button"), [
    ("di han quoc theo eps thi qua dau", "Đi Hàn Quốc theo EPS", "Kiểm tra công ty"),
    ("trước khi đi cần chuẩn bị gì", "Chuẩn bị trước khi đi", "Đi làm nước ngoài an toàn"),
    ("lam sao kiem tra website cong ty co that khong", "Website giả mạo", "Kiểm tra công ty"),
])
async def test_job_abroad_questions_get_their_section_and_the_overview_button(question: str, heading: str,
                                                                              first_button: str) -> None:
    [message] = await answer(question, intent="ask_safe_migration")
    assert message["text"].startswith(f"{heading}\n\n") and titles(message)[0] == first_button
