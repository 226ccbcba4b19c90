"""`check_content` on the real content (clean) and on copies broken one rule at a time (each rule can fail)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from bot.cli import main
from bot.content.check import check_content

from .conftest import CONTENT_DIR

NATIONAL = "directory/national.yml"
ENTRY = """
  - id: {id}
    name: Một dịch vụ
    type: {type}
    phone: "{phone}"
    source_url: https://example.org/nguon
    verified_at: 2026-11-01
    status: verified
"""


def test_the_real_content_is_clean() -> None:
    assert [str(p) for p in check_content(CONTENT_DIR)] == []


def append(relative: str, text: str) -> Callable[[Path], None]:
    def change(root: Path) -> None:
        path = root / relative
        path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")
    return change


def replace(relative: str, old: str, new: str) -> Callable[[Path], None]:
    def change(root: Path) -> None:
        path = root / relative
        text = path.read_text(encoding="utf-8")
        assert old in text, f"{old!r} not in {relative}"
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return change


def write(relative: str, text: str) -> Callable[[Path], None]:
    def change(root: Path) -> None:
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(text, encoding="utf-8")
    return change


def entry(**fields: str) -> str:
    return ENTRY.format(**{"id": "dich-vu-moi", "type": "medical", "phone": "0901234567", **fields})


ARTICLE = """---
title: Một bài
summary: Một dòng.
sources:
  - title: Nguồn
    url: https://example.org
