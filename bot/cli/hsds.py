"""The directory as an Open Referral HSDS 3.0 tabular data package, and back (docs/hsds.md: the mapping).

    write_package(records, content, DIR, with_confidential)  organizations.csv, services.csv, locations.csv,
                                                            addresses.csv, phones.csv, service_at_location.csv,
                                                            taxonomies.csv, taxonomy_terms.csv, attributes.csv and
                                                            datapackage.json (profile tabular-data-package)
    read_package(DIR, content) -> (entries, problems)        every refused row with its file, line and reason

File and column names are the spec's (its datapackage.json, HSDS 3.0.0); the spec names the file
`service_at_location.csv`. Identifiers are UUIDs, derived from the entry's id (uuid5), so an export of the same
directory is the same files. What HSDS has no column for — the entry's own id, its status, source pages, province,
commune, hours, note, who verified it — travels as attributes of the taxonomy `caunoi-fields`; its service type as
an attribute of the taxonomy `caunoi-service-type` (one term per type, docs/hsds.md).

Written with the standard library's csv and json: frictionless (the maintained data-package library) needs pydantic
2 and jsonschema >= 4.20, which Rasa 3.6's pins (pydantic 1.10, jsonschema 4.17) exclude from this environment.

A confidential entry's address and coordinates are written only with `with_confidential` (the CLI's
--with-confidential-addresses). An entry read from a package is verified only when the package says so with a source
page and an assured date, as an entry of this directory would need; anything else comes in unverified.
"""

from __future__ import annotations

import csv
import json
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.content.directory import parse_entry
from bot.content.loader import Content, vocabulary_of
from bot.content.models import EXTRA_TYPES, Entry
from bot.state.directory import Record, home_file

NAMESPACE = uuid.UUID("5b0f3c2e-8f4a-4c36-9a51-2f1e0d6c7a11")  # Cầu Nối's: ids are uuid5(NAMESPACE, what:id)
TYPE_TAXONOMY, FIELD_TAXONOMY = "caunoi-service-type", "caunoi-fields"
# Entry fields HSDS has no column for, carried as attributes (value = the field's text; lists one attribute each).
CARRIED = ("entry_id", "status", "province", "country", "commune", "hours", "source_url", "verified_by", "note",
           "confidential")
# The spec's columns (HSDS 3.0.0 datapackage.json), in its order; REQUIRED are those it marks required.
COLUMNS: dict[str, tuple[str, ...]] = {
    "organizations.csv": ("id", "name", "alternate_name", "description", "email", "website", "tax_status", "tax_id",
                          "year_incorporated", "legal_status", "logo", "uri", "parent_organization_id"),
    "services.csv": ("id", "organization_id", "program_id", "name", "alternate_name", "description", "url", "email",
                     "status", "interpretation_services", "application_process", "fees_description", "wait_time",
                     "fees", "accreditations", "eligibility_description", "minimum_age", "maximum_age",
                     "assured_date", "assurer_email", "licenses", "alert", "last_modified"),
    "locations.csv": ("id", "location_type", "url", "organization_id", "name", "alternate_name", "description",
                      "transportation", "latitude", "longitude", "external_identifier", "external_identifier_type"),
    "addresses.csv": ("id", "location_id", "attention", "address_1", "address_2", "city", "region",
                      "state_province", "postal_code", "country", "address_type"),
    "phones.csv": ("id", "location_id", "service_id", "organization_id", "contact_id", "service_at_location_id",
                   "number", "extension", "type", "description"),
    "service_at_location.csv": ("id", "service_id", "location_id", "description"),
    "taxonomies.csv": ("id", "name", "description", "uri", "version"),
    "taxonomy_terms.csv": ("id", "code", "name", "description", "parent_id", "taxonomy", "language", "taxonomy_id",
                           "term_uri"),
    "attributes.csv": ("id", "link_id", "taxonomy_term_id", "link_type", "link_entity", "value"),
}
REQUIRED: dict[str, tuple[str, ...]] = {
    "organizations.csv": ("id", "name", "description"),
    "services.csv": ("id", "organization_id", "name", "status"),
    "locations.csv": ("id", "location_type"),
    "addresses.csv": ("id", "address_1", "city", "state_province", "postal_code", "country", "address_type"),
    "phones.csv": ("id", "number"),
    "service_at_location.csv": ("id", "service_id", "location_id"),
    "taxonomies.csv": ("id", "name", "description"),
    "taxonomy_terms.csv": ("id", "name", "description"),
    "attributes.csv": ("id", "link_id", "taxonomy_term_id", "link_entity"),
}
# Columns that must be present when a row is read back (the spec requires them, and an entry cannot be made without).
NEEDED_TO_READ: dict[str, tuple[str, ...]] = {
    "services.csv": ("id", "organization_id", "name", "status"),
    "organizations.csv": ("id", "name"),
    "attributes.csv": ("link_id", "taxonomy_term_id", "value"),
    "taxonomy_terms.csv": ("id", "code", "taxonomy"),
}
SERVICE_STATUSES = ("active", "inactive", "defunct", "temporarily closed")


