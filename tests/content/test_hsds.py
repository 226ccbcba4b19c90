"""`caunoi directory export|import --format hsds` (bot/cli/hsds.py): the spec's files and columns, required values
present (postal codes excepted, see docs/hsds.md), a round trip that gives the same directory, confidential
addresses only with the flag, and every refused row with its file, line and reason."""

from __future__ import annotations

import asyncio
import csv
import json
import uuid
from pathlib import Path

import pytest
import redis.asyncio

from bot.cli import main
from bot.cli.hsds import read_package, write_package
from bot.content import Content
from bot.content.leads import read_leads
from bot.content.loader import vocabulary_of
from bot.settings import PROJECT_ROOT
from bot.state.directory import DirectoryStore, Record
from bot.state.sealed import Sealer
from tests.conftest import make_settings

SPEC = json.loads((Path(__file__).parent / "hsds_spec_columns.json").read_text(encoding="utf-8"))["files"]
LEADS = PROJECT_ROOT / "content" / "leads" / "directory-leads.csv"


def not_known(file: str, row: dict[str, str]) -> set[str]:
    """Required address values the directory does not hold, left empty rather than invented (docs/hsds.md): postal
    codes; city and province of a national entry or one abroad; the ISO code of a country abroad."""
    if file != "addresses.csv":
        return set()
    return {"postal_code"} | ({"city", "state_province", "country"} if not row["state_province"] else set())


def records(content: Content) -> list[Record]:
    leads, _ = read_leads(LEADS, vocabulary_of(content))
    return [Record(entry, "lan" if entry.verified else None) for entry in (*content.directory.entries, *leads)]


def rows(folder: Path, file: str) -> list[dict[str, str]]:
    with (folder / file).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_the_export_has_the_spec_s_files_columns_and_required_values(content: Content, tmp_path: Path) -> None:
    write_package(records(content), content, tmp_path, with_confidential=False)
    package = json.loads((tmp_path / "datapackage.json").read_text(encoding="utf-8"))
    assert package["profile"] == "tabular-data-package"
    assert {r["path"] for r in package["resources"]} == set(SPEC)
    for file, spec in SPEC.items():
        with (tmp_path / file).open(encoding="utf-8", newline="") as handle:
            header = next(csv.reader(handle))
        assert header == spec["columns"], file
        for number, row in enumerate(rows(tmp_path, file), start=2):
            for name in spec["required"]:
                assert row[name] or name in not_known(file, row), f"{file}:{number}: {name} is empty"
            for name, allowed in spec["enums"].items():
                assert row[name] == "" or row[name] in allowed, f"{file}:{number}: {name}={row[name]!r}"
            if "id" in row:
                uuid.UUID(row["id"])  # the spec's ids are UUIDs
    services = rows(tmp_path, "services.csv")
    assert len(services) == len(content.directory) + 26
    phones = {row["service_id"] for row in rows(tmp_path, "phones.csv")}
    organizations = {row["id"] for row in rows(tmp_path, "organizations.csv")}
    assert phones <= {row["id"] for row in services}
    assert {row["organization_id"] for row in services} <= organizations


def test_the_round_trip_gives_the_same_directory(content: Content, tmp_path: Path) -> None:
    before = records(content)
    write_package(before, content, tmp_path, with_confidential=True)
    entries, problems = read_package(tmp_path, content)
    assert problems == []
    assert {e.id: e.as_dict() for e in entries} == {r.entry.id: r.entry.as_dict() for r in before}


def test_confidential_addresses_leave_only_with_the_flag(content: Content, tmp_path: Path) -> None:
    shelters = [r for r in records(content) if r.entry.confidential and r.entry.address]
    assert shelters, "the seed and the leads hold a confidential address to test with"
    write_package(shelters, content, tmp_path / "plain", with_confidential=False)
    text = "".join(path.read_text(encoding="utf-8") for path in (tmp_path / "plain").iterdir())
    assert all(r.entry.address not in text for r in shelters)
    assert rows(tmp_path / "plain", "addresses.csv") == []
    write_package(shelters, content, tmp_path / "flag", with_confidential=True)
    assert {row["address_1"] for row in rows(tmp_path / "flag", "addresses.csv")} == {r.entry.address
                                                                                       for r in shelters}


