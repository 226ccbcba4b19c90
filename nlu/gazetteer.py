"""Places, countries and kinds of service, found by dictionary in what people write.

Built from `content/vi/gazetteer/{provinces,countries,service_types}.yml`. Every province name, pre-2025 name and
alias resolves to one of the 34 current provinces; countries resolve to their Vietnamese name. The longest phrase
wins ("Lào Cai" the province over "Lào" the country); words that are also everyday words or given names ("Huế",
"Cam", "Anh") count only right after a word such as "ở", "sang", "tỉnh"; listed non-places ("cam kết",
"lao động") block a match.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from nlu.phrases import PhraseIndex, Syllables, syllables_of
from nlu.text import Normalised, fold


@dataclass(frozen=True)
class Item:
    entity: str
    value: str
    context: tuple[tuple[str, ...], ...] = ()  # folded words one of which must come right before
    context_if_unaccented_only: bool = False
    blocked: bool = False


@dataclass(frozen=True)
class Found:
    entity: str
    value: str
    start: int  # offsets in the original text
    end: int


def _folded(words: Iterable[str]) -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(fold(s) for s in syllables_of(word)) for word in words)


def _context_rules(section: Mapping[str, Any]) -> tuple[dict[str, tuple[tuple[str, ...], ...]], set[str], set[str]]:
    """(context by folded name, names needing context only when unaccented, accented-only names)."""
    before = _folded(section.get("before") or ())
    contexts: dict[str, tuple[tuple[str, ...], ...]] = {}
    for word in section.get("words") or ():
        contexts[" ".join(syllables_of(word))] = before
    for word in section.get("words_if_unaccented") or ():
        contexts[" ".join(syllables_of(word))] = before
    for word, own in (section.get("strict") or {}).items():
        contexts[" ".join(syllables_of(word))] = _folded(own)
    unaccented_only = {" ".join(syllables_of(w)) for w in section.get("words_if_unaccented") or ()}
    accented_only = {" ".join(syllables_of(w)) for w in section.get("accented_only") or ()}
    return contexts, unaccented_only, accented_only


def _entries(entity: str, names: Mapping[str, Iterable[str]], data: Mapping[str, Any]) -> list[tuple[str, Item, bool]]:
    contexts, unaccented_only, accented_only = _context_rules(data.get("needs_context") or {})
    ambiguous = {" ".join(syllables_of(word)) for word in data.get("ambiguous") or ()}
    entries: list[tuple[str, Item, bool]] = []
    for value, surfaces in names.items():
        for surface in dict.fromkeys(surfaces):
            key = " ".join(syllables_of(surface))
            if not key or key in ambiguous:
                continue
            item = Item(entity, value, contexts.get(key, ()), key in unaccented_only)
            entries.append((surface, item, key in accented_only))
    entries += [(phrase, Item(entity, "", blocked=True), False) for phrase in data.get("not_places") or ()]
    return entries


class Gazetteer:
    def __init__(self, provinces: Mapping[str, Any], countries: Mapping[str, Any], services: Mapping[str, Any]):
        province_names = {p["name"]: [p["name"], *p.get("former", ()), *p.get("aliases", ())]
                          for p in provinces["provinces"]}
        country_names = {c["name"]: [c["name"], *c.get("aliases", ()), *c.get("places", ())]
                         for c in countries["countries"]}
        service_names = {value: spec.get("phrases", ()) for value, spec in services["service_types"].items()}
        self.provinces = tuple(province_names)
        self.countries = tuple(country_names)
        self.service_types = tuple(service_names)
        self._index: PhraseIndex[Item] = PhraseIndex(
            _entries("province", province_names, provinces)
            + _entries("country", country_names, countries)
            + _entries("service_type", service_names, services)
        )

    @staticmethod
    def _context_holds(item: Item, message: Syllables, start: int, end: int) -> bool:
        if not item.context:
            return True
        # Typed with every diacritic: "thuê hai phòng" (two rooms) is only half of them, so it still needs context.
        if item.context_if_unaccented_only and all(fold(s) != s for s in message.typed[start:end]):
            return True
        return any(
            len(word) <= start and message.folded[start - len(word) : start] == word for word in item.context
        )

    def find(self, view: Normalised) -> list[Found]:
        message = Syllables.of(view)
        found: list[Found] = []
        index = 0
        while index < len(message.folded):
            size = 1
            for length, item in self._index.at(message, index):
                if item.blocked:
                    size = length
                    break
                if self._context_holds(item, message, index, index + length):
                    start, end = message.original_span(view, index, index + length)
                    found.append(Found(item.entity, item.value, start, end))
                    size = length
                    break
            index += size
        return found
