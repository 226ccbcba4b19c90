"""`caunoi directory import` and `caunoi directory list`, run through the real command line entry point."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli import main
from bot.content.check import check_content
from bot.content.loader import read_content

HEADER = "id,name,type,province,country,phone,address,lat,lon,confidential,source_url,verified_at,status\n"
GOOD = (
    "tgpl-ha-noi,Trung tâm Trợ giúp pháp lý nhà nước Hà Nội,legal_aid,Hà Nội,,024 3333 4444,\"1 Phố X, Hà Nội\","
    "21.02,105.83,,https://example.org/a,2026-11-01,verified\n"
    "nha-tam-lanh-can-tho,Nhà tạm lánh,shelter,Cần Thơ,,0901 234 567;1800 1769,Số 2,,,yes,"
    "https://example.org/b;https://example.org/c,2026-11-01,verified\n"
)
BAD = (
    "Bad Id,,spa,Bình Dương,,12345,,91,200,,ftp://x,29/11/2026,maybe\n"  # line 4
    "tong-dai-111,Trùng,hotline,,,111,,,,,,,unverified\n"  # line 5
    "xa-ha-noi,Xa,medical,Hà Nội,,0901234567,,10.0,106.0,,,,unverified\n"  # line 6
    "lap,Một,medical,,,0901234568,,,,,,,unverified\n"  # line 7: accepted
    "lap,Hai,medical,,,0901234569,,,,,,,unverified\n"  # line 8
    "chua-nguon,Chưa nguồn,medical,,,0901234560,,,,,,,verified\n"  # line 9
    "tuong-lai,Tương lai,medical,,,0901234561,,,,,https://example.org,2099-01-01,verified\n"  # line 10
    "nuoc-ngoai,Nước ngoài,embassy,,Campuchia,+855 23 726 274,,,,,,,unverified\n"  # line 11: accepted
)


def run(*argv: str) -> int:
    return main(["directory", *argv])


def csv_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "in.csv"
    path.write_text(text, encoding="utf-8")
    return path


def ids(content_dir: Path) -> list[str]:
    content, problems = read_content(content_dir)
    assert content is not None and not problems, problems
    return [entry.id for entry in content.directory]


def test_all_rows_accepted(content_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = ids(content_copy)
    assert run("import", str(csv_file(tmp_path, HEADER + GOOD)), "--content-dir", str(content_copy)) == 0
    assert "2 accepted, 0 rejected" in capsys.readouterr().out
    after = ids(content_copy)
    assert after[: len(before)] == before or set(before) < set(after)
    assert {"tgpl-ha-noi", "nha-tam-lanh-can-tho"} <= set(after)
    content, _ = read_content(content_copy)
    assert content is not None
    shelter = content.directory.by_id("nha-tam-lanh-can-tho")
    assert shelter is not None and shelter.confidential and shelter.public_address is None
    assert shelter.phones == ("0901 234 567", "1800 1769") and len(shelter.source_urls) == 2
    assert check_content(content_copy) == []


def test_rejected_rows_are_reported_with_line_and_reasons(
        content_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = csv_file(tmp_path, HEADER + GOOD + BAD)
    assert run("import", str(path), "--content-dir", str(content_copy)) == 1
    captured = capsys.readouterr()
    assert "4 accepted, 6 rejected" in captured.out
    errors = {int(line.split(":")[1]): line for line in captured.err.splitlines()}
    assert sorted(errors) == [4, 5, 6, 8, 9, 10]  # line 7, the first "lap", is accepted
    for reason in ("id 'Bad Id' must be lower-case", "missing name", "type 'spa' is not one of",
                   "province 'Bình Dương' is not one of the 34 current provinces (exact current names only); "
                   "did you mean 'Hồ Chí Minh'?", "phone '12345' is not a Vietnamese number",
                   "lat/lon 91.0, 200.0 out of range", "source_url 'ftp://x' must be an http(s)://",
                   "verified_at '29/11/2026' must be a date", "status 'maybe' must be verified or unverified"):
        assert reason in errors[4]
    assert "id 'tong-dai-111' already exists in directory/national.yml" in errors[5]
    assert "lie outside Hà Nội" in errors[6]
    assert "id 'lap' is repeated (first on line 7)" in errors[8]
    assert "a verified entry needs source_url" in errors[9] and "needs verified_at" in errors[9]
    assert "verified_at 2099-01-01 is in the future" in errors[10]
    # The accepted rows were still written.
    assert {"tgpl-ha-noi", "nha-tam-lanh-can-tho", "lap", "nuoc-ngoai"} <= set(ids(content_copy))


def test_dry_run_writes_nothing(content_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = content_copy / "directory" / "imported.yml"
    assert run("import", str(csv_file(tmp_path, HEADER + GOOD + BAD)), "--content-dir", str(content_copy),
               "--dry-run") == 1
    assert "would append 4" in capsys.readouterr().out
    assert not out.exists()


def test_appending_keeps_existing_entries_and_comments(content_copy: Path, tmp_path: Path) -> None:
    out = content_copy / "directory" / "provinces" / "quang-ninh.yml"
    before = out.read_text(encoding="utf-8")
    row = "qn-y-te,Cơ sở y tế,medical,Quảng Ninh,,0203 3333 444,,,,,https://example.org,2026-11-01,verified\n"
    assert run("import", str(csv_file(tmp_path, HEADER + row)), "--content-dir", str(content_copy),
               "--out", str(out)) == 0
    after = out.read_text(encoding="utf-8")
    assert after.startswith(before.rstrip("\n"))  # comments and the old entry untouched
    assert ids(content_copy).count("quang-ninh-duong-day-mien-phi") == 1 and "qn-y-te" in ids(content_copy)
    # A second import of the same row is refused as a duplicate and changes nothing.
    assert run("import", str(csv_file(tmp_path, HEADER + row)), "--content-dir", str(content_copy),
               "--out", str(out)) == 1
    assert out.read_text(encoding="utf-8") == after


def test_appending_to_a_flow_style_file_keeps_its_entries(content_copy: Path, tmp_path: Path) -> None:
    out = content_copy / "directory" / "provinces" / "ha-noi.yml"
    out.write_text('entries: [{id: hn-cu, name: Cũ, type: medical, phone: "0901234567", status: unverified}]\n',
                   encoding="utf-8")
    row = "hn-moi,Mới,medical,Hà Nội,,0901234568,,,,,,,unverified\n"
    assert run("import", str(csv_file(tmp_path, HEADER + row)), "--content-dir", str(content_copy),
               "--out", str(out)) == 0
    assert {"hn-cu", "hn-moi"} <= set(ids(content_copy))


@pytest.mark.parametrize(("text", "words"), [
    (None, "cannot read"),
    ("", "empty file"),
    ("id,name,type,colour,status\n", "unknown column(s) colour"),
    ("id,name,status\n", "missing column(s) type"),
    ("id,name,type,status,id\n", "a column appears twice"),
])
def test_unusable_file_exits_2(content_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                               text: str | None, words: str) -> None:
    path = tmp_path / "in.csv" if text is None else csv_file(tmp_path, text)
    assert run("import", str(path), "--content-dir", str(content_copy)) == 2
    assert words in capsys.readouterr().err
    assert not (content_copy / "directory" / "imported.yml").exists()


def test_not_utf8_exits_2(content_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "in.csv"
    path.write_bytes((HEADER + GOOD).encode("cp1258", errors="replace"))
    assert run("import", str(path), "--content-dir", str(content_copy)) == 2
    assert "cannot read" in capsys.readouterr().err


def test_list_json_gives_every_entry(capsys: pytest.CaptureFixture[str]) -> None:
    from bot.content import load_content

    from .conftest import CONTENT_DIR

    assert run("list", "--json", "--content-dir", str(CONTENT_DIR)) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(rows) == len(load_content(CONTENT_DIR).directory)
    by_id = {row["id"]: row for row in rows}
    assert by_id["tong-dai-111"]["phone"] == ["111"] and by_id["tong-dai-111"]["status"] == "verified"
    assert by_id["tong-dai-111"]["verified_at"] == "2026-11-29" and by_id["tong-dai-111"]["province"] is None
    assert by_id["dai-su-quan-myanmar"]["country"] == "Myanmar"
    assert all(set(row) >= {"id", "name", "type", "phone", "source_url", "status", "file"} for row in rows)
