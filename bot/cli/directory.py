"""`caunoi directory`: list, count, search or audit the service directory, or import entries from a spreadsheet.

    caunoi directory list [--json]                 every entry; --json: one JSON object per line
    caunoi directory stats                         per province and type: verified / unverified counts (a table)
    caunoi directory near LAT LON [--type T] [--limit N]
                                                   the nearest verified entries with coordinates, with km
    caunoi directory stale --older-than 180d       entries checked longer ago than that (d days, w weeks, m months)
    caunoi directory import FILE.csv [--out content/vi/directory/imported.yml] [--dry-run]
    caunoi directory import --format yaml|leads|hsds PATH, --store FILE.csv, export, stats --live:
                                                   the live directory in Redis (bot/cli/directory_live.py)

`stats`, `near` and `stale` exit 0 on success and 2 when an argument is bad (unknown type, coordinates out of range,
an age that is not N followed by d, w or m) or the content cannot be read; `stale` lists nothing and still exits 0
when every entry is recent.

The CSV has a header row of field names (see content/vi/directory/national.yml); several phones or sources go in one
cell separated by ";". Each row is checked exactly as the loader checks an entry, plus its id against every id in
the directory. Rejected rows are listed on stderr with their line number and every reason; accepted rows are
appended to --out (existing entries are kept). Exit 0: all accepted; 1: some rejected; 2: the file cannot be read.
"""

from __future__ import annotations

import argparse
import calendar
import csv
import json
import re
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import yaml

from bot.cli import directory_live
from bot.cli.content import display_path
from bot.content.directory import FIELDS, REQUIRED, Vocabulary, parse_entry
from bot.content.geo import valid_coordinates
from bot.content.loader import Content, read_content
from bot.content.models import EXTRA_TYPES, Entry
from bot.settings import get_settings
from nlu.tables import parse_yaml

LISTS = ("phone", "source_url")  # cells that may hold several values, separated by ";"
TRUE, FALSE = ("true", "yes", "1", "có", "x"), ("false", "no", "0", "không", "")


class UnusableFile(Exception):
    """The file as a whole cannot be imported (exit 2)."""


@dataclass(frozen=True)
class Rejected:
    line: int
    reasons: tuple[str, ...]


def register(commands: Any) -> tuple[str, Any]:
    parser = commands.add_parser("directory", help="list or import service directory entries")
    actions = parser.add_subparsers(dest="directory_command", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="every directory entry")
    listing.add_argument("--json", action="store_true", help="one JSON object per line")
    importing = actions.add_parser("import", help="add entries from a CSV file")
    importing.add_argument("file", type=Path, help="CSV with a header row of field names (or, with --format, "
                                                   "a content folder, a leads CSV or an HSDS folder)")
    importing.add_argument("--out", type=Path,
                           help="YAML file to append to (default: <content>/directory/imported.yml)")
    importing.add_argument("--dry-run", action="store_true", help="check only, write nothing")
    stats = actions.add_parser("stats", help="verified / unverified entries per province and type")
    near = actions.add_parser("near", help="the nearest verified entries to a point, with their distance in km")
    near.add_argument("lat", type=_latitude, help="latitude in degrees (-90…90)")
    near.add_argument("lon", type=_longitude, help="longitude in degrees (-180…180)")
    near.add_argument("--type", help="only this type (legal_aid, police, shelter, …)")
    near.add_argument("--limit", type=_positive, default=5, help="how many entries (default 5)")
    stale = actions.add_parser("stale", help="entries whose verified_at is older than an age")
    stale.add_argument("--older-than", type=parse_age, required=True, metavar="AGE",
                       help="N followed by d (days), w (weeks) or m (months), e.g. 180d, 26w, 6m")
    stale.add_argument("--today", type=_iso_date, help=argparse.SUPPRESS)  # tests: a fixed "today"
    exporting = actions.add_parser("export", help="write the live directory as YAML files or an HSDS package")
    directory_live.add_arguments(importing, exporting, stats)
    for sub in (listing, importing, stats, near, stale, exporting):
        sub.add_argument("--content-dir", type=Path, help="content folder (default: CAUNOI_CONTENT_DIR or content/vi)")
    return "directory", handle


