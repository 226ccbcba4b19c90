"""Places, countries and kinds of service, found by dictionary in what people write.

Built from the typed gazetteer (nlu/tables/places.py, `content/vi/gazetteer/`). Every province name, pre-2025 name and
alias resolves to one of the 34 current provinces; countries resolve to their Vietnamese name. The longest phrase
wins ("Lào Cai" the province over "Lào" the country); words that are also everyday words or given names ("Huế",
"Cam", "Anh") count only right after a word such as "ở", "sang", "tỉnh"; listed non-places ("cam kết",
"lao động") block a match.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from nlu.phrases import PhraseIndex, Syllables, syllables_of
from nlu.tables import GazetteerTables, NameRules
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


def _context_rules(rules: NameRules) -> tuple[dict[str, tuple[tuple[str, ...], ...]], set[str], set[str]]:
    """(context by folded name, names needing context only when unaccented, accented-only names)."""
    before = _folded(rules.before)
    contexts: dict[str, tuple[tuple[str, ...], ...]] = {}
    for word in rules.words:
        contexts[" ".join(syllables_of(word))] = before
    for word in rules.words_if_unaccented:
        contexts[" ".join(syllables_of(word))] = before
    for word, own in rules.strict.items():
        contexts[" ".join(syllables_of(word))] = _folded(own)
    unaccented_only = {" ".join(syllables_of(w)) for w in rules.words_if_unaccented}
    accented_only = {" ".join(syllables_of(w)) for w in rules.accented_only}
    return contexts, unaccented_only, accented_only


def _entries(entity: str, names: Mapping[str, Iterable[str]], rules: NameRules) -> list[tuple[str, Item, bool]]:
    contexts, unaccented_only, accented_only = _context_rules(rules)
    ambiguous = {" ".join(syllables_of(word)) for word in rules.ambiguous}
    entries: list[tuple[str, Item, bool]] = []
    for value, surfaces in names.items():
        for surface in dict.fromkeys(surfaces):
            key = " ".join(syllables_of(surface))
            if not key or key in ambiguous:
                continue
            item = Item(entity, value, contexts.get(key, ()), key in unaccented_only)
            entries.append((surface, item, key in accented_only))
    entries += [(phrase, Item(entity, "", blocked=True), False) for phrase in rules.not_places]
    return entries


class Gazetteer:
    def __init__(self, tables: GazetteerTables):
        province_names = {p.name: [p.name, *p.former, *p.aliases] for p in tables.provinces}
        country_names = {c.name: [c.name, *c.aliases, *c.places] for c in tables.countries}
        service_names = {kind.name: kind.phrases for kind in tables.service_types}
        self.provinces = tuple(province_names)
        self.countries = tuple(country_names)
        self.service_types = tuple(service_names)
        self._index: PhraseIndex[Item] = PhraseIndex(
            _entries("province", province_names, tables.province_rules)
            + _entries("country", country_names, tables.country_rules)
            + _entries("service_type", service_names, tables.service_rules)
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
