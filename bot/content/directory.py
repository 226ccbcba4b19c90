"""The service directory: reading and validating entries, and the queries the actions make.

Entries live in `content/<language>/directory/**/*.yml`, each file `entries: [...]`; `national.yml` and `abroad.yml`
hold the seed, `provinces/<province>.yml` what NGOs and provinces add. One validator (`parse_entry`) serves the
loader, `caunoi content check` and `caunoi directory import`, so a CSV row is accepted exactly when the same entry
would load.
"""

from __future__ import annotations

import difflib
import heapq
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, cast
from urllib.parse import urlsplit

from bot.content.geo import Geography, haversine_km, valid_coordinates
from bot.content.models import STATUSES, Entry, EntryLines, Province, ServiceType, Status
from bot.content.phones import canonical, phone_problem, phones_in
from nlu.tables import iso_date, strings
from nlu.text import fold

ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[a-z]{2,}", re.IGNORECASE)
FIELDS: tuple[str, ...] = (
    "id", "name", "type", "province", "country", "commune", "address", "phone", "email", "website", "hours",
    "lat", "lon", "confidential", "source_url", "verified_at", "status", "note",
)
REQUIRED: tuple[str, ...] = ("id", "name", "type", "status")
TEXT_FIELDS: tuple[str, ...] = ("name", "commune", "address", "hours", "note")
# Administrative words people put before a name ("tỉnh Bình Dương", "TP. HCM"); dropped when suggesting a name.
_PREFIX = re.compile(r"^(?:tinh|thanh pho|tp\.?)\s+")


def key(name: str) -> str:
    """Case- and diacritic-insensitive form of a name, for lookups and suggestions."""
    return " ".join(fold(name).lower().split())


@dataclass(frozen=True)
class Vocabulary:
    """What entry fields may hold: the current provinces (with their older names, to suggest), countries, types."""

    provinces: Mapping[str, Province]
    countries: frozenset[str]
    types: frozenset[str]

    def suggest_province(self, name: str) -> str | None:
        """The current province an old name, alias or misspelling points at, if one clearly does."""
        wanted = _PREFIX.sub("", key(name))
        for province in self.provinces.values():
            if wanted in {key(surface) for surface in (province.name, *province.former, *province.aliases)}:
                return province.name
        keys = {key(p): p for p in self.provinces}
        close = difflib.get_close_matches(wanted, list(keys), n=1, cutoff=0.8)
        return keys[close[0]] if close else None


def is_http_url(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc) and " " not in value


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return float(str(value).strip())
    except ValueError:
        return None


def parse_entry(raw: Any, file: str, vocabulary: Vocabulary) -> tuple[Entry | None, list[str]]:
    """Validates one entry; gives the typed entry, or None and every reason it is refused."""
    if not isinstance(raw, dict):
        return None, ["an entry must be a mapping of field: value"]
    reasons: list[str] = []
    unknown = sorted(str(name) for name in raw if name not in FIELDS)
    if unknown:
        reasons.append(f"unknown field(s) {', '.join(unknown)} (allowed: {', '.join(FIELDS)})")
    missing = [name for name in REQUIRED if not str(raw.get(name) or "").strip()]
    if missing:
        reasons.append(f"missing {', '.join(missing)}")
    text: dict[str, str | None] = {}
    for name in (*TEXT_FIELDS, "id", "type", "status", "province", "country", "email", "website"):
        value = raw.get(name)
        if value is not None and not isinstance(value, str):
            reasons.append(f"{name} must be text, got {value!r}")
        text[name] = (value.strip() or None) if isinstance(value, str) else None

    reasons += _identity(text, vocabulary)
    phones, contact_reasons = _contacts(raw, text)
    sources, verified_at, provenance_reasons = _provenance(raw, text["status"])
    lat, lon, place_reasons = _place(raw, text["province"], vocabulary)
    reasons += contact_reasons + provenance_reasons + place_reasons
    confidential = raw.get("confidential", False)
    if not isinstance(confidential, bool):
        reasons.append(f"confidential must be true or false, got {confidential!r}")
    elif text["type"] == "shelter" and not confidential:
        reasons.append("a shelter's address is confidential: set confidential: true")

    if reasons:
        return None, reasons
    return Entry(
        id=text["id"] or "", name=text["name"] or "", type=text["type"] or "", status=cast(Status, text["status"]),
        file=file, province=text["province"], country=text["country"], commune=text["commune"],
        address=text["address"], phones=tuple(phones), email=text["email"], website=text["website"],
        hours=text["hours"], lat=lat, lon=lon, confidential=confidential is True, source_urls=tuple(sources),
        verified_at=verified_at, note=text["note"],
    ), []


