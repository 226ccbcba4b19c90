"""The gazetteer (`gazetteer/{provinces,countries,service_types}.yml`): the places people name, the kinds of help they
ask for, and how each file's names are matched.

The files also carry what the assistant shows and the map (a kind of help's button label and how to reach it, with
its sources; each province's box and centre). Those are read here too, so that each file has one reader; bot/content
judges them (a label, a sourced reach text, verified phones) and the NLU ignores them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from types import MappingProxyType
from typing import Any

from nlu.tables.files import Documents, Problem, Reader, iso_date, strings

PROVINCES = "gazetteer/provinces.yml"
COUNTRIES = "gazetteer/countries.yml"
SERVICE_TYPES = "gazetteer/service_types.yml"


@dataclass(frozen=True)
class NameRules:
    """When a file's names count (its `ambiguous`, `needs_context` and `not_places`; gazetteer/provinces.yml says
    how): names that are also everyday words or given names need a word such as "ở" right before them."""

    ambiguous: tuple[str, ...] = ()  # never taken on their own
    before: tuple[str, ...] = ()  # the words one of which must come right before a name of `words`
    words: tuple[str, ...] = ()
    words_if_unaccented: tuple[str, ...] = ()  # the same, only when typed without diacritics
    strict: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: MappingProxyType({}))  # own `before`
    accented_only: tuple[str, ...] = ()  # taken only when typed with their diacritics
    not_places: tuple[str, ...] = ()  # longer phrases that contain a name but are not a place: they block it


@dataclass(frozen=True)
class Province:
    """One of the 34 provinces since 1/7/2025, its older names and aliases, and its rough geometry."""

    name: str
    bbox: tuple[float, float, float, float]  # lat_min, lon_min, lat_max, lon_max
    centroid: tuple[float, float]
    former: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    kind: str = "province"  # or "city" (thành phố trực thuộc trung ương)

    def contains(self, lat: float, lon: float) -> bool:
        lat_min, lon_min, lat_max, lon_max = self.bbox
        return lat_min <= lat <= lat_max and lon_min <= lon <= lon_max


@dataclass(frozen=True)
class Country:
    name: str  # the Vietnamese name, the entity value
    aliases: tuple[str, ...] = ()
    places: tuple[str, ...] = ()  # cities and compounds people name instead of the country
    neighbour: bool = False  # shares a land border with Vietnam


@dataclass(frozen=True)
class ServiceType:
    """A kind of help: the phrases that ask for it, its button label, and how to reach that kind of place anywhere
    in Vietnam when the directory has no verified local entry, with where that was read and when."""

    name: str
    label: str
    phrases: tuple[str, ...]
    reach: str
    source_urls: tuple[str, ...]
    verified_at: date | None


@dataclass(frozen=True)
class GazetteerTables:
    provinces: tuple[Province, ...]
    countries: tuple[Country, ...]
    service_types: tuple[ServiceType, ...]  # in file order: the order of the "which kind of help?" buttons
    province_rules: NameRules = NameRules()
    country_rules: NameRules = NameRules()
    service_rules: NameRules = NameRules()


def _words(value: Any) -> tuple[str, ...] | None:
    """A list of texts (an absent one is empty); None when it holds anything else."""
    if value is None:
        return ()
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return tuple(value)
    return None


class _Fields:
    """Typed fields of one file, each problem noted against it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.problems: list[Problem] = []

    def problem(self, message: str) -> None:
        self.problems.append(Problem(self.path, message))

    def words(self, raw: Mapping[str, Any], key: str, where: str = "") -> tuple[str, ...]:
        value = _words(raw.get(key))
        if value is None:
            self.problem(f"{where}{key} must be a list of texts")
            return ()
        return value

    def section(self, raw: Mapping[str, Any], key: str) -> list[Any] | dict[str, Any] | None:
        value = raw.get(key) if isinstance(raw, dict) else None
        if not isinstance(value, (list, dict)):
            self.problem(f"must hold {key}:")
            return None
        return value

    def rules(self, raw: Mapping[str, Any]) -> NameRules:
        context = raw.get("needs_context") or {}
        if not isinstance(context, dict):
            self.problem("needs_context must be a mapping (before, words, strict, ...)")
            context = {}
        strict = context.get("strict") or {}
        if not (isinstance(strict, dict) and all(_words(words) is not None for words in strict.values())):
            self.problem("needs_context.strict must map a name to the words that may come before it")
            strict = {}
        where = "needs_context."
        return NameRules(
            ambiguous=self.words(raw, "ambiguous"), before=self.words(context, "before", where),
            words=self.words(context, "words", where),
            words_if_unaccented=self.words(context, "words_if_unaccented", where),
            strict=MappingProxyType({str(name): tuple(words or ()) for name, words in strict.items()}),
            accented_only=self.words(context, "accented_only", where), not_places=self.words(raw, "not_places"))