def handle(args: argparse.Namespace) -> int:
    content_dir: Path = args.content_dir or get_settings().content_dir
    if args.directory_command == "export" or directory_live.wants_store(args) or (
            args.directory_command == "stats" and args.live):
        return directory_live.handle(args, content_dir)
    if args.directory_command == "list":
        return list_entries(content_dir, as_json=args.json)
    if args.directory_command == "stats":
        return print_stats(content_dir)
    if args.directory_command == "near":
        return print_near(content_dir, args.lat, args.lon, args.type, args.limit)
    if args.directory_command == "stale":
        return print_stale(content_dir, args.older_than, args.today or date.today())
    return import_csv(args.file, content_dir, args.out or content_dir / "directory" / "imported.yml", args.dry_run)


# Arguments: argparse turns an ArgumentTypeError into "caunoi directory near: error: …" and exit 2.
AGE = re.compile(r"(\d+)\s*([dwm])")


@dataclass(frozen=True)
class Age:
    """How long ago an entry may have been checked: `count` days, weeks or months."""

    count: int
    unit: str  # d, w or m

    def before(self, today: date) -> date:
        """The date this age before `today` (months by the calendar, the day clamped to the month's length)."""
        if self.unit == "d":
            return today - timedelta(days=self.count)
        if self.unit == "w":
            return today - timedelta(weeks=self.count)
        months = today.year * 12 + today.month - 1 - self.count
        year, month = divmod(months, 12)
        if year < 1:
            raise ValueError(f"{self} goes back before year 1")
        month += 1
        return date(year, month, min(today.day, calendar.monthrange(year, month)[1]))

    def __str__(self) -> str:
        return f"{self.count}{self.unit}"


def parse_age(text: str) -> Age:
    match = AGE.fullmatch(text.strip().lower())
    if not match:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an age: write a number followed by d (days), w (weeks) or m (months), e.g. 180d")
    count = int(match.group(1))
    if count <= 0 or count > 100_000:
        raise argparse.ArgumentTypeError(f"{text!r}: the age must be between 1 and 100000")
    return Age(count, match.group(2))


def _number(text: str, what: str, low: float, high: float) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{what} {text!r} is not a number") from None
    if not low <= value <= high:  # also refuses nan
        raise argparse.ArgumentTypeError(f"{what} {text!r} is out of range ({low:g}…{high:g})")
    return value


def _latitude(text: str) -> float:
    return _number(text, "latitude", -90.0, 90.0)


def _longitude(text: str) -> float:
    return _number(text, "longitude", -180.0, 180.0)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be at least 1")
    return value


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def _load(content_dir: Path) -> Content | None:
    """The content, or None (problems printed) when it cannot be read at all."""
    content, problems = read_content(content_dir)
    for problem in problems:
        print(problem, file=sys.stderr)
    if content is None:
        print(f"caunoi: cannot read the content in {content_dir}; run caunoi content check", file=sys.stderr)
    return content


NATIONAL, ABROAD = "(toàn quốc)", "(nước ngoài)"


def stats_rows(content: Content) -> list[tuple[str, str, int, int]]:
    """(where, type, verified, unverified): the 34 provinces in gazetteer order (one `-` row for a province with
    no entry at all), then national and abroad entries."""
    counts: Counter[tuple[str, str, str]] = Counter()
    for entry in content.directory:
        where = entry.province or (ABROAD if entry.country else NATIONAL)
        counts[(where, entry.type, entry.status)] += 1
    places = [p.name for p in content.directory.geography.provinces] + [NATIONAL, ABROAD]
    rows: list[tuple[str, str, int, int]] = []
    for place in places:
        kinds = sorted({kind for (where, kind, _) in counts if where == place})
        if not kinds and place not in (NATIONAL, ABROAD):
            rows.append((place, "-", 0, 0))
        rows += [(place, kind, counts[(place, kind, "verified")], counts[(place, kind, "unverified")])
                 for kind in kinds]
    return rows