def entry_text(entry: Entry, labels: EntryLines, service_labels: Mapping[str, str],
               distance_km: float | None = None) -> str:
    """A directory entry as a person reads it (the bot's answers and an operator's inserted reply); a confidential
    entry (a shelter) never shows its address, nor its distance (a few shared points would give the place away)."""
    label = service_labels.get(entry.type)  # "hotline" and "website" have none: their names say what they are,
    lines = [f"• {entry.name} ({label})" if label else f"• {entry.name}"]  # and a person never reads "(hotline)"
    if entry.phone:
        lines.append(labels.phone.format(phone=entry.phone))
    if entry.hours:
        lines.append(labels.hours.format(hours=entry.hours))
    if entry.public_address:
        lines.append(labels.address.format(address=entry.public_address))
    if entry.website and not entry.phone:  # a centre whose page gives no current phone is reached through its page
        lines.append(labels.website.format(website=entry.website))
    if distance_km is not None and not entry.confidential:
        lines.append(labels.distance.format(km=f"{distance_km:.0f}" if distance_km >= 10 else f"{distance_km:.1f}"))
    return "\n  ".join(lines)


def service_type_problems(kind: ServiceType) -> list[str]:
    """What a kind of help of gazetteer/service_types.yml lacks before it may be shown: a label, and a sourced, dated
    text on how to reach it (nlu/tables read the file; the NLU needs only its phrases)."""
    reasons: list[str] = []
    if not kind.label:
        reasons.append(f"{kind.name} has no label")
    if not kind.reach:
        reasons.append(f"{kind.name} has no reach (how to reach this kind of place when no local entry is verified)")
    reasons += [f"{kind.name}: source_url {url!r} must be an http(s):// address"
                for url in kind.source_urls if not is_http_url(url)]
    if not kind.source_urls:
        reasons.append(f"{kind.name}: a verified entry needs source_url")
    if kind.verified_at is None:
        reasons.append(f"{kind.name}: a verified entry needs verified_at")
    return reasons


def unverified_phones(text: str, directory: Directory) -> list[str]:
    """Phone numbers in a text shown to people that no verified directory entry holds."""
    return [phone for phone in phones_in(text) if not directory.has_verified_phone(phone)]


def _identity(text: Mapping[str, str | None], vocabulary: Vocabulary) -> list[str]:
    """id, type, status, and where the entry is: a current province, a country abroad, or neither (national)."""
    reasons: list[str] = []
    entry_id, kind, status = text["id"], text["type"], text["status"]
    if entry_id and not ID.fullmatch(entry_id):
        reasons.append(f"id {entry_id!r} must be lower-case letters, digits and single dashes ([a-z0-9-])")
    if kind and kind not in vocabulary.types:
        reasons.append(f"type {kind!r} is not one of {', '.join(sorted(vocabulary.types))}")
    if status and status not in STATUSES:
        reasons.append(f"status {status!r} must be verified or unverified")
    province, country = text["province"], text["country"]
    if province and province not in vocabulary.provinces:
        hint = vocabulary.suggest_province(province)
        reasons.append(f"province {province!r} is not one of the 34 current provinces (exact current names only)"
                       + (f"; did you mean {hint!r}?" if hint else ""))
    if country == "Việt Nam":
        reasons.append("entries in Vietnam take a province (or none, if national), not a country")
    elif country and country not in vocabulary.countries:
        reasons.append(f"country {country!r} is not a country of gazetteer/countries.yml")
    if province and country:
        reasons.append("an entry is either in a province of Vietnam or in a country abroad, not both")
    return reasons


def _contacts(raw: Mapping[str, Any], text: Mapping[str, str | None]) -> tuple[list[str], list[str]]:
    """(phones, reasons): phones valid for where the entry is, and at least one way to reach it."""
    reasons: list[str] = []
    phones = strings(raw.get("phone"))
    if phones is None:
        reasons.append("phone must be text in quotes, or a list of them")
        phones = []
    reasons += [problem for problem in (phone_problem(p, abroad=bool(text["country"])) for p in phones) if problem]
    if len({canonical(p) for p in phones}) < len(phones):
        reasons.append("the same phone is listed twice")
    email, website = text["email"], text["website"]
    if email and not EMAIL.fullmatch(email):
        reasons.append(f"email {email!r} is not an e-mail address")
    if website and not is_http_url(website):
        reasons.append(f"website {website!r} must be an http(s):// address")
    # A lead (unverified) may still lack one: editors find it before they verify the entry.
    if not (phones or email or website) and text["status"] == "verified":
        reasons.append("an entry needs a way to reach it before it is verified: phone, email or website")
    return phones, reasons


def _provenance(raw: Mapping[str, Any], status: str | None) -> tuple[list[str], date | None, list[str]]:
    """(sources, verified_at, reasons): a verified entry must say where it was read and when."""
    reasons: list[str] = []
    sources = strings(raw.get("source_url"))
    if sources is None:
        reasons.append("source_url must be an address, or a list of them")
        sources = []
    reasons += [f"source_url {url!r} must be an http(s):// address" for url in sources if not is_http_url(url)]
    verified_at = iso_date(raw.get("verified_at"))
    if raw.get("verified_at") not in (None, "") and verified_at is None:
        reasons.append(f"verified_at {raw.get('verified_at')!r} must be a date, YYYY-MM-DD")
    if status == "verified":
        if not sources:
            reasons.append("a verified entry needs source_url")
        if verified_at is None:
            reasons.append("a verified entry needs verified_at")
    return sources, verified_at, reasons


