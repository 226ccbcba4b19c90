from __future__ import annotations

import pytest

from bot.content.phones import canonical, phone_problem, phones_in


@pytest.mark.parametrize(("raw", "expected"), [
    ("+84 981 84 84 84", "0981848484"),
    ("0981.84.84.84", "0981848484"),
    ("0981-848-484", "0981848484"),
    ("111", "111"),
    ("1900 969 680", "1900969680"),
    ("+855 23 726 274", "+85523726274"),
])
def test_one_canonical_form_per_line(raw: str, expected: str) -> None:
    assert canonical(raw) == expected


@pytest.mark.parametrize("raw", ["111", "113", "114", "115", "1800 1769", "1900 969 680", "024 3824 9517",
                                 "0981 84 84 84", "+84 981 84 84 84", "+84 24 3824 9517",
                                 "0692 196 085"])  # the police network kept its 069 numbers
def test_vietnamese_formats_are_valid(raw: str) -> None:
    assert phone_problem(raw) is None


@pytest.mark.parametrize(("raw", "reason"), [
    ("1800 1567", "out-of-date"),
    ("1800 1282", "out-of-date"),
    ("1800 8077", "out-of-date"),
    ("04 3824 9517", "pre-2017"),
    ("06 3824 9517", "pre-2017"),
    ("12345", "not a Vietnamese number"),
    ("112", "not a Vietnamese number"),
    ("0981 84 84 8", "not a Vietnamese number"),
    ("gọi 111", "characters other than digits"),
    ("+855 23 726 274", "allowed only for entries abroad"),
])
def test_invalid_and_outdated_numbers_are_refused(raw: str, reason: str) -> None:
    assert reason in (phone_problem(raw) or "")


def test_foreign_numbers_are_valid_abroad() -> None:
    assert phone_problem("+855 23 726 274", abroad=True) is None
    assert phone_problem("+95 9 660 888 998", abroad=True) is None


@pytest.mark.parametrize(("text", "found"), [
    ("Gọi 111 hoặc 113.", ["111", "113"]),
    ("gọi 111/113", ["111", "113"]),
    ("• +84 981 84 84 84 — Bảo hộ công dân", ["+84 981 84 84 84"]),
    ("số cũ (04) 3824 9517", ["04 3824 9517"]),
    ("gọi\n0981\u00a084 84 84", ["0981 84 84 84"]),
    ("1900 969 680 (tính cước)", ["1900 969 680"]),
    # Not phone numbers: dates, law numbers, amounts, years, web addresses.
    ("Từ 1/1/2022, theo Luật 69/2020/QH14 và Nghị định 113/2024/NĐ-CP", []),
    ("khoảng 16,7 tỷ đồng, tức 16.700.000.000 đồng, 24/7, 2026-2030, 2026-11-29", []),
    ("https://tienphong.vn/so-dien-thoai-111-post1779610.tpo", []),
])
def test_phone_like_strings_in_text(text: str, found: list[str]) -> None:
    assert phones_in(text) == found
