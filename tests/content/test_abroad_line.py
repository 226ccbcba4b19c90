"""Abroad first in the content: every text a person can be shown that gives 111, 113 or another domestic short code
also gives the consular line (they cannot be dialled from abroad), except texts known to be read only in Vietnam."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from bot.cli import main
from bot.content import Content
from bot.content.abroad import DOMESTIC_ONLY, abroad_problems, consular_phones
from bot.content.check import _shown_texts, check_content
from tests.content.conftest import CONTENT_DIR

WARNING = "without the consular line"


def test_the_consular_line_comes_from_the_directory(content: Content) -> None:
    assert consular_phones(content.directory) == {"0981848484", "0965411118"}


def test_the_real_content_gives_the_consular_line_with_every_short_code(content: Content) -> None:
    assert [str(p) for p in abroad_problems(_shown_texts(content, CONTENT_DIR), content.directory, CONTENT_DIR)] == []


def test_every_kind_of_text_a_person_reads_is_scanned(content: Content) -> None:
    scanned = {path.relative_to(CONTENT_DIR).parts[0] for path, _, _ in _shown_texts(content, CONTENT_DIR)}
    assert {"responses", "gateway", "console", "canned_replies.yml", "articles", "dialogue.yml"} <= scanned


def test_every_exemption_says_why() -> None:
    assert all(len(reason) > 30 for reason in DOMESTIC_ONLY.values())


def replace(relative: str, old: str, new: str) -> Callable[[Path], None]:
    def change(root: Path) -> None:
        path = root / relative
        text = path.read_text(encoding="utf-8")
        assert old in text, (relative, old)
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return change


# What these texts said before abroad first: each would fail the check again.
@pytest.mark.parametrize(("change", "where"), [
    (replace("responses/smalltalk.yml", "• Ở nước ngoài: gọi Bảo hộ công dân +84 981 84 84 84 (24/7).", ""),
     "responses/smalltalk.yml: responses.utter_welcome[0].text: gives 111, 113"),
    (replace("console/messages.yml", "; ở nước ngoài gọi Bảo hộ công dân +84 981 84 84 84 (24/7).", "."),
     "console/messages.yml: closed: gives 111, 113"),
    (replace("gateway/messages.yml",
             "  • +84 981 84 84 84 — Bảo hộ công dân, Bộ Ngoại giao (nếu bạn đang ở nước ngoài)\ndegraded_abroad",
             "degraded_abroad"), "gateway/messages.yml: degraded: gives 111, 113"),
    (replace("canned_replies.yml", "; ở nước ngoài, gọi Bảo hộ công dân +84 981 84 84 84 (24/7).", "."),
     "canned_replies.yml: replies[7].text: gives 111, 113"),
    (replace("responses/escalation.yml", "; nếu ở nước ngoài, gọi +84 981 84 84 84.", "."),
     "responses/escalation.yml: responses.utter_escalation_failed[0].text: gives 111"),
    (replace("articles/victim-rights.md", "hãy hỏi 111 hoặc bảo hộ công dân (+84 981 84 84 84) trước",
             "hãy hỏi 111 trước"), "articles/victim-rights.md: section xu-phat: gives 111"),
    (replace("responses/services.yml", " Ở nước ngoài, gọi Bảo hộ công dân +84 981 84 84 84 (24/7).", ""),
     "responses/services.yml: responses.utter_always_111[0].text: gives 111"),
    # 115 is a domestic short code too (vn-facts §8: abroad, the local emergency number).
    (replace("responses/smalltalk.yml", "Mình vẫn ở đây. Bạn cần mình giúp gì?", "Cấp cứu: gọi 115."),
     "responses.utter_greet[0].text: gives 115"),
])
def test_a_short_code_without_the_consular_line_fails_the_check(content_copy: Path, change: Callable[[Path], None],
                                                                 where: str) -> None:
    assert check_content(content_copy) == []
    change(content_copy)
    problems = [str(problem) for problem in check_content(content_copy)]
    assert any(where in problem and WARNING in problem for problem in problems), problems


def test_a_text_read_only_in_vietnam_may_give_113_alone_but_the_same_words_elsewhere_may_not(
        content_copy: Path) -> None:
    path = content_copy / "responses" / "escalation.yml"
    text = path.read_text(encoding="utf-8")
    vietnam_only = "Nếu bạn đang gặp nguy hiểm ngay lúc này, hãy gọi 113 (Công an)."
    assert vietnam_only in text  # utter_safety_vietnam: sent only when the person is placed in Vietnam
    path.write_text(text.replace("Bạn không có lỗi, và bạn không phải một mình.", vietnam_only, 1), encoding="utf-8")
    problems = [str(problem) for problem in check_content(content_copy) if WARNING in str(problem)]
    assert len(problems) == 1 and "responses.utter_distress_support[0].text: gives 113" in problems[0], problems


def test_an_exemption_that_no_longer_applies_is_reported(content_copy: Path) -> None:
    replace("articles/danger-in-vietnam.md", "hãy gọi 113 (Công an).",
            "hãy gọi 113 (Công an). Ở nước ngoài: +84 981 84 84 84.")(content_copy)
    problems = [str(problem) for problem in check_content(content_copy)]
    assert any("danger-in-vietnam.md" in p and "remove the exemption" in p for p in problems), problems


def test_without_a_verified_consular_line_every_short_code_fails(content_copy: Path) -> None:
    replace("directory/abroad.yml", "    status: verified\n    note: Numbers confirmed", "    status: unverified\n"
            "    note: Numbers confirmed")(content_copy)
    problems = [str(problem) for problem in check_content(content_copy)]
    assert any("no verified consular line" in p for p in problems), problems


def test_an_operator_only_button_title_is_not_a_text_for_people(content_copy: Path) -> None:
    replace("canned_replies.yml", "title: Hỏi nơi bạn đang ở", "title: Hỏi trước khi nói 113")(content_copy)
    assert check_content(content_copy) == []


def test_caunoi_content_check_fails_on_it(content_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    replace("console/messages.yml", "; ở nước ngoài gọi Bảo hộ công dân +84 981 84 84 84 (24/7).", ".")(content_copy)
    assert main(["content", "check", "--content-dir", str(content_copy)]) == 1
    assert f"closed: gives 111, 113 {WARNING}" in capsys.readouterr().err