def _place(raw: Mapping[str, Any], province: str | None,
           vocabulary: Vocabulary) -> tuple[float | None, float | None, list[str]]:
    """(lat, lon, reasons): both or neither, in range, and inside the entry's province box."""
    reasons: list[str] = []
    given = {name: raw.get(name) not in (None, "") for name in ("lat", "lon")}
    lat, lon = _number(raw.get("lat")), _number(raw.get("lon"))
    for name, value in (("lat", lat), ("lon", lon)):
        if given[name] and value is None:
            reasons.append(f"{name} {raw.get(name)!r} must be a number")
    if given["lat"] != given["lon"]:
        reasons.append("lat and lon go together: give both or neither")
    elif lat is not None and lon is not None:
        if not valid_coordinates(lat, lon):
            reasons.append(f"lat/lon {lat}, {lon} out of range (lat -90…90, lon -180…180)")
        elif province in vocabulary.provinces and not vocabulary.provinces[province or ""].contains(lat, lon):
            reasons.append(f"lat/lon {lat}, {lon} lie outside {province} (its bbox in gazetteer/provinces.yml)")
    return lat, lon, reasons


class Directory:
    """Every entry, indexed for the questions actions ask. Every query answers with verified entries only."""

    def __init__(self, entries: Iterable[Entry], geography: Geography):
        self.entries: tuple[Entry, ...] = tuple(entries)
        self.geography = geography
        self._by_id = {entry.id: entry for entry in self.entries}
        self._verified = tuple(entry for entry in self.entries if entry.verified)
        self._by_province: dict[str, list[Entry]] = defaultdict(list)
        self._by_country: dict[str, list[Entry]] = defaultdict(list)
        self._located_by_type: dict[str | None, list[Entry]] = defaultdict(list)
        for entry in self._verified:
            if entry.province:
                self._by_province[key(entry.province)].append(entry)
            if entry.country:
                self._by_country[key(entry.country)].append(entry)
            if entry.lat is not None and entry.lon is not None:
                self._located_by_type[entry.type].append(entry)
                self._located_by_type[None].append(entry)
        self._phones = frozenset(canonical(phone) for entry in self._verified for phone in entry.phones)

    def __len__(self) -> int:
        return len(self.entries)

    def __iter__(self) -> Iterator[Entry]:
        return iter(self.entries)

    def by_id(self, entry_id: str) -> Entry | None:
        """Any entry, verified or not (for operators and tools): check `.verified` before showing it to a person."""
        return self._by_id.get(entry_id)

    def verified(self) -> tuple[Entry, ...]:
        return self._verified

    def national(self, type: str) -> tuple[Entry, ...]:
        """Verified entries of `type` reachable from anywhere (113 for police, 1800 1233 for legal aid), in file order.

        For `embassy` these are the consular protection lines, which serve Vietnamese citizens in every country.
        """
        return tuple(e for e in self._verified if e.national and e.type == type)

    def national_hotlines(self) -> tuple[Entry, ...]:
        """Lines to call from anywhere in Vietnam (111, 113), in file order."""
        return tuple(e for e in self._verified if e.national and e.type in ("hotline", "police"))

    def in_province(self, province: str, type: str | None = None, limit: int = 3) -> tuple[Entry, ...]:
        return _first(self._by_province.get(key(province), ()), lambda e: type is None or e.type == type, limit)

    def near(self, lat: float, lon: float, type: str | None = None, limit: int = 3) -> tuple[tuple[Entry, float], ...]:
        """The nearest verified entries that have coordinates, with their distance in km, nearest first."""
        candidates = self._located_by_type.get(type, ())
        measured = ((entry, haversine_km(lat, lon, entry.lat or 0.0, entry.lon or 0.0)) for entry in candidates)
        return tuple(heapq.nsmallest(limit, measured, key=lambda pair: pair[1]))

    def abroad(self, country: str) -> tuple[Entry, ...]:
        """Embassies and consulates in `country`, then the consular lines that serve Vietnamese in every country."""
        here = [e for e in self._by_country.get(key(country), ()) if e.type == "embassy"]
        everywhere = [e for e in self._verified if e.national and e.type == "embassy"]
        return tuple(here + everywhere)

    def has_verified_phone(self, phone: str) -> bool:
        return canonical(phone) in self._phones

    def province_of(self, lat: float, lon: float) -> str | None:
        return self.geography.province_of(lat, lon)

    def in_vietnam(self, lat: float, lon: float) -> bool:
        return self.geography.in_vietnam(lat, lon)


def _first(entries: Sequence[Entry], keep: Callable[[Entry], bool], limit: int) -> tuple[Entry, ...]:
    found: list[Entry] = []
    for entry in entries:
        if len(found) >= limit:
            break
        if keep(entry):
            found.append(entry)
    return tuple(found)