def print_stats(content_dir: Path) -> int:
    content = _load(content_dir)
    if content is None:
        return 2
    rows = stats_rows(content)
    header = ("province", "type", "verified", "unverified")
    width = [max(len(str(row[i])) for row in [header, *rows]) for i in range(4)]

    def line(cells: Sequence[object]) -> str:
        return "  ".join(f"{cell!s:{'<' if i < 2 else '>'}{width[i]}}" for i, cell in enumerate(cells)).rstrip()

    print(line(header))
    for row in rows:
        print(line(row))
    verified = sum(row[2] for row in rows)
    unverified = sum(row[3] for row in rows)
    provinces = {row[0] for row in rows if row[2] and row[0] not in (NATIONAL, ABROAD)}
    print(f"total: {verified} verified, {unverified} unverified; "
          f"{len(provinces)} of {len(content.directory.geography.provinces)} provinces have a verified entry")
    return 0


def print_near(content_dir: Path, lat: float, lon: float, kind: str | None, limit: int) -> int:
    content = _load(content_dir)
    if content is None:
        return 2
    types = sorted({*content.service_labels, *EXTRA_TYPES})
    if kind is not None and kind not in types:
        print(f"caunoi: unknown type {kind!r}; one of: {', '.join(types)}", file=sys.stderr)
        return 2
    if not valid_coordinates(lat, lon):  # argparse already refuses these; kept for direct callers
        print(f"caunoi: {lat}, {lon} are not coordinates", file=sys.stderr)
        return 2
    found = content.directory.near(lat, lon, type=kind, limit=limit)
    if not found:
        print("no verified entry with coordinates" + (f" of type {kind}" if kind else ""))
        return 0
    for entry, km in found:
        phone = entry.phone or "-"
        print(f"{km:8.1f} km\t{entry.id}\t{entry.type}\t{entry.province or entry.country or NATIONAL}\t"
              f"{phone}\t{entry.name}")
    return 0


def stale_entries(content: Content, age: Age, today: date) -> list[Entry]:
    """Entries with a verified_at before `age` ago, oldest first."""
    cutoff = age.before(today)
    old = [entry for entry in content.directory if entry.verified_at is not None and entry.verified_at < cutoff]
    return sorted(old, key=lambda entry: (entry.verified_at or date.min, entry.id))


def print_stale(content_dir: Path, age: Age, today: date) -> int:
    content = _load(content_dir)
    if content is None:
        return 2
    try:
        old = stale_entries(content, age, today)
    except ValueError as error:
        print(f"caunoi: --older-than {age}: {error}", file=sys.stderr)
        return 2
    for entry in old:
        where = entry.province or entry.country or NATIONAL
        print(f"{entry.id}\t{where}\t{entry.verified_at}\t{entry.source_url or '-'}")
    print(f"{len(old)} entries checked before {age.before(today)} (older than {age})", file=sys.stderr)
    return 0


def list_entries(content_dir: Path, as_json: bool) -> int:
    content, problems = read_content(content_dir)
    for problem in problems:
        print(problem, file=sys.stderr)
    if content is None:
        return 2
    for entry in content.directory:
        if as_json:
            print(json.dumps(entry_json(entry), ensure_ascii=False))
        else:
            where = entry.province or entry.country or "toàn quốc"
            print(f"{entry.id}\t{entry.type}\t{entry.status}\t{where}\t{entry.name}")
    return 1 if problems else 0


