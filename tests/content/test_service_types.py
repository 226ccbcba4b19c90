"""The kinds of help (gazetteer/service_types.yml) and their national entries: what a search shows when the
directory has no verified local entry."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from bot.content import Content, read_content
from bot.content.phones import canonical

# Law 53/2024 Art. 37 and Decree 162/2025 Art. 17-25 (vn-facts §3), plus the police and the consular help.
TYPES = ["shelter", "medical", "police", "legal_aid", "psychological", "embassy", "employment", "vocational_training",
         "schooling", "loan", "hardship_allowance"]


def test_every_kind_of_help_of_the_law_is_a_type_with_a_label_and_a_sourced_way_to_reach_it(content: Content) -> None:
    assert list(content.service_types) == TYPES
    for kind in content.service_types.values():
        assert 0 < len(kind.label) <= 20, kind.name
        assert content.service_labels[kind.name] == kind.label
        assert 40 < len(kind.reach) < 260, kind.name  # two short sentences on a small screen
        assert kind.source_urls and all(url.startswith("https://") for url in kind.source_urls), kind.name
        assert date(2026, 11, 1) <= kind.verified_at <= date.today(), kind.name


@pytest.mark.parametrize(("kind", "words"), [
    ("legal_aid", ["Trung tâm Trợ giúp pháp lý nhà nước", "Sở Tư pháp", "miễn phí"]),
    ("police", ["113", "công an xã/phường"]),
    ("medical", ["115", "trạm y tế xã/phường"]),
    ("shelter", ["Ủy ban nhân dân", "trung tâm công tác xã hội", "Sở Y tế"]),
    ("employment", ["Trung tâm dịch vụ việc làm", "Sở Nội vụ"]),
    ("vocational_training", ["Sở Nội vụ"]),
    ("loan", ["Ngân hàng Chính sách xã hội", "xã/phường"]),
    ("schooling", ["dưới 18 tuổi", "miễn học phí", "sách giáo khoa"]),
    ("hardship_allowance", ["trợ cấp khó khăn ban đầu", "Ủy ban nhân dân"]),
    ("embassy", ["bảo hộ công dân", "gọi được từ nước ngoài"]),
    ("psychological", ["111", "dưới 18 tuổi"]),
])
def test_the_way_to_reach_names_the_kind_of_place(content: Content, kind: str, words: list[str]) -> None:
    reach = content.service_types[kind].reach
    assert all(word in reach for word in words), reach


def test_reach_texts_give_no_figure_vn_facts_does_not_have(content: Content) -> None:
    # Amounts under Decree 162/2025 were not found (vn-facts §3): no "đồng", no "triệu".
    for kind in content.service_types.values():
        assert "đồng" not in kind.reach and "triệu" not in kind.reach, kind.name


@pytest.mark.parametrize(("kind", "entry_id", "phone"), [
    ("police", "cong-an-113", "113"),
    ("legal_aid", "tro-giup-phap-ly-1800-1233", "18001233"),
    ("medical", "cap-cuu-115", "115"),
    ("embassy", "bao-ho-cong-dan", "0981848484"),
])
def test_each_kind_with_a_national_line_has_it_verified(content: Content, kind: str, entry_id: str,
                                                        phone: str) -> None:
    national = content.directory.national(kind)
    assert [entry.id for entry in national] == [entry_id]
    entry = national[0]
    assert entry.verified and entry.source_urls and entry.verified_at is not None
    assert canonical(entry.phones[0]) == phone


def test_the_legal_aid_line_says_its_hours_and_that_it_is_free(content: Content) -> None:
    entry = content.directory.by_id("tro-giup-phap-ly-1800-1233")
    assert entry is not None and entry.hours == "8:00–17:00, thứ Hai–thứ Sáu, miễn phí"
    assert "https://tienphong.vn/cong-bo-duong-day-nong-tro-giup-phap-ly-post1798229.tpo" in entry.source_urls


def test_national_entries_never_include_entries_abroad_or_in_a_province(content: Content) -> None:
    for kind in TYPES:
        assert all(entry.province is None and entry.country is None for entry in content.directory.national(kind))


def _edit(content_dir: Path, old: str, new: str) -> None:
    path = content_dir / "gazetteer" / "service_types.yml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.mark.parametrize(("old", "new", "words"), [
    ("    reach: >-\n      Mỗi tỉnh", "    unused: >-\n      Mỗi tỉnh", "legal_aid has no reach"),
    ("    verified_at: \"2026-12-06\"\n\n  medical:", "\n  medical:", "shelter: a verified entry needs verified_at"),
    ("    source_url: https://znews.vn", "    website: https://znews.vn", "embassy: a verified entry needs source_url"),
    ("    label: Học nghề\n", "", "vocational_training has no label"),
    ("Khẩn cấp: gọi 113.", "Khẩn cấp: gọi 0912 345 678.",
     "police: reach gives 0912 345 678, which no verified directory entry holds"),
])
def test_the_loader_refuses_a_kind_of_help_without_its_facts(content_copy: Path, old: str, new: str,
                                                             words: str) -> None:
    _edit(content_copy, old, new)
    _, problems = read_content(content_copy)
    assert any(problem.file.name == "service_types.yml" and words in problem.message for problem in problems), \
        "\n".join(map(str, problems))
