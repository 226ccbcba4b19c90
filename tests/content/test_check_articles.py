"""`caunoi content check` on what the articles answer: every article reachable, no known false claim in any text a
person is shown, sources cited by their own page. Each rule is broken on a copy of the real content."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml

from bot.content.check import check_content
from nlu.text import fold

from .conftest import CONTENT_DIR

CLAIMS = [str(phrase) for claim in yaml.safe_load((CONTENT_DIR / "checks" / "false_claims.yml").read_text(
    encoding="utf-8"))["claims"] for phrase in claim["phrases"]]


def problems(root: Path) -> list[str]:
    return [str(problem) for problem in check_content(root, today=date(2026, 12, 6))]


def edit(root: Path, relative: str, old: str, new: str) -> None:
    path = root / relative
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {relative}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_the_known_false_claims_are_listed() -> None:
    for words in ("không được pháp luật bảo vệ", "không bị xử lý", "không bị phạt", "kết nối bạn với 111"):
        assert words in CLAIMS


@pytest.mark.parametrize("claim", CLAIMS)
def test_each_false_claim_in_an_article_fails_the_check(content_copy: Path, claim: str) -> None:
    edit(content_copy, "articles/legal-fees.md", "Dấu hiệu đáng ngờ:", f"Yên tâm, bạn {claim}.\n\nDấu hiệu đáng ngờ:")
    found = [p for p in problems(content_copy)
             if "legal-fees.md: section " in p and ": says" in p and "which is false" in p]
    assert found, claim


@pytest.mark.parametrize("claim", CLAIMS)
def test_each_false_claim_typed_without_diacritics_in_a_response_fails_the_check(content_copy: Path,
                                                                                 claim: str) -> None:
    (content_copy / "responses" / "moi.yml").write_text(
        f'responses:\n  utter_moi:\n    - text: "Ban {fold(claim).upper()} dau."\n', encoding="utf-8")
    assert any("moi.yml: responses.utter_moi[0].text: says" in p for p in problems(content_copy)), claim


def test_a_false_claim_in_a_canned_reply_or_the_gateway_fails_the_check(content_copy: Path) -> None:
    edit(content_copy, "canned_replies.yml", "Cơ quan chức năng giúp đỡ miễn phí.",
         "Cơ quan chức năng giúp đỡ miễn phí, bạn sẽ không bị xử lý gì.")
    (content_copy / "gateway" / "messages.yml").write_text(
        (content_copy / "gateway" / "messages.yml").read_text(encoding="utf-8")
        + 'extra_claim: "Mình sẽ kết nối bạn với 111 ngay."\n', encoding="utf-8")
    found = problems(content_copy)
    assert any("canned_replies.yml" in p and "'không bị xử lý'" in p for p in found)
    assert any("messages.yml" in p and "'kết nối bạn với 111'" in p for p in found)


def test_the_words_of_a_claim_inside_a_true_sentence_pass(content_copy: Path) -> None:
    edit(content_copy, "articles/legal-fees.md", "Dấu hiệu đáng ngờ:",
         "Luật chưa có điều nào miễn phạt cho nạn nhân.\n\nDấu hiệu đáng ngờ:")
    assert problems(content_copy) == []


def test_an_article_nothing_leads_to_fails_the_check(content_copy: Path) -> None:
    # missing-family is reached only as "xem thêm" from never-pay-rescuers; its own link back does not count.
    edit(content_copy, "articles/never-pay-rescuers.md", "related: [missing-family]", "related: []")
    found = problems(content_copy)
    assert [p for p in found if "unreachable" in p] == [
        str(content_copy / "articles" / "missing-family.md") + ": unreachable: no intent in dialogue.yml "
        "article_for_intent, no sign in answer_for_sign, no button in a response and no related: link of a reachable "
        "article leads to it"]


def test_an_article_reached_only_by_a_sign_is_reachable_until_the_sign_goes(content_copy: Path) -> None:
    assert not [p for p in problems(content_copy) if "labour-trafficking.md: unreachable" in p]
    edit(content_copy, "dialogue.yml", "  labour_question: {article: labour-trafficking}\n", "")
    assert [p for p in problems(content_copy) if "labour-trafficking.md: unreachable" in p]


def test_a_button_in_a_response_makes_an_article_reachable(content_copy: Path) -> None:
    edit(content_copy, "articles/never-pay-rescuers.md", "related: [missing-family]", "related: []")
    (content_copy / "responses" / "moi.yml").write_text(
        'responses:\n  utter_moi:\n    - text: "Xem"\n      buttons:\n        - title: "Người thân mất tin"\n'
        "          payload: '/ask_support_policy{\"article\": \"missing-family\"}'\n", encoding="utf-8")
    assert problems(content_copy) == []


def test_a_button_or_an_intent_naming_a_missing_article_fails_the_check(content_copy: Path) -> None:
    (content_copy / "responses" / "moi.yml").write_text(
        'responses:\n  utter_moi:\n    - text: "Xem"\n      buttons:\n        - title: "A"\n'
        "          payload: '/ask_support_policy{\"article\": \"khong-co\"}'\n        - title: \"B\"\n"
        "          payload: '/ask_support_policy{\"article\": \"victim-rights\", \"section\": \"khong-co\"}'\n",
        encoding="utf-8")
    edit(content_copy, "dialogue.yml", "verify_agency: check-agency", "verify_agency: kiem-tra")
    found = problems(content_copy)
    assert any("moi.yml: responses.utter_moi[0].buttons[0].payload: a button names article 'khong-co'" in p
               for p in found)
    assert any("buttons[1].payload: a button names section 'khong-co', not in victim-rights" in p for p in found)
    assert any("dialogue.yml: article_for_intent.verify_agency: no article 'kiem-tra'" in p for p in found)


def test_a_source_cited_by_its_home_page_fails_the_check(content_copy: Path) -> None:
    edit(content_copy, "articles/victim-support.md",
         "url: https://pbgdpl.gov.vn/Pages/tin-tuc-hd-pbpl.aspx?ItemID=5282&l=HoatdongPBGDPLotrun",
         "url: https://pbgdpl.gov.vn/")
    assert any("victim-support.md: source 1 is a home page (https://pbgdpl.gov.vn/)" in p
               for p in problems(content_copy))


def test_a_section_too_long_for_a_chat_message_fails_the_check(content_copy: Path) -> None:
    edit(content_copy, "articles/victim-rights.md", "## Bồi thường {#boi-thuong}\n",
         "## Bồi thường {#boi-thuong}\n" + "Một câu dài. " * 100 + "\n")
    assert any("victim-rights.md: section 'boi-thuong' is " in p and "keep it within 1200" in p
               for p in problems(content_copy))
