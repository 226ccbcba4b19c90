"""Leads: contacts found on public pages (content/leads/directory-leads.csv), read as unverified directory entries.

A lead is a starting point for an editor, never something to show: every entry made here is `unverified`, and
whatever does not fit an entry's fields — the phone as printed, numbers the validator refuses, the source's date,
the lead's own note — goes into the entry's note, so nothing found is lost. See content/leads/README.md.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from bot.content.check import is_outdated
from bot.content.directory import Vocabulary, parse_entry
from bot.content.models import Entry
from bot.content.phones import phone_problem, phones_in
from nlu.text import fold

COLUMNS = ("province", "type", "name", "phone", "address", "source_url", "date", "note")
NATIONAL = "(national)"
# Lead types that are not directory types, and the type they become (content/leads/README.md says why).
TYPES = {"national": "hotline", "social_work": "shelter"}
FILE = "directory/leads.yml"  # where `caunoi directory export --format yaml` writes imported leads back


@dataclass(frozen=True)
class Refused:
    line: int
    reasons: tuple[str, ...]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", fold(text).lower()).strip("-")


def read_leads(path: Path, vocabulary: Vocabulary) -> tuple[list[Entry], list[Refused]]:
    """Every lead as an unverified entry, and the rows that cannot be one (line and reasons)."""
    text = path.read_text(encoding="utf-8-sig")
    reader = csv.DictReader(text.splitlines(keepends=True))
    missing = [name for name in COLUMNS if name not in (reader.fieldnames or [])]
    if missing:
        raise ValueError(f"{path}: missing column(s) {', '.join(missing)} (columns: {', '.join(COLUMNS)})")
    entries: list[Entry] = []
    refused: list[Refused] = []
    counts: dict[str, int] = {}
    for row in reader:
        cells = {name: (row.get(name) or "").strip() for name in COLUMNS}
        province = None if cells["province"] == NATIONAL else cells["province"] or None
        kind = TYPES.get(cells["type"], cells["type"])
        base = f"lead-{_slug(province or 'toan-quoc')}-{kind.replace('_', '-')}"
        counts[base] = counts.get(base, 0) + 1
        phones = [p for p in phones_in(cells["phone"]) if phone_problem(p, abroad=False) is None]
        line = reader.line_num
        notes = [f"Lead from content/leads/directory-leads.csv line {line} (type there: {cells['type']})."]
        if cells["phone"]:
            notes.append(f"Phone as printed: {cells['phone']}.")
        notes.append(f"Source dated: {cells['date'] or 'no date'}.")
        if cells["note"]:
            notes.append(cells["note"])
        # An exported directory must pass `caunoi content check`: a part naming an agency that no longer exists or
        # a pre-2017 area code stays in the CSV, and the note points there.
        notes = [part if not is_outdated(part) else f"[An old agency name or a pre-2017 area code: see line {line} "
                 "of the CSV.]" for part in notes]
        raw = {"id": f"{base}-{counts[base]}", "name": cells["name"], "type": kind, "province": province,
               "address": cells["address"] or None, "phone": list(dict.fromkeys(phones)) or None,
               "source_url": cells["source_url"] or None, "confidential": kind == "shelter",
               "status": "unverified", "note": " ".join(notes)}
        entry, reasons = parse_entry({k: v for k, v in raw.items() if v is not None}, FILE, vocabulary)
        if entry is None:
            refused.append(Refused(reader.line_num, tuple(reasons)))
        else:
            entries.append(entry)
    return entries, refused