verified_at: 2026-11-01
---
{body}
"""

BROKEN: dict[str, tuple[Callable[[Path], None], str, str]] = {
    # name: (how to break the copy, file that must be named, words the problem must contain)
    "duplicate id across files": (write("directory/provinces/ha-noi.yml", "entries:" + entry(id="tong-dai-111")),
                                  "ha-noi.yml", "id 'tong-dai-111' is already used in directory/national.yml"),
    "id format": (append(NATIONAL, entry(id="Dich_Vu")), NATIONAL, "id 'Dich_Vu' must be lower-case"),
    "unknown type": (append(NATIONAL, entry(type="spa")), NATIONAL, "type 'spa' is not one of"),
    "unknown field": (replace(NATIONAL, "    hours: 24/7\n", "    hours: 24/7\n    adress: x\n"), NATIONAL,
                      "unknown field(s) adress"),
    "former province name": (append(NATIONAL, entry() + "    province: Bình Dương\n"), NATIONAL,
                             "province 'Bình Dương' is not one of the 34 current provinces (exact current names only); "
                             "did you mean 'Hồ Chí Minh'?"),
    "province typed without diacritics": (append(NATIONAL, entry() + "    province: Ha Noi\n"), NATIONAL,
                                          "did you mean 'Hà Nội'?"),
    "phone format": (append(NATIONAL, entry(phone="12 34")), NATIONAL, "phone '12 34' is not a Vietnamese number"),
    "phone without quotes": (replace(NATIONAL, 'phone: "113"', "phone: 113"), NATIONAL, "phone must be text in quotes"),
    "foreign phone in Vietnam": (append(NATIONAL, entry(phone="+855 23 726 274")), NATIONAL,
                                 "allowed only for entries abroad"),
    "old number in an entry": (append(NATIONAL, entry(phone="1800 1567")), NATIONAL, "out-of-date number"),
    "verified without source": (replace(NATIONAL, "    source_url: https://plo.vn/", "    note2: https://plo.vn/"),
                                NATIONAL, "a verified entry needs source_url"),
    "verified without date": (replace("directory/abroad.yml", "    verified_at: 2026-11-29\n", ""),
                              "abroad.yml", "a verified entry needs verified_at"),
    "verified_at in the future": (append(NATIONAL, entry().replace("2026-11-01", "2099-01-01")), NATIONAL,
                                  "verified_at 2099-01-01 is in the future"),
    "bad date": (append(NATIONAL, entry().replace("2026-11-01", "29/11/2026")), NATIONAL,
                 "must be a date, YYYY-MM-DD"),
    "source not http": (append(NATIONAL, entry().replace("https://example.org/nguon", "example.org")), NATIONAL,
                        "source_url 'example.org' must be an http(s):// address"),
    "status": (append(NATIONAL, entry().replace("status: verified", "status: checked")), NATIONAL,
               "status 'checked' must be verified or unverified"),
    "shelter address shown": (replace(NATIONAL, "    confidential: true\n", ""), NATIONAL,
                              "a shelter's address is confidential"),
    "coordinates outside the province": (append(NATIONAL, entry() + "    province: Hà Nội\n    lat: 10.78\n"
                                                "    lon: 106.70\n"), NATIONAL, "lie outside Hà Nội"),
    "lat without lon": (append(NATIONAL, entry() + "    lat: 21.0\n"), NATIONAL, "lat and lon go together"),
    "unknown country": (append("directory/abroad.yml", entry(phone="+66 2 000 0000") + "    country: Atlantis\n"),
                        "abroad.yml", "country 'Atlantis' is not a country"),
    "no way to reach": (append(NATIONAL, entry().replace('    phone: "0901234567"\n', "")), NATIONAL,
                        "an entry needs a way to reach it"),
    "unreadable directory file": (write("directory/provinces/ha-noi.yml", "entries: [\n"), "ha-noi.yml",
                                  "cannot read"),
    "directory file without entries": (write("directory/provinces/ha-noi.yml", "- id: x\n"), "ha-noi.yml",
                                       "must hold entries"),
    "article without summary": (replace("articles/legal-fees.md", "summary:", "tóm_tắt:"), "legal-fees.md",
                                "missing summary"),
    "article without sources": (write("articles/bai-moi.md", ARTICLE.replace("  - title: Nguồn\n    url: "
                                      "https://example.org\n", "").format(body="Nội dung.")), "bai-moi.md",
                                "sources must be a non-empty list"),
    "article without front matter": (write("articles/bai-moi.md", "Chỉ có nội dung.\n"), "bai-moi.md",
                                     "must start with YAML front matter"),
    "article with an empty body": (write("articles/bai-moi.md", ARTICLE.format(body="")), "bai-moi.md",
                                   "the body (after the front matter) is empty"),
    "article too long": (write("articles/bai-moi.md", ARTICLE.format(body="Một câu dài. " * 120)), "bai-moi.md",
                         "keep it within 1200"),
    "article with a table": (write("articles/bai-moi.md", ARTICLE.format(body="| a | b |\n|---|---|")),
                             "bai-moi.md", "no tables"),
    "article with a nested list": (write("articles/bai-moi.md", ARTICLE.format(body="- một\n  - hai")),
                                   "bai-moi.md", "no nested lists"),
    "article with HTML": (write("articles/bai-moi.md", ARTICLE.format(body="Gọi <b>ngay</b>.")), "bai-moi.md",
                          "no raw HTML"),
    "article with bold": (write("articles/bai-moi.md", ARTICLE.format(body="Gọi **ngay**.")), "bai-moi.md",
                          "no Markdown emphasis"),
    "article relating a missing one": (replace("articles/legal-fees.md", "related: [", "related: [khong-co, "),
                                       "legal-fees.md", "related article 'khong-co' does not exist"),
    "article in the future": (replace("articles/legal-fees.md", "verified_at: 2026-11-29", "verified_at: 2099-01-01"),
                              "legal-fees.md", "verified_at 2099-01-01 is in the future"),
    "old ministry in a response": (write("responses/cu.yml", 'responses:\n  utter_cu:\n    - text: "Hãy liên hệ '
                                         'Bộ Lao động - Thương binh và Xã hội."\n'), "cu.yml",
                                   "line 3: names the Ministry/Department/Office of Labour"),
    "old ministry without diacritics": (write("responses/cu.yml", 'responses:\n  utter_cu:\n    - text: "Lien he '
                                              'Bo Lao dong Thuong binh va Xa hoi"\n'), "cu.yml",
                                        "names the Ministry/Department/Office of Labour"),
    "abbreviation LĐ-TB&XH": (append("articles/legal-fees.md", "\nHỏi Bộ LĐ-TB&XH.\n"), "legal-fees.md",
                              "names LĐ-TB&XH / LĐTBXH"),
    "abbreviation Sở LĐTBXH": (append("articles/legal-fees.md", "\nHỏi So LDTBXH.\n"), "legal-fees.md",
                               "names LĐ-TB&XH / LĐTBXH"),
    "district labour office": (append("articles/legal-fees.md", "\nHỏi phòng Lao động - Thương binh và Xã hội "
                                      "huyện.\n"), "legal-fees.md", "names the Ministry/Department/Office of Labour"),
    "old social-evils department": (append("gateway/messages.yml", "# Cục Phòng, chống tệ nạn xã hội\n"),
                                    "messages.yml", "names the Cục Phòng, chống tệ nạn xã hội"),
    "district police": (append("articles/danger-in-vietnam.md", "\nĐến công an huyện.\n"), "danger-in-vietnam.md",
                        "names district police"),
    "district police in a directory comment": (append(NATIONAL, "# hỏi cong an huyen\n"), NATIONAL,
                                               "names district police"),
    "old number in a gateway text": (replace("gateway/messages.yml", "• 113 —", "• 1800 1567 hoặc 113 —"),
                                     "messages.yml", "out-of-date number"),
    "old Hà Nội area code": (append("articles/check-agency.md", "\nGọi (04) 3824 9517.\n"), "check-agency.md",
                             "pre-2017 area code"),
    "unverified number in a response": (write("responses/moi.yml", 'responses:\n  utter_moi:\n    - text: "Gọi '
                                              '1900 969 680."\n'), "moi.yml",
                                        "utter_moi[0].text: phone '1900 969 680' is not the phone of a verified"),
    "unknown number in an article": (append("articles/safe-phone.md", "\nGọi 0912 345 678.\n"), "safe-phone.md",
                                     "section lead: phone '0912 345 678' is not the phone of a verified"),
    "emergency code not in the directory": (append("articles/safe-phone.md", "\nGọi 114.\n"), "safe-phone.md",
                                            "phone '114' is not the phone of a verified"),
    "gateway text missing": (replace("gateway/messages.yml", "empty:", "trong:"), "messages.yml", "lacks empty"),
    # The language tables the NLU is built from are read by nlu/tables and checked with everything else.
    "a misspelt sign in the triage rules": (replace("triage/indicators.yml", "  - sign: phone_hide\n",
                                                    "  - sign: phone_hidden\n"), "indicators.yml",
                                            "answered: 'phone_hidden' is not an indicator"),
    "a province without its centre": (replace("gazetteer/provinces.yml", "    centroid: [10.01, 105.08]\n", ""),
                                      "provinces.yml", "province 'An Giang': needs name, bbox [4 numbers]"),
    "teencode that is not a mapping": (replace("normalise/teencode.yml", "\nwords:\n", "\nwords: [ko]\nold:\n"),
                                       "teencode.yml", "words must be a mapping"),
}


@pytest.mark.parametrize("name", list(BROKEN))
def test_each_rule_fails_the_check(name: str, content_copy: Path) -> None:
    change, file, words = BROKEN[name]
    change(content_copy)
    problems = check_content(content_copy, today=date(2026, 11, 29))
    matching = [p for p in problems if p.file.as_posix().endswith(file) and words in p.message]
    assert matching, "\n".join(str(p) for p in problems) or "no problem found"


def test_the_same_number_spaced_differently_is_accepted(content_copy: Path) -> None:
    append("articles/safe-phone.md", "\nHoặc 0981.84.84.84, 0965 411 118.\n")(content_copy)
    assert check_content(content_copy) == []


def test_nlu_data_may_hold_the_words_people_type(content_copy: Path) -> None:
    write("nlu/cu.yml", "- báo công an huyện\n- hỏi sở LĐTBXH\n")(content_copy)
    write("gazetteer/extra.yml", "words: [công an huyện]\n")(content_copy)
    assert check_content(content_copy) == []


def test_command_exits_0_with_a_summary(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["content", "check", "--content-dir", str(CONTENT_DIR)]) == 0
    out = capsys.readouterr().out
    assert re.fullmatch(r"content OK: \d+ directory entries \(\d+ verified\), \d+ articles, 34 provinces in .+\n", out)


def test_command_exits_1_with_one_line_per_problem(content_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    append("articles/safe-phone.md", "\nGọi 0912 345 678 hoặc công an huyện.\n")(content_copy)
    assert main(["content", "check", "--content-dir", str(content_copy)]) == 1
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 3
    assert all(re.match(r".+safe-phone\.md: .+", line) for line in lines[:2])
    assert lines[2].startswith("content check: 2 problem(s)")
