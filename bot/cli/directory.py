"""`caunoi directory`: list the service directory, or import entries from a spreadsheet.

    caunoi directory list [--json]                 every entry; --json: one JSON object per line
    caunoi directory import FILE.csv [--out content/vi/directory/imported.yml] [--dry-run]

The CSV has a header row of field names (see content/vi/directory/national.yml); several phones or sources go in one
cell separated by ";". Each row is checked exactly as the loader checks an entry, plus its id against every id in
the directory. Rejected rows are listed on stderr with their line number and every reason; accepted rows are
appended to --out (existing entries are kept). Exit 0: all accepted; 1: some rejected; 2: the file cannot be read.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from bot.cli.content import display_path
from bot.content.directory import FIELDS, REQUIRED, Vocabulary, parse_entry
from bot.content.files import parse_yaml
from bot.content.loader import read_content
from bot.content.models import EXTRA_TYPES, Entry
from bot.settings import get_settings

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
    importing.add_argument("file", type=Path, help="CSV with a header row of field names")
    importing.add_argument("--out", type=Path,
                           help="YAML file to append to (default: <content>/directory/imported.yml)")
    importing.add_argument("--dry-run", action="store_true", help="check only, write nothing")
    for sub in (listing, importing):
        sub.add_argument("--content-dir", type=Path, help="content folder (default: CAUNOI_CONTENT_DIR or content/vi)")
    return "directory", handle


def handle(args: argparse.Namespace) -> int:
    content_dir: Path = args.content_dir or get_settings().content_dir
    if args.directory_command == "list":
        return list_entries(content_dir, as_json=args.json)
    return import_csv(args.file, content_dir, args.out or content_dir / "directory" / "imported.yml", args.dry_run)


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