def _numbers(value: Any, count: int) -> tuple[float, ...] | None:
    if not (isinstance(value, list) and len(value) == count):
        return None
    if not all(isinstance(item, (int, float)) and not isinstance(item, bool) for item in value):
        return None
    return tuple(float(item) for item in value)


def _provinces(raw: Any, fields: _Fields) -> tuple[tuple[Province, ...], NameRules]:
    items = fields.section(raw, "provinces")
    if not isinstance(items, list):
        return (), NameRules()
    provinces: list[Province] = []
    for item in items:
        name = item.get("name") if isinstance(item, dict) else None
        bbox, centroid = (_numbers(item.get(key), size) if isinstance(item, dict) else None
                          for key, size in (("bbox", 4), ("centroid", 2)))
        if not (isinstance(name, str) and name.strip()) or bbox is None or centroid is None:
            fields.problem(f"province {name if name else item!r}: needs name, bbox [4 numbers], centroid [2 numbers]")
            continue
        where = f"province {name!r}: "
        provinces.append(Province(name, (bbox[0], bbox[1], bbox[2], bbox[3]), (centroid[0], centroid[1]),
                                  fields.words(item, "former", where), fields.words(item, "aliases", where),
                                  str(item.get("kind") or "province")))
    return tuple(provinces), fields.rules(raw)


def _countries(raw: Any, fields: _Fields) -> tuple[tuple[Country, ...], NameRules]:
    items = fields.section(raw, "countries")
    if not isinstance(items, list):
        return (), NameRules()
    countries: list[Country] = []
    for item in items:
        name = item.get("name") if isinstance(item, dict) else None
        if not (isinstance(name, str) and name.strip()):
            fields.problem(f"country {item!r}: needs a name")
            continue
        where = f"country {name!r}: "
        countries.append(Country(name, fields.words(item, "aliases", where), fields.words(item, "places", where),
                                 item.get("is_vietnam_neighbour") is True))
    return tuple(countries), fields.rules(raw)


def _service_types(raw: Any, fields: _Fields) -> tuple[tuple[ServiceType, ...], NameRules]:
    specs = fields.section(raw, "service_types")
    if not isinstance(specs, dict):
        return (), NameRules()
    kinds: list[ServiceType] = []
    for name, spec in specs.items():
        if not isinstance(spec, dict):
            fields.problem(f"{name}: must be a mapping with label, phrases, reach, source_url, verified_at")
            continue
        sources = strings(spec.get("source_url"))
        if sources is None:
            fields.problem(f"{name}: source_url must be an address, or a list of them")
        verified_at = iso_date(spec.get("verified_at"))
        if spec.get("verified_at") not in (None, "") and verified_at is None:
            fields.problem(f"{name}: verified_at {spec.get('verified_at')!r} must be a date, YYYY-MM-DD")
        label, reach = (spec.get(key) for key in ("label", "reach"))
        if not all(isinstance(text, str) or text is None for text in (label, reach)):
            fields.problem(f"{name}: label and reach must be texts")
        kinds.append(ServiceType(str(name), str(label or "").strip(), fields.words(spec, "phrases", f"{name}: "),
                                 " ".join(str(reach or "").split()), tuple(sources or ()), verified_at))
    return tuple(kinds), fields.rules(raw)


def parse_gazetteer(documents: Documents, base: Path) -> tuple[GazetteerTables | None, list[Problem]]:
    files = [_Fields(base / relative) for relative in (PROVINCES, COUNTRIES, SERVICE_TYPES)]
    provinces, province_rules = _provinces(documents[PROVINCES], files[0])
    countries, country_rules = _countries(documents[COUNTRIES], files[1])
    service_types, service_rules = _service_types(documents[SERVICE_TYPES], files[2])
    problems = [problem for fields in files for problem in fields.problems]
    if not provinces:  # nothing can be placed without them
        return None, problems or [Problem(base / PROVINCES, "holds no province")]
    return GazetteerTables(provinces, countries, service_types, province_rules, country_rules, service_rules), problems


GAZETTEER = Reader((PROVINCES, COUNTRIES, SERVICE_TYPES), parse_gazetteer)