def entry_json(entry: Entry) -> dict[str, Any]:
    """Every field, always present (null when empty), phones and sources always lists; plus the file it is in."""
    data: dict[str, Any] = {name: None for name in FIELDS}
    data.update(entry.as_dict())
    data.update(phone=list(entry.phones), source_url=list(entry.source_urls), confidential=entry.confidential,
                verified_at=entry.verified_at.isoformat() if entry.verified_at else None, file=entry.file)
    return data


def _row_to_raw(row: dict[str, str]) -> dict[str, Any]:
    """A CSV row as the YAML an editor would have written: empty cells absent, lists split, booleans parsed."""
    raw: dict[str, Any] = {}
    for name, cell in row.items():
        value = (cell or "").strip()
        if not value:
            continue
        if name in LISTS:
            parts = [part.strip() for part in value.split(";") if part.strip()]
            raw[name] = parts[0] if len(parts) == 1 else parts
        elif name == "confidential":
            raw[name] = True if value.lower() in TRUE else False if value.lower() in FALSE else value
        else:
            raw[name] = value
    return raw


@dataclass(frozen=True)
class Row:
    line: int  # where the row ends in the file (a quoted cell may span lines)
    cells: dict[str, str]
    overflow: bool  # more cells than the header has columns


def read_rows(path: Path) -> list[Row]:
    """The data rows; raises UnusableFile when the file cannot be used at all (unreadable, not CSV, bad header)."""
    try:
        text = path.read_text(encoding="utf-8-sig")  # spreadsheets often save UTF-8 with a BOM
    except (OSError, UnicodeDecodeError) as error:
        raise UnusableFile(f"cannot read {path}: {error}") from None
    reader = csv.reader(text.splitlines(keepends=True))
    try:
        header = [name.strip() for name in next(reader, [])]
        if not any(header):
            raise UnusableFile(f"{path}: empty file, expected a header row of field names")
        unknown = [name for name in header if name not in FIELDS]
        missing = [name for name in REQUIRED if name not in header]
        twice = len(set(header)) < len(header)
        if unknown or missing or twice:
            raise UnusableFile(f"{path}: bad header" + (f"; unknown column(s) {', '.join(unknown)}" if unknown else "")
                               + (f"; missing column(s) {', '.join(missing)}" if missing else "")
                               + ("; a column appears twice" if twice else "") + f" (columns: {', '.join(FIELDS)})")
        # zip stops at the shorter: missing trailing cells are empty, surplus ones are flagged as overflow.
        return [Row(reader.line_num, dict(zip(header, cells, strict=False)), len(cells) > len(header))
                for cells in reader]
    except csv.Error as error:
        raise UnusableFile(f"{path}: line {reader.line_num}: not valid CSV ({error})") from None


def validate_rows(rows: Sequence[Row], vocabulary: Vocabulary, existing: dict[str, str], file: str,
                  today: date | None = None) -> tuple[list[Entry], list[Rejected]]:
    """Accepted entries, and the rejected rows with every reason; `existing`: id -> file of the directory's ids."""
    today = today or date.today()
    accepted: list[Entry] = []
    rejected: list[Rejected] = []
    seen: dict[str, int] = {}
    for row in rows:
        line = row.line
        if not any(cell.strip() for cell in row.cells.values()) and not row.overflow:
            continue  # a blank line in a spreadsheet export
        raw = _row_to_raw(row.cells)
        entry, reasons = parse_entry(raw, file, vocabulary)
        if row.overflow:
            reasons.append("more cells than header columns")
        if entry is not None and entry.verified_at and entry.verified_at > today:
            reasons.append(f"verified_at {entry.verified_at} is in the future")
        entry_id = str(raw.get("id") or "")
        if entry_id in existing:
            reasons.append(f"id {entry_id!r} already exists in {existing[entry_id]}")
        elif entry_id in seen:
            reasons.append(f"id {entry_id!r} is repeated (first on line {seen[entry_id]})")
        if entry_id:
            seen.setdefault(entry_id, line)
        if reasons or entry is None:
            rejected.append(Rejected(line, tuple(reasons)))
        else:
            accepted.append(entry)
    return accepted, rejected