def test_every_refused_row_says_its_file_line_and_reason(content: Content, tmp_path: Path) -> None:
    write_package(records(content)[:3], content, tmp_path, with_confidential=False)
    services = (tmp_path / "services.csv").read_text(encoding="utf-8").splitlines()
    header = services[0].split(",")
    broken = services[2].split(",")
    broken[header.index("status")] = "maybe"
    broken[header.index("organization_id")] = "nobody"
    (tmp_path / "services.csv").write_text("\n".join([services[0], services[1], ",".join(broken), *services[3:]])
                                           + "\n", encoding="utf-8")
    entries, problems = read_package(tmp_path, content)
    assert len(entries) == 2
    assert {(p.file, p.line) for p in problems} == {("services.csv", 3)}
    reasons = " ".join(p.reason for p in problems)
    assert "status 'maybe'" in reasons and "organization_id 'nobody'" in reasons
    assert str(problems[0]).startswith("services.csv:3: ")
    (tmp_path / "organizations.csv").unlink()
    entries, problems = read_package(tmp_path, content)
    assert entries == [] and [str(p) for p in problems] == ["organizations.csv:0: missing: a package needs it"]


def test_a_package_from_elsewhere_comes_in_unverified(content: Content, tmp_path: Path) -> None:
    verified = [r for r in records(content) if r.entry.verified][:2]
    write_package(verified, content, tmp_path, with_confidential=False)
    services = rows(tmp_path, "services.csv")
    with (tmp_path / "services.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=SPEC["services.csv"]["columns"])
        writer.writeheader()
        writer.writerows({**row, "assured_date": ""} for row in services)  # no date it was checked
    entries, problems = read_package(tmp_path, content)
    assert problems == [] and entries and all(not e.verified for e in entries)


def test_the_cli_exports_and_imports_the_live_directory(live: str, content: Content, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    redis_url = live
    assert main(["directory", "export", "--format", "hsds", str(tmp_path)]) == 0
    assert f"{len(content.directory)} entries" in capsys.readouterr().out

    async def wipe() -> None:
        client = redis.asyncio.Redis.from_url(redis_url, decode_responses=True)
        directory = DirectoryStore(client, content, Sealer.from_settings(make_settings()))
        await directory.remove_all()
        await directory.seed(())  # an empty directory, seeded
        await client.close()

    asyncio.run(wipe())
    assert main(["directory", "import", "--format", "hsds", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert f"{len(content.directory)} written" in out and "0 refused" in out


def test_importing_back_an_export_without_addresses_keeps_the_shelters_addresses(
        live: str, content: Content, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`export --format hsds` leaves confidential addresses out; `import --format hsds --replace` of that package must
    not erase them from the live directory (the deployer's review loop: export, edit a phone, import back)."""
    assert main(["directory", "import", "--format", "leads", str(LEADS)]) == 0
    shelters = {r.entry.id: r.entry.address for r in records(content) if r.entry.confidential and r.entry.address}
    assert shelters
    assert main(["directory", "export", "--format", "hsds", str(tmp_path)]) == 0
    assert all(address not in (tmp_path / "addresses.csv").read_text(encoding="utf-8")
               for address in shelters.values())
    assert main(["directory", "import", "--format", "hsds", "--replace", str(tmp_path)]) == 0
    capsys.readouterr()

    async def stored() -> dict[str, str | None]:
        client = redis.asyncio.Redis.from_url(live, decode_responses=True)
        directory = DirectoryStore(client, content, Sealer.from_settings(make_settings()))
        found = {r.entry.id: r.entry.address for r in await directory.records()}
        await client.close()
        return found

    after = asyncio.run(stored())
    assert {entry_id: after.get(entry_id) for entry_id in shelters} == shelters