def uid(kind: str, key: str) -> str:
    return str(uuid.uuid5(NAMESPACE, f"{kind}:{key}"))


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.reason}"


def _types(content: Content) -> list[str]:
    return [*content.service_labels, *[t for t in EXTRA_TYPES if t not in content.service_labels]]


def write_package(records: Sequence[Record], content: Content, out: Path, with_confidential: bool) -> str:
    """Writes the package into `out`; gives a one-line count of what was written."""
    rows: dict[str, list[dict[str, Any]]] = defaultdict(list)
    types = _types(content)
    rows["taxonomies.csv"] += [
        {"id": uid("taxonomy", TYPE_TAXONOMY), "name": TYPE_TAXONOMY, "version": "1",
         "description": "Cầu Nối's kinds of help for victims of trafficking (docs/hsds.md maps each to its place)"},
        {"id": uid("taxonomy", FIELD_TAXONOMY), "name": FIELD_TAXONOMY, "version": "1",
         "description": "Cầu Nối directory fields HSDS has no column for (docs/hsds.md)"}]
    for kind in types:
        rows["taxonomy_terms.csv"].append({
            "id": uid("term", f"{TYPE_TAXONOMY}:{kind}"), "code": kind, "name": content.service_labels.get(kind, kind),
            "description": f"Cầu Nối service type {kind}", "taxonomy": TYPE_TAXONOMY, "language": "vi",
            "taxonomy_id": uid("taxonomy", TYPE_TAXONOMY)})
    for name in CARRIED:
        rows["taxonomy_terms.csv"].append({
            "id": uid("term", f"{FIELD_TAXONOMY}:{name}"), "code": name, "name": name,
            "description": f"the Cầu Nối entry's {name}", "taxonomy": FIELD_TAXONOMY, "language": "en",
            "taxonomy_id": uid("taxonomy", FIELD_TAXONOMY)})
    for record in records:
        _entry_rows(record, content, with_confidential, rows)
    out.mkdir(parents=True, exist_ok=True)
    resources = []
    for file, columns in COLUMNS.items():
        with (out / file).open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=columns, extrasaction="raise")
            writer.writeheader()
            for row in rows[file]:
                writer.writerow({name: "" if row.get(name) is None else row[name] for name in columns})
        resources.append({"name": file.removesuffix(".csv"), "path": file, "profile": "tabular-data-resource",
                          "format": "csv", "encoding": "utf-8",
                          "schema": {"fields": [{"name": name, "type": "string",
                                                 **({"constraints": {"required": True}}
                                                    if name in REQUIRED[file] else {})} for name in columns],
                                     "primaryKey": "id"}})
    package = {"name": "caunoi-directory", "profile": "tabular-data-package",
               "title": "Cầu Nối service directory (Open Referral HSDS 3.0)",
               "description": "Only entries marked verified (attribute status) may be shown to people.",
               "licenses": [{"name": "CC-BY-4.0"}], "resources": resources}
    (out / "datapackage.json").write_text(json.dumps(package, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return f"{len(records)} entries ({', '.join(f'{len(rows[f])} {f}' for f in COLUMNS)})"


def _entry_rows(record: Record, content: Content, with_confidential: bool,
                rows: dict[str, list[dict[str, Any]]]) -> None:
    entry = record.entry
    org, service = uid("organization", entry.id), uid("service", entry.id)
    label = content.service_labels.get(entry.type, entry.type)
    rows["organizations.csv"].append({"id": org, "name": entry.name, "description": label, "email": entry.email,
                                      "website": entry.website})
    rows["services.csv"].append({"id": service, "organization_id": org, "name": entry.name, "url": entry.website,
                                 "email": entry.email, "status": "active",
                                 "assured_date": entry.verified_at.isoformat() if entry.verified_at else None})
    for number, phone in enumerate(entry.phones):
        rows["phones.csv"].append({"id": uid("phone", f"{entry.id}:{number}"), "service_id": service,
                                   "organization_id": org, "number": phone, "type": "voice"})
    hidden = entry.confidential and not with_confidential
    if (entry.address or entry.lat is not None) and not hidden:
        location = uid("location", entry.id)
        rows["locations.csv"].append({"id": location, "location_type": "physical", "organization_id": org,
                                      "name": entry.name, "latitude": entry.lat, "longitude": entry.lon})
        rows["service_at_location.csv"].append({"id": uid("sal", entry.id), "service_id": service,
                                                "location_id": location})
        if entry.address:
            rows["addresses.csv"].append({
                "id": uid("address", entry.id), "location_id": location, "address_1": entry.address,
                "city": entry.commune or entry.province or "", "state_province": entry.province or "",
                "postal_code": "", "country": "" if entry.country else "VN", "address_type": "physical"})
    attribute = _attribute(service, rows)
    attribute(f"{TYPE_TAXONOMY}:{entry.type}", "", "service_type")
    values: dict[str, Iterable[str | None]] = {
        "entry_id": [entry.id], "status": [entry.status], "province": [entry.province], "country": [entry.country],
        "commune": [entry.commune], "hours": [entry.hours], "source_url": entry.source_urls,
        "verified_by": [record.verified_by], "note": [entry.note],
        "confidential": ["true" if entry.confidential else None]}
    for name, items in values.items():
        for value in items:
            if value:
                attribute(f"{FIELD_TAXONOMY}:{name}", value, name)


def _attribute(service: str, rows: dict[str, list[dict[str, Any]]]) -> Any:
    def add(term: str, value: str, link_type: str) -> None:
        count = len(rows["attributes.csv"])
        rows["attributes.csv"].append({"id": uid("attribute", f"{service}:{count}"), "link_id": service,
                                       "taxonomy_term_id": uid("term", term), "link_type": link_type,
                                       "link_entity": "service", "value": value})
    return add


# -- reading ----------------------------------------------------------------------------------------------------------

@dataclass
class Table:
    file: str
    rows: list[tuple[int, dict[str, str]]]


def _read(folder: Path, file: str, problems: list[Problem]) -> Table:
    path = folder / file
    if not path.exists():
        if file in NEEDED_TO_READ:
            problems.append(Problem(file, 0, "missing: a package needs it"))
        return Table(file, [])
    text = path.read_text(encoding="utf-8-sig")
    reader = csv.DictReader(text.splitlines(keepends=True))
    header = reader.fieldnames or []
    missing = [name for name in NEEDED_TO_READ.get(file, ()) if name not in header]
    if missing:
        problems.append(Problem(file, 1, f"missing column(s) {', '.join(missing)}"))
        return Table(file, [])
    rows: list[tuple[int, dict[str, str]]] = []
    for row in reader:
        rows.append((reader.line_num, {name: (value or "").strip() for name, value in row.items() if name}))
    return Table(file, rows)


def read_package(folder: Path, content: Content) -> tuple[list[Entry], list[Problem]]:
    """The entries of a package, and every row refused (file, line, reason). Raises ValueError for no package."""
    if not folder.is_dir():
        raise ValueError(f"{folder} is not a folder holding an HSDS package")
    problems: list[Problem] = []
    tables = {file: _read(folder, file, problems) for file in COLUMNS}
    if any(p.line <= 1 for p in problems):
        return [], problems
    orgs = {row["id"]: row for _, row in tables["organizations.csv"].rows}
    terms = {row["id"]: (row.get("taxonomy", ""), row.get("code", "")) for _, row in tables["taxonomy_terms.csv"].rows}
    attributes: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
    for line, row in tables["attributes.csv"].rows:
        if row["taxonomy_term_id"] not in terms:
            problems.append(Problem("attributes.csv", line, f"taxonomy_term_id {row['taxonomy_term_id']!r} is not in "
                                    "taxonomy_terms.csv"))
            continue
        taxonomy, code = terms[row["taxonomy_term_id"]]
        attributes[row["link_id"]].append((taxonomy, code, row.get("value", "")))
    phones: dict[str, list[str]] = defaultdict(list)
    for _, row in tables["phones.csv"].rows:
        if row.get("service_id") and row.get("number"):
            phones[row["service_id"]].append(row["number"])
    locations = {row["id"]: row for _, row in tables["locations.csv"].rows}
    addresses = {row.get("location_id", ""): row for _, row in tables["addresses.csv"].rows}
    located = {row["service_id"]: row["location_id"] for _, row in tables["service_at_location.csv"].rows}
    vocabulary = vocabulary_of(content)
    entries: list[Entry] = []
    seen: dict[str, int] = {}
    for line, row in tables["services.csv"].rows:
        reasons: list[str] = []
        if row["status"] not in SERVICE_STATUSES:
            reasons.append(f"status {row['status']!r} is not one of {', '.join(SERVICE_STATUSES)}")
        org = orgs.get(row["organization_id"])
        if org is None:
            reasons.append(f"organization_id {row['organization_id']!r} is not in organizations.csv")
        carried: dict[str, list[str]] = defaultdict(list)
        kinds: list[str] = []
        for taxonomy, code, value in attributes.get(row["id"], []):
            if taxonomy == TYPE_TAXONOMY:
                kinds.append(code)
            elif taxonomy == FIELD_TAXONOMY and code in CARRIED:
                carried[code].append(value)
        if len(kinds) != 1:
            reasons.append(f"needs exactly one {TYPE_TAXONOMY} attribute (the kind of help), has {len(kinds)}")
        location = locations.get(located.get(row["id"], ""), {})
        address = addresses.get(location.get("id", ""), {}) if location else {}
        first = {name: values[0] for name, values in carried.items() if values}
        entry_id = first.get("entry_id") or ""
        if not entry_id:
            reasons.append("no caunoi-fields entry_id attribute: the entry's id is needed")
        status = "unverified"
        if first.get("status") == "verified" and carried.get("source_url") and row.get("assured_date"):
            status = "verified"
        raw = {"id": entry_id, "name": row["name"], "type": kinds[0] if len(kinds) == 1 else "",
               "province": first.get("province"), "country": first.get("country"), "commune": first.get("commune"),
               "address": address.get("address_1") or None, "phone": phones.get(row["id"]) or None,
               "email": row.get("email") or (org or {}).get("email") or None,
               "website": row.get("url") or (org or {}).get("website") or None, "hours": first.get("hours"),
               "lat": location.get("latitude") or None, "lon": location.get("longitude") or None,
               "confidential": first.get("confidential") == "true" or kinds == ["shelter"],
               "source_url": carried.get("source_url") or None,
               "verified_at": row.get("assured_date") or None, "status": status, "note": first.get("note")}
        clean = {name: value for name, value in raw.items() if value not in (None, "")}
        entry, parse_reasons = parse_entry(clean, home_file(first.get("province"), first.get("country")), vocabulary)
        reasons += parse_reasons
        if entry_id in seen:
            reasons.append(f"entry_id {entry_id!r} is repeated (first on line {seen[entry_id]})")
        seen.setdefault(entry_id, line)
        if reasons or entry is None:
            problems += [Problem("services.csv", line, reason) for reason in dict.fromkeys(reasons)]
            continue
        entries.append(entry)
    return entries, problems