def _existing_ids(content_dir: Path) -> dict[str, str]:
    """Every id in the directory files, valid entries or not: an import must never shadow one."""
    ids: dict[str, str] = {}
    folder = content_dir / "directory"
    for path in sorted(folder.rglob("*.yml")):
        try:
            raw = parse_yaml(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            continue  # the loader reports it; ids in it cannot be known
        items = raw.get("entries") if isinstance(raw, dict) else None
        for item in items if isinstance(items, list) else []:
            if isinstance(item, dict) and item.get("id"):
                ids.setdefault(str(item["id"]), path.relative_to(folder.parent).as_posix())
    return ids


def _entry_yaml(entry: Entry) -> str:
    return str(yaml.safe_dump([entry.as_dict()], allow_unicode=True, sort_keys=False, width=120))


def append_entries(out: Path, entries: Sequence[Entry]) -> None:
    """Appends to `out` as text, so the comments of a hand-kept file survive; re-written whole only if that fails."""
    if not out.exists() or not out.read_text(encoding="utf-8").strip():
        out.parent.mkdir(parents=True, exist_ok=True)
        header = "# Entries added by `caunoi directory import`; see national.yml for the fields.\n\nentries:\n"
        out.write_text(header + "".join(_indent(_entry_yaml(e)) for e in entries), encoding="utf-8")
        return
    before_text = out.read_text(encoding="utf-8")
    before = parse_yaml(before_text)
    if not (isinstance(before, dict) and isinstance(before.get("entries"), list)):
        raise UnusableFile(f"{out} exists but does not hold entries: [...]; choose another --out")
    wanted = before["entries"] + [e.as_dict() for e in entries]
    appended = before_text.rstrip("\n") + "\n\n" + "\n".join(_indent(_entry_yaml(e)) for e in entries)
    try:
        after = parse_yaml(appended)
    except yaml.YAMLError:
        after = None
    if isinstance(after, dict) and after.get("entries") == wanted:
        out.write_text(appended, encoding="utf-8")
        return
    # `entries:` was not the last block (or in flow style): keep the data, lose the comments.
    before["entries"] = wanted
    out.write_text(yaml.safe_dump(before, allow_unicode=True, sort_keys=False, width=120), encoding="utf-8")


def _indent(text: str) -> str:
    return "".join(f"  {line}" if line.strip() else line for line in text.splitlines(keepends=True))


def import_csv(path: Path, content_dir: Path, out: Path, dry_run: bool) -> int:
    content, _ = read_content(content_dir)
    if content is None:
        print(f"caunoi: cannot read the content in {content_dir}; run caunoi content check", file=sys.stderr)
        return 2
    try:
        rows = read_rows(path)
    except UnusableFile as error:
        print(f"caunoi: {error}", file=sys.stderr)
        return 2
    directory = content_dir / "directory"
    try:
        file = out.resolve().relative_to(directory.resolve().parent).as_posix()
    except ValueError:
        file = str(out)
    geography = content.directory.geography
    vocabulary = Vocabulary({p.name: p for p in geography.provinces}, frozenset(content.countries),
                            frozenset((*content.service_labels, *EXTRA_TYPES)))
    accepted, rejected = validate_rows(rows, vocabulary, _existing_ids(content_dir), file)
    for row in rejected:
        print(f"{display_path(path)}:{row.line}: rejected: {'; '.join(row.reasons)}", file=sys.stderr)
    if accepted and not dry_run:
        try:
            append_entries(out, accepted)
        except (OSError, UnusableFile) as error:
            print(f"caunoi: {error}", file=sys.stderr)
            return 2
    action = "would append" if dry_run else "appended"
    print(f"{len(accepted)} accepted, {len(rejected)} rejected; {action} {len(accepted)} to {display_path(out)}")
    return 1 if rejected else 0
