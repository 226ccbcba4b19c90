"""`caunoi directory` on the live directory (bot/state/directory.py): import into it, export it, count it.

    caunoi directory import --format yaml CONTENT_DIR [--replace]   the entries of a content folder's directory/
    caunoi directory import --format leads FILE.csv                 leads, as unverified entries (bot/content/leads.py)
    caunoi directory import --format hsds DIR [--replace]           an Open Referral HSDS 3.0 package
    caunoi directory import --store FILE.csv                        a CSV of entry fields, into the store
    caunoi directory export --format yaml DIR                       today's file layout: DIR/directory/national.yml, …
    caunoi directory export --format hsds DIR [--with-confidential-addresses]
    caunoi directory stats --live                                   per province and type: verified / unverified / due

An import adds entries whose id is not stored yet; `--replace` also overwrites those that are. Every refused entry or
row is listed on stderr with where it is and every reason. Exit 0: all taken; 1: some refused; 2: nothing usable.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from pathlib import Path

import redis.asyncio
import yaml

from bot.console.audit import AuditLog
from bot.content.leads import read_leads
from bot.content.loader import Content, read_content, vocabulary_of
from bot.content.models import EXTRA_TYPES, Entry
from bot.settings import get_settings
from bot.state import store
from bot.state.directory import DirectoryStore, Record, due
from bot.state.sealed import Sealer

FORMATS = ("csv", "yaml", "leads", "hsds")
ACTOR = "cli"


def add_arguments(importing: argparse.ArgumentParser, exporting: argparse.ArgumentParser,
                  stats: argparse.ArgumentParser) -> None:
    importing.add_argument("--format", choices=FORMATS, default="csv",
                           help="csv (entry fields; to YAML unless --store), yaml (a content folder), leads, hsds")
    importing.add_argument("--store", action="store_true", help="csv: into the live directory, not a YAML file")
    importing.add_argument("--replace", action="store_true", help="overwrite stored entries with the same id")
    exporting.add_argument("--format", choices=("yaml", "hsds"), required=True)
    exporting.add_argument("out", type=Path, help="folder to write into (created if missing)")
    exporting.add_argument("--with-confidential-addresses", action="store_true",
                           help="hsds: include shelters' addresses (never without this flag)")
    stats.add_argument("--live", action="store_true", help="count the live directory (with re-checks due)")


def wants_store(args: argparse.Namespace) -> bool:
    return bool(args.directory_command == "import" and (args.format != "csv" or args.store))


def handle(args: argparse.Namespace, content_dir: Path) -> int:
    content, problems = read_content(content_dir)
    if content is None:
        for problem in problems:
            print(problem, file=sys.stderr)
        print(f"caunoi: cannot read the content in {content_dir}; run caunoi content check", file=sys.stderr)
        return 2
    return asyncio.run(_run(args, content))


async def _run(args: argparse.Namespace, content: Content) -> int:
    client = store.connect(get_settings())
    directory = DirectoryStore(client, content, Sealer.from_settings(get_settings()))
    try:
        if args.directory_command == "export":
            return await export(directory, args.format, args.out, args.with_confidential_addresses)
        if args.directory_command == "stats":
            return await print_live_stats(directory, get_settings().directory_recheck_days, date.today())
        return await import_into(directory, client, args)
    finally:
        await client.close()


async def import_into(directory: DirectoryStore, client: redis.asyncio.Redis, args: argparse.Namespace) -> int:
    path: Path = args.file
    refused: list[str] = []
    try:
        if args.format == "yaml":
            entries, refused = _from_content(path)
        elif args.format == "leads":
            leads, rows = read_leads(path, vocabulary_of(directory.content))
            entries = leads
            refused = [f"{path}:{row.line}: {'; '.join(row.reasons)}" for row in rows]
        elif args.format == "hsds":
            from bot.cli.hsds import read_package

            entries, problems = read_package(path, directory.content)
            refused = [str(problem) for problem in problems]
        else:
            from bot.cli.directory import read_rows, validate_rows

            accepted, rejected = validate_rows(read_rows(path), vocabulary_of(directory.content), {},
                                               "directory/imported.yml")
            entries = accepted
            refused = [f"{path}:{row.line}: {'; '.join(row.reasons)}" for row in rejected]
    except (OSError, UnicodeDecodeError, ValueError) as error:
        print(f"caunoi: {error}", file=sys.stderr)
        return 2
    for line in refused:
        print(line, file=sys.stderr)
    if args.format == "hsds" and args.replace:
        entries = keep_withheld(entries, {record.entry.id: record.entry for record in await directory.records()})
    written = await directory.import_entries(entries, ACTOR, replace_existing=args.replace)
    await AuditLog(client, time.time).record(ACTOR, "directory_import", format=args.format, written=written,
                                             refused=len(refused))
    print(f"{written} written, {len(entries) - written} already stored (kept), {len(refused)} refused")
    return 1 if refused else 0


def keep_withheld(entries: Sequence[Entry], stored: dict[str, Entry]) -> list[Entry]:
    """A confidential entry that comes without an address or coordinates keeps the stored ones: a package exported
    without --with-confidential-addresses leaves them out, and importing it back with --replace must not erase a
    shelter's address from the live directory."""
    kept: list[Entry] = []
    for entry in entries:
        before = stored.get(entry.id)
        if (before is not None and entry.confidential and entry.address is None and entry.lat is None
                and (before.address is not None or before.lat is not None)):
            entry = replace(entry, address=before.address, lat=before.lat, lon=before.lon)
        kept.append(entry)
    return kept


