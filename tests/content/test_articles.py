"""Guidance articles in sections (bot/content/articles.py) and finding the section a question asks for
(bot/content/questions.py), on the real articles and on small ones written here."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.content import Content
from bot.content.articles import parse_article
from bot.content.questions import Questions

HEAD = """---
title: Một bài
summary: Một dòng.
sources:
  - title: Nguồn một
    url: https://example.org/mot
  - title: Nguồn hai
    publisher: Báo Hai
    published: 7/2025
    url: https://example.org/hai
verified_at: 2026-11-01
{extra}---
{body}
"""


def article_file(tmp_path: Path, body: str, extra: str = "") -> Path:
    path = tmp_path / "bai-moi.md"
    path.write_text(HEAD.format(body=body, extra=extra), encoding="utf-8")
    return path


def test_an_article_without_headings_is_one_section(tmp_path: Path) -> None:
    article, reasons = parse_article(article_file(tmp_path, "Dòng một.\n\n- một\n- hai"))
    assert reasons == [] and article is not None
    assert [(s.id, s.title, s.text) for s in article.sections] == [("", "Một bài", "Dòng một.\n\n- một\n- hai")]
    assert article.parts == () and article.button == "Một bài"
    assert article.source_of(article.lead).line == "Nguồn một — https://example.org/mot"


def test_headings_with_ids_are_sections_with_their_asks_and_source(tmp_path: Path) -> None:
    extra = "button: Bài ngắn\nsections:\n  hai:\n    asks: [câu hỏi hai, cau hai]\n    source: 2\n"
    body = "Mở đầu.\n\n## Phần một {#mot}\nMột.\n\n## Phần hai {#hai}\nHai.\n### không phải mục\n"
    article, reasons = parse_article(article_file(tmp_path, body, extra))
    assert reasons == [] and article is not None
    assert [(s.id, s.title, s.text) for s in article.sections] == [
        ("", "Một bài", "Mở đầu."), ("mot", "Phần một", "Một."), ("hai", "Phần hai", "Hai.\n### không phải mục")]
    two = article.section("hai")
    assert two is not None and two.asks == ("câu hỏi hai", "cau hai")
    assert article.source_of(two).line == "Báo Hai, 7/2025 — https://example.org/hai"
    assert article.button == "Bài ngắn" and article.section("ba") is None


@pytest.mark.parametrize(("body", "extra", "reason"), [
    ("Mở đầu.\n\n## Phần không có id\nMột.", "", "must be '## Title {#section-id}'"),
    ("Mở đầu.\n\n## Phần {#Sai_Id}\nMột.", "", "must be '## Title {#section-id}'"),
    ("## Phần {#mot}\nMột.", "", "needs a lead"),
    ("Mở đầu.\n\n## Phần {#mot}\n", "", "section 'mot' is empty"),
    ("Mở đầu.\n\n## Phần {#mot}\nMột.\n## Lại {#mot}\nHai.", "", "section id 'mot' is used twice"),
    ("Mở đầu.\n\n## " + "Rất dài " * 8 + "{#mot}\nMột.", "", "it is a button label"),
    ("Mở đầu.\n\n## Phần {#mot}\nMột.", "sections:\n  hai: {asks: [x]}\n", "'hai' is not the id of a ## heading"),
    ("Mở đầu.\n\n## Phần {#mot}\nMột.", "sections:\n  mot: {asks: [x], source: 3}\n", "source must be the number"),
    ("Mở đầu.\n\n## Phần {#mot}\nMột.", "sections:\n  mot: {hoi: [x]}\n", "may hold only asks"),
    ("Mở đầu.", "sections: [mot]\n", "sections must map section ids"),
    ("Mở đầu.", "button: " + "x" * 41 + "\n", "button must be a label of at most 40"),
])
def test_malformed_sections_are_refused_with_the_reason(tmp_path: Path, body: str, extra: str, reason: str) -> None:
    article, reasons = parse_article(article_file(tmp_path, body, extra))
    assert article is None and any(reason in r for r in reasons), reasons


def test_a_source_may_only_add_publisher_and_date(tmp_path: Path) -> None:
    path = article_file(tmp_path, "Mở đầu.")
    path.write_text(path.read_text(encoding="utf-8").replace("    publisher: Báo Hai\n", "    tac_gia: X\n"),
                    encoding="utf-8")
    assert "may have publisher, published" in " ".join(parse_article(path)[1])


def test_victim_support_and_rights_have_a_short_section_for_each_right(content: Content) -> None:
    support, rights = content.articles["victim-support"], content.articles["victim-rights"]
    assert [s.id for s in support.parts] == ["cong-nhan", "thiet-yeu", "y-te", "tro-giup-phap-ly", "hoc-tap",
                                             "viec-lam", "tre-di-cung"]
    assert [s.id for s in rights.parts] == ["bao-ve", "bi-mat", "boi-thuong", "ky-thi", "nguoi-nuoc-ngoai", "xu-phat"]
    for section in (*support.sections, *rights.sections):
        assert 0 < len(section.text) <= 700, section.id
        assert section.id == "" or section.asks, section.id
    identification = support.section("cong-nhan")
    assert identification is not None
    for words in ("Ủy ban nhân dân xã", "công an", "bộ đội biên phòng", "cảnh sát biển", "Lời kể của chính bạn"):
        assert words in identification.text
    health = support.section("y-te")
    assert health is not None and "chưa có bảo hiểm y tế" in health.text
    assert "không cần chứng minh hoàn cảnh khó khăn" in str(support.section("tro-giup-phap-ly"))
    assert "120 ngày" in str(support.section("thiet-yeu"))
    fines = rights.section("xu-phat")
    assert fines is not None and "chưa có điều nào miễn phạt" in fines.text and "+84 981 84 84 84" in fines.text


@pytest.fixture(scope="module")
def questions(content: Content) -> Questions:
    return Questions(content.articles, content.teencode)


@pytest.mark.parametrize(("question", "place"), [
    ("lam sao de duoc cong nhan la nan nhan", ("victim-support", "cong-nhan")),
    ("Làm sao để được công nhận là nạn nhân?", ("victim-support", "cong-nhan")),
    ("co duoc boi thuong khong", ("victim-rights", "boi-thuong")),
    ("có được bồi thường không", ("victim-rights", "boi-thuong")),
    ("toi tung bi ban sang TQ, gio da ve nha, co duoc boi thuong khong", ("victim-rights", "boi-thuong")),
    ("con toi di cung co duoc ho tro khong", ("victim-support", "tre-di-cung")),
    ("con tôi đi cùng có được hỗ trợ không", ("victim-support", "tre-di-cung")),
    ("co phai tra tien luat su khong", ("victim-support", "tro-giup-phap-ly")),
    ("co dc bhyt ko", ("victim-support", "y-te")),
    ("ho tro an o bao nhieu ngay", ("victim-support", "thiet-yeu")),
    ("con toi co duoc di hoc lai khong", ("victim-support", "hoc-tap")),
    ("danh tinh co duoc giu bi mat khong", ("victim-rights", "bi-mat")),
    ("di chui ve co bi phat khong", ("victim-rights", "xu-phat")),
    ("nguoi nuoc ngoai bi ban sang viet nam co duoc ho tro khong", ("victim-rights", "nguoi-nuoc-ngoai")),
    ("so bi tra thu gia dinh", ("victim-rights", "bao-ve")),
])
def test_the_question_finds_its_section(questions: Questions, question: str, place: tuple[str, str]) -> None:
    assert questions.find(question) == place


def test_a_general_question_finds_no_section(questions: Questions) -> None:
    assert questions.find("nan nhan duoc ho tro nhung gi") is None
    assert questions.find("") is None
