"""The live directory (bot/state/directory.py) and `caunoi directory import|export|stats --live`: seeded once from the
content, read at once by a second reader after a write, leads in as unverified, and a YAML export that loads as the
same directory."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import redis.asyncio

from bot.cli import main
from bot.content import Content, load_content
from bot.content.check import check_content
from bot.content.leads import read_leads
from bot.content.loader import read_content, vocabulary_of
from bot.settings import PROJECT_ROOT
from bot.state.directory import DirectoryStore
from bot.state.sealed import Sealer
from tests.conftest import make_settings

LEADS = PROJECT_ROOT / "content" / "leads" / "directory-leads.csv"


def run(*argv: str) -> int:
    return main(["directory", *argv])



def store(redis_url: str, content: Content) -> DirectoryStore:
    return DirectoryStore(redis.asyncio.Redis.from_url(redis_url, decode_responses=True), content,
                          Sealer.from_settings(make_settings()))


async def test_two_readers_seed_once_and_see_a_write_at_once(redis_url: str, content: Content) -> None:
    one, two = store(redis_url, content), store(redis_url, content)
    seeded = await asyncio.gather(one.seed(), two.seed())
    assert sorted(seeded) == [False, True]
    before = await two.current()
    assert len(before) == len(content.directory)
    entry = one.parse({"id": "tgpl-quang-ninh", "name": "TGPL Quảng Ninh", "type": "legal_aid",
                       "province": "Quảng Ninh", "phone": "0203 3 835 000", "status": "verified",
                       "source_url": "https://stp.quangninh.gov.vn", "verified_at": "2026-12-01"}, "x")
    await one.write(one.stamped(entry, "lan", "lan"), new=True)
    after = await two.current()  # the other reader, no restart
    assert [e.id for e in after.in_province("Quảng Ninh", "legal_aid")] == ["tgpl-quang-ninh"]
    assert (await two.current()) is after  # unchanged version: the same object, nothing re-read
    raw = await one.client.hget("caunoi:directory:entries", "tgpl-quang-ninh")
    assert raw is not None and raw.startswith("s1:") and "0203" not in raw  # sealed at rest, like message text


def test_every_lead_is_read_as_an_unverified_entry_with_its_source(content: Content) -> None:
    entries, refused = read_leads(LEADS, vocabulary_of(content))
    assert refused == [] and len(entries) == 26
    assert all(not e.verified and e.source_url and e.note and "line" in e.note for e in entries)
    assert len({e.id for e in entries}) == 26
    shelters = [e for e in entries if e.type == "shelter"]
    assert shelters and all(e.confidential for e in shelters)


def test_import_leads_then_export_yaml_loads_as_the_same_directory(live: str, content: Content, content_copy: Path,
                                                                    tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    assert run("import", "--format", "leads", str(LEADS)) == 0
    assert "26 written" in capsys.readouterr().out
    assert run("import", "--format", "leads", str(LEADS)) == 0  # again: nothing doubled
    assert "0 written, 26 already stored" in capsys.readouterr().out
    out = tmp_path / "export"
    assert run("export", "--format", "yaml", str(out)) == 0
    assert (out / "directory" / "national.yml").exists() and (out / "directory" / "leads.yml").exists()
    # The export in place of the content's directory loads, and is the live directory.
    import shutil

    shutil.rmtree(content_copy / "directory")
    shutil.copytree(out / "directory", content_copy / "directory")
    exported, problems = read_content(content_copy)
    assert exported is not None and [p for p in problems if "directory" in str(p.path)] == []
    assert check_content(content_copy) == []  # a deployment reviews the export in git: it passes the content check
    live_entries = asyncio.run(_entries(live, content))
    assert {e.id: e.as_dict() for e in exported.directory} == {e.id: e.as_dict() for e in live_entries}
    assert sum(1 for e in exported.directory if e.id.startswith("lead-") and not e.verified) == 26


async def _entries(redis_url: str, content: Content) -> list:
    return [record.entry for record in await store(redis_url, content).records()]


def test_stats_live_counts_due_entries(live: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert run("import", "--format", "leads", str(LEADS)) == 0
    capsys.readouterr()
    assert run("stats", "--live") == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].split() == ["province", "type", "verified", "unverified", "due"]
    assert "Đà Nẵng" in out and "shelter" in out
    last = out.strip().splitlines()[-1]
    assert "due for a re-check" in last and "of 34 provinces" in last


def test_a_bad_import_path_exits_2(live: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run("import", "--format", "leads", str(tmp_path / "missing.csv")) == 2
    assert "caunoi:" in capsys.readouterr().err


def test_the_content_seed_is_what_the_bot_had(redis_url: str) -> None:
    content = load_content(PROJECT_ROOT / "content" / "vi")
    live_entries = asyncio.run(_entries(redis_url, content))
    assert [e.id for e in live_entries] == sorted(e.id for e in content.directory)
