"""The provincial directory files (content/vi/directory/provinces/) and `caunoi directory stats | near | stale`.

Every verified entry must say where it was read and when, carry only numbers the phone rules accept, sit in one of
the 34 provinces and, when it has coordinates, inside that province's box. The commands run on the real data and
on broken copies of it (in tmp dirs), where bad input must give a clear error and exit 2.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
import yaml

from bot.cli import main
from bot.cli.directory import Age, parse_age, stale_entries, stats_rows
from bot.content import Content
from bot.content.loader import read_content
from bot.content.phones import phone_problem

from .conftest import CONTENT_DIR

PROVINCES_DIR = CONTENT_DIR / "directory" / "provinces"
SLUG = re.compile(r"[a-z]+(?:-[a-z]+)*\.yml")


def provincial(content: Content) -> list:
    return [entry for entry in content.directory if entry.file.startswith("directory/provinces/")]


def run(*argv: str) -> int:
    return main(["directory", *argv])


def test_one_file_per_province(content: Content) -> None:
    files = sorted(path.name for path in PROVINCES_DIR.glob("*.yml"))
    assert len(files) == 34 and all(SLUG.fullmatch(name) for name in files)
    declared = set()
    for path in PROVINCES_DIR.glob("*.yml"):
        items = yaml.safe_load(path.read_text(encoding="utf-8"))["entries"]
        declared |= {item["province"] for item in items}
        assert all(item["province"] == items[0]["province"] for item in items), f"{path.name} mixes provinces"
    assert declared <= {p.name for p in content.directory.geography.provinces}


def test_verified_provincial_entries_are_sourced_dated_and_placed(content: Content) -> None:
    provinces = {p.name: p for p in content.directory.geography.provinces}
    verified = [entry for entry in provincial(content) if entry.verified]
    assert verified, "at least one verified provincial entry"
    for entry in verified:
        assert entry.source_urls and all(url.startswith(("http://", "https://")) for url in entry.source_urls), entry.id
        assert entry.verified_at is not None and entry.verified_at <= date.today(), entry.id
        assert entry.province in provinces, entry.id
        assert entry.phones or entry.address, f"{entry.id}: a verified entry states a phone or an address"
        for phone in entry.phones:
            assert phone_problem(phone) is None, f"{entry.id}: {phone_problem(phone)}"
        if entry.lat is not None or entry.lon is not None:
            assert entry.lat is not None and entry.lon is not None
            assert provinces[entry.province or ""].contains(entry.lat, entry.lon), entry.id


def test_every_provincial_entry_is_in_its_file_s_province(content: Content) -> None:
    for entry in provincial(content):
        assert entry.province is not None and entry.country is None, entry.id


def test_shelters_keep_their_address_hidden(content: Content) -> None:
    for entry in provincial(content):
        if entry.type == "shelter":
            assert entry.confidential and entry.public_address is None, entry.id


# --- stats ---

def test_stats_on_the_real_data(content: Content, capsys: pytest.CaptureFixture[str]) -> None:
    assert run("stats") == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].split() == ["province", "type", "verified", "unverified"]
    rows = stats_rows(content)
    assert {row[0] for row in rows} >= {p.name for p in content.directory.geography.provinces}
    assert sum(row[2] for row in rows) == len(content.directory.verified())
    assert sum(row[2] + row[3] for row in rows) == len(content.directory)
    assert re.search(r"total: \d+ verified, \d+ unverified; \d+ of 34 provinces", lines[-1])


def test_stats_counts_each_province_and_type(content_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (content_copy / "directory" / "provinces" / "lai-chau.yml").write_text(
        "entries:\n"
        "  - {id: lc-a, name: A, type: legal_aid, province: Lai Châu, phone: '0213 3333 444',\n"
        "     source_url: 'https://example.org', verified_at: 2026-01-01, status: verified}\n"
        "  - {id: lc-b, name: B, type: legal_aid, province: Lai Châu, phone: '0213 3333 445', status: unverified}\n"
        "  - {id: lc-c, name: C, type: police, province: Lai Châu, phone: '0213 3333 446', status: unverified}\n",
        encoding="utf-8")
    content, problems = read_content(content_copy)
    assert content is not None and not problems
    rows = [row for row in stats_rows(content) if row[0] == "Lai Châu"]
    assert rows == [("Lai Châu", "legal_aid", 1, 1), ("Lai Châu", "police", 0, 1)]
    assert run("stats", "--content-dir", str(content_copy)) == 0
    assert re.search(r"Lai Châu\s+legal_aid\s+1\s+1", capsys.readouterr().out)


def test_stats_on_unreadable_content_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run("stats", "--content-dir", str(tmp_path / "nowhere")) == 2
    assert "cannot read the content" in capsys.readouterr().err


# --- near ---

@pytest.fixture
def located(content_copy: Path) -> Path:
    """A copy of the content with three verified entries that have coordinates."""
    (content_copy / "directory" / "provinces" / "son-la.yml").write_text(
        "entries:\n"
        "  - {id: sl-legal, name: Legal, type: legal_aid, province: Sơn La, phone: '0212 3333 444', lat: 21.33,\n"
        "     lon: 103.91, source_url: 'https://example.org', verified_at: 2026-01-01, status: verified}\n"
        "  - {id: sl-police, name: Police, type: police, province: Sơn La, phone: '0212 3333 445', lat: 21.30,\n"
        "     lon: 103.95, source_url: 'https://example.org', verified_at: 2026-01-01, status: verified}\n"
        "  - {id: sl-hidden, name: Hidden, type: police, province: Sơn La, phone: '0212 3333 446', lat: 21.331,\n"
        "     lon: 103.911, status: unverified}\n",
        encoding="utf-8")
    (content_copy / "directory" / "provinces" / "lao-cai.yml").write_text(
        "entries:\n"
        "  - {id: lc-police, name: Police LC, type: police, province: Lào Cai, phone: '0214 3333 444', lat: 22.48,\n"
        "     lon: 103.97, source_url: 'https://example.org', verified_at: 2026-01-01, status: verified}\n",
        encoding="utf-8")
    return content_copy


def test_near_lists_verified_entries_by_distance(located: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run("near", "21.33", "103.91", "--content-dir", str(located)) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split("\t")[1] for line in lines] == ["sl-legal", "sl-police", "lc-police"]
    kms = [float(line.split()[0]) for line in lines]
    assert kms == sorted(kms) and kms[0] < 0.1 and 100 < kms[2] < 150
    assert all(" km\t" in line for line in lines)


def test_near_filters_by_type_and_limits(located: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run("near", "21.33", "103.91", "--type", "police", "--limit", "1", "--content-dir", str(located)) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1 and "\tsl-police\t" in lines[0]


def test_near_on_the_real_data(capsys: pytest.CaptureFixture[str]) -> None:
    assert run("near", "10.776", "106.70", "--type", "legal_aid") == 0
    out = capsys.readouterr().out
    assert out.strip()  # entries with coordinates, or the plain "no verified entry with coordinates"


@pytest.mark.parametrize("argv, message", [
    (["near", "91", "105"], "latitude '91' is out of range"),
    (["near", "21", "181"], "longitude '181' is out of range"),
    (["near", "abc", "105"], "latitude 'abc' is not a number"),
    (["near", "nan", "105"], "latitude 'nan' is out of range"),
    (["near", "21", "105", "--limit", "0"], "'0' must be at least 1"),
    (["near", "21", "105", "--limit", "x"], "'x' is not a whole number"),
    (["near", "21"], "the following arguments are required: lon"),
    (["stale"], "the following arguments are required: --older-than"),
    (["stale", "--older-than", "180"], "'180' is not an age"),
    (["stale", "--older-than", "6y"], "'6y' is not an age"),
    (["stale", "--older-than=-5d"], "'-5d' is not an age"),
    (["stale", "--older-than", "0d"], "between 1 and 100000"),
])
def test_bad_arguments_exit_2_with_a_clear_error(argv: list[str], message: str,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        run(*argv)
    assert exited.value.code == 2
    assert message in capsys.readouterr().err


def test_near_unknown_type_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert run("near", "21", "105", "--type", "spa") == 2
    err = capsys.readouterr().err
    assert "unknown type 'spa'" in err and "legal_aid" in err


def test_near_and_stale_on_unreadable_content_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = tmp_path / "vi"
    broken.mkdir()
    assert run("near", "21", "105", "--content-dir", str(broken)) == 2
    assert run("stale", "--older-than", "1d", "--content-dir", str(broken)) == 2
    assert "cannot read the content" in capsys.readouterr().err


# --- stale ---

@pytest.mark.parametrize("text, today, expected", [
    ("180d", date(2026, 11, 29), date(2026, 6, 2)),
    ("2w", date(2026, 11, 29), date(2026, 11, 15)),
    ("6m", date(2026, 11, 29), date(2026, 5, 29)),
    ("1m", date(2026, 3, 31), date(2026, 2, 28)),  # clamped to the month's last day
    ("12M", date(2026, 2, 28), date(2025, 2, 28)),
    (" 3d ", date(2026, 1, 2), date(2025, 12, 30)),
])
def test_ages(text: str, today: date, expected: date) -> None:
    assert parse_age(text).before(today) == expected


def test_stale_lists_old_entries(content_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (content_copy / "directory" / "provinces" / "cao-bang.yml").write_text(
        "entries:\n"
        "  - {id: cb-old, name: Old, type: police, province: Cao Bằng, phone: '0206 3333 444',\n"
        "     source_url: 'https://example.org/old', verified_at: 2025-01-01, status: verified}\n"
        "  - {id: cb-new, name: New, type: police, province: Cao Bằng, phone: '0206 3333 445',\n"
        "     source_url: 'https://example.org/new', verified_at: 2026-11-01, status: verified}\n",
        encoding="utf-8")
    assert run("stale", "--older-than", "180d", "--today", "2026-11-29", "--content-dir", str(content_copy)) == 0
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert lines == ["cb-old\tCao Bằng\t2025-01-01\thttps://example.org/old"]
    assert "1 entries checked before 2026-06-02" in captured.err


def test_stale_on_the_real_data(content: Content, capsys: pytest.CaptureFixture[str]) -> None:
    assert run("stale", "--older-than", "180d") == 0
    assert len(capsys.readouterr().out.splitlines()) == len(stale_entries(content, Age(180, "d"), date.today()))
    # Everything checked is older than one day, ten years on.
    assert run("stale", "--older-than", "1d", "--today", "2036-01-01") == 0
    lines = capsys.readouterr().out.splitlines()
    dated = [entry for entry in content.directory if entry.verified_at is not None]
    assert len(lines) == len(dated) and all(len(line.split("\t")) == 4 for line in lines)
