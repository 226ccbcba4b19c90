"""Finding known phrases in a normalised message, with and without diacritics.

Shared by the gazetteer (places, countries, service types) and triage (signs of trafficking). Phrases are compared
syllable by syllable on the folded text, with one rule that keeps diacritics meaningful when people do type them:
a syllable typed *with* diacritics must be the phrase's syllable exactly, so "lao động" never matches "Lào", while
"lao" typed bare still may. Phrases marked `accented_only` match only when typed with all their diacritics.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Generic, TypeVar

from nlu.text import Normalised, fold, normalise

SYLLABLE = re.compile(r"\w+")
T = TypeVar("T")


@dataclass(frozen=True)
class Syllables:
    """A message split into syllables: as normalised, folded, and each one's span in the normalised text."""

    typed: tuple[str, ...]
    folded: tuple[str, ...]
    spans: tuple[tuple[int, int], ...]

    @classmethod
    def of(cls, view: Normalised) -> Syllables:
        spans = tuple(match.span() for match in SYLLABLE.finditer(view.text))
        return cls(tuple(view.text[a:b] for a, b in spans), tuple(view.folded[a:b] for a, b in spans), spans)

    def original_span(self, view: Normalised, start: int, end: int) -> tuple[int, int]:
        return view.original_span(self.spans[start][0], self.spans[end - 1][1])


def syllables_of(text: str) -> tuple[str, ...]:
    """A phrase from a data file as the normaliser would see it typed: lower case, NFC, one tone placement."""
    return tuple(SYLLABLE.findall(normalise(text).text))


@dataclass(frozen=True)
class Entry(Generic[T]):
    syllables: tuple[str, ...]
    folded: tuple[str, ...]
    item: T
    accented_only: bool = False

    def accepts(self, typed: tuple[str, ...]) -> bool:
        for written, wanted in zip(typed, self.syllables, strict=True):
            if written != wanted and (fold(written) != written or self.accented_only):
                return False
        return True


class PhraseIndex(Generic[T]):
    def __init__(self, entries: Iterable[tuple[str, T, bool]]):
        self._by_first: dict[str, list[Entry[T]]] = defaultdict(list)
        for text, item, accented_only in entries:
            syllables = syllables_of(text)
            if syllables:
                folded = tuple(fold(s) for s in syllables)
                self._by_first[folded[0]].append(Entry(syllables, folded, item, accented_only))
        for candidates in self._by_first.values():
            candidates.sort(key=lambda entry: -len(entry.syllables))

    def at(self, message: Syllables, index: int) -> Iterator[tuple[int, T]]:
        """(length, item) of every phrase that matches at syllable `index`, longest first."""
        for entry in self._by_first.get(message.folded[index], ()):
            size = len(entry.syllables)
            if index + size > len(message.folded):
                continue
            if entry.folded != message.folded[index : index + size]:
                continue
            if entry.accepts(message.typed[index : index + size]):
                yield size, entry.item

    def everywhere(self, message: Syllables) -> Iterator[tuple[int, int, T]]:
        """(start, end, item) of every match anywhere, overlapping ones included."""
        for index in range(len(message.folded)):
            for size, item in self.at(message, index):
                yield index, index + size, item