def _from_content(path: Path) -> tuple[list[Entry], list[str]]:
    content, problems = read_content(path)
    if content is None:
        raise ValueError(f"cannot read the content in {path}: {'; '.join(map(str, problems[:5]))}")
    return list(content.directory.entries), [str(problem) for problem in problems if "directory" in str(problem)]


def _yaml_entry(entry: Entry) -> dict[str, object]:
    data = entry.as_dict()
    if entry.verified_at:
        data["verified_at"] = entry.verified_at.isoformat()
    return data


async def export(directory: DirectoryStore, fmt: str, out: Path, with_confidential: bool) -> int:
    records = await directory.records()
    if fmt == "hsds":
        from bot.cli.hsds import write_package

        counts = write_package(records, directory.content, out, with_confidential)
        print(f"{counts} written to {out}")
        return 0
    by_file: dict[str, list[Entry]] = defaultdict(list)
    for record in records:
        by_file[record.entry.file].append(record.entry)
    for file, entries in sorted(by_file.items()):
        target = out / file
        target.parent.mkdir(parents=True, exist_ok=True)
        header = ("# Written by `caunoi directory export --format yaml` from the live directory; the fields are "
                  "described in national.yml.\n")
        body = yaml.safe_dump({"entries": [_yaml_entry(e) for e in entries]}, allow_unicode=True, sort_keys=False,
                              width=120)
        target.write_text(header + body, encoding="utf-8")
    print(f"{len(records)} entries written to {len(by_file)} files under {out}")
    return 0


NATIONAL, ABROAD = "(toàn quốc)", "(nước ngoài)"


def live_rows(records: Sequence[Record], content: Content, on: date, days: int) -> list[tuple[str, str, int, int, int]]:
    """(where, type, verified, unverified, due) for every province and type that has entries; a `-` row for a
    province with none."""
    counts: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    for record in records:
        entry = record.entry
        where = entry.province or (ABROAD if entry.country else NATIONAL)
        cell = counts[(where, entry.type)]
        cell[0 if entry.verified else 1] += 1
        cell[2] += due(record, on, days)
    types = (*content.service_labels, *EXTRA_TYPES)
    rows: list[tuple[str, str, int, int, int]] = []
    for place in (*content.provinces, NATIONAL, ABROAD):
        kinds = [kind for kind in types if (place, kind) in counts]
        if not kinds and place not in (NATIONAL, ABROAD):
            rows.append((place, "-", 0, 0, 0))
        rows += [(place, kind, *counts[(place, kind)]) for kind in kinds]  # type: ignore[misc]
    return rows


async def print_live_stats(directory: DirectoryStore, days: int, on: date) -> int:
    records = await directory.records()
    rows = live_rows(records, directory.content, on, days)
    header = ("province", "type", "verified", "unverified", "due")
    width = [max(len(str(row[i])) for row in [header, *rows]) for i in range(5)]
    for row in [header, *rows]:
        print("  ".join(f"{cell!s:{'<' if i < 2 else '>'}{width[i]}}" for i, cell in enumerate(row)).rstrip())
    provinces = {row[0] for row in rows if row[2] and row[0] in directory.content.provinces}
    print(f"total: {sum(r[2] for r in rows)} verified, {sum(r[3] for r in rows)} unverified, "
          f"{sum(r[4] for r in rows)} due for a re-check (verified more than {days} days ago); "
          f"{len(provinces)} of {len(directory.content.provinces)} provinces have a verified entry")
    return 0
