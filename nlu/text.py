"""Vietnamese text normalisation that remembers where every character came from.

`normalise("Tôi ko bít, cứuuuu!", table)` gives the text the models see ("tôi không biết, cứu!"), the same text
with diacritics folded away ("toi khong biet, cuu!"), and for each of its characters the span of the original text
it came from, so that an entity found in the normalised text points at what the person actually wrote.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

# Tone marks as combining characters (NFD). The other marks (circumflex, breve, horn) belong to the vowel.
TONE_MARKS = frozenset("\u0300\u0301\u0303\u0309\u0323")
WORD = re.compile(r"\w+")
# Syllables ending in these vowel pairs with no final consonant are written two ways (hoà / hòa, thuỷ / thủy).
# We keep the tone on the first vowel, the placement underthesea also produces.
OPEN_PAIR = re.compile(r"(oa|oe|uy)$")


@dataclass(frozen=True)
class Piece:
    char: str
    start: int
    end: int


@dataclass(frozen=True)
class Normalised:
    original: str
    text: str
    folded: str
    starts: tuple[int, ...]
    ends: tuple[int, ...]

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """Maps the span [start, end) of `text` to the span of `original` it came from."""
        if start >= end:
            position = self.starts[start] if start < len(self.starts) else len(self.original)
            return position, position
        return self.starts[start], self.ends[end - 1]

    def as_dict(self) -> dict[str, object]:
        return {"text": self.text, "folded": self.folded, "starts": list(self.starts), "ends": list(self.ends)}

    @classmethod
    def from_dict(cls, original: str, data: Mapping[str, object]) -> Normalised:
        starts = data["starts"]
        ends = data["ends"]
        assert isinstance(starts, list) and isinstance(ends, list)
        return cls(original, str(data["text"]), str(data["folded"]), tuple(starts), tuple(ends))


@dataclass(frozen=True)
class Table:
    """The normaliser's language data: abbreviations and teencode, and words whose doubled letters are real."""

    words: Mapping[tuple[str, ...], str]
    keep_doubles: frozenset[str]
    longest: int = 1

    @classmethod
    def build(cls, words: Mapping[str, str], keep_doubles: Iterable[str] = ()) -> Table:
        keyed = {tuple(key.lower().split()): value.lower() for key, value in words.items() if key.split()}
        return cls(keyed, frozenset(fold(word.lower()) for word in keep_doubles),
                   max((len(key) for key in keyed), default=1))


EMPTY_TABLE = Table.build({})


def fold(text: str) -> str:
    """Removes diacritics character by character, so the result has exactly the length of the input."""
    return "".join(_fold_char(char) for char in text)


def _fold_char(char: str) -> str:
    if char in "đĐ":
        return "d" if char == "đ" else "D"
    base = "".join(c for c in unicodedata.normalize("NFD", char) if not unicodedata.combining(c))
    return base if len(base) == 1 else char


def has_diacritics(text: str) -> bool:
    return fold(text) != text


def _compose(original: str) -> list[Piece]:
    """NFC, cluster by cluster (a base letter and its combining marks), control characters as spaces."""
    pieces: list[Piece] = []
    index = 0
    while index < len(original):
        end = index + 1
        while end < len(original) and unicodedata.combining(original[end]):
            end += 1
        cluster = original[index:end]
        if unicodedata.category(cluster[0]) in ("Cc", "Cf", "Zl", "Zp"):
            cluster = " "
        for char in unicodedata.normalize("NFC", cluster).lower():
            pieces.append(Piece(char, index, end))
        index = end
    return pieces


def _words(pieces: list[Piece]) -> list[tuple[int, int]]:
    text = "".join(piece.char for piece in pieces)
    return [match.span() for match in WORD.finditer(text)]


def _place_tone(syllable: str) -> str:
    """hoà → hòa, thuỷ → thủy; any other syllable is returned unchanged (same length in every case)."""
    decomposed = unicodedata.normalize("NFD", syllable)
    tones = [c for c in decomposed if c in TONE_MARKS]
    if len(tones) != 1:
        return syllable
    bare = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in TONE_MARKS))
    match = OPEN_PAIR.search(fold(bare))
    if not match or fold(bare[: match.start()]).endswith(("q", "g")):
        return syllable  # "quý", "giá": the u / i belongs to the consonant
    position = match.start()
    placed = bare[:position] + unicodedata.normalize("NFC", bare[position] + tones[0]) + bare[position + 1 :]
    return placed if len(placed) == len(syllable) else syllable


def _squeeze(word: str, table: Table) -> tuple[str, list[tuple[int, int]]]:
    """Collapses letters typed three or more times ("cứuuuu"); returns the word and each letter's source run."""
    runs: list[tuple[int, int]] = []
    index = 0
    while index < len(word):
        end = index + 1
        while end < len(word) and word[end] == word[index]:
            end += 1
        runs.append((index, end))
        index = end
    # Only letters: digits are never squeezed (111, 113, phone numbers).
    marked = [(start, end, end - start >= 3 and word[start].isalpha()) for start, end in runs]
    if not any(repeated for _, _, repeated in marked):
        return word, [(i, i + 1) for i in range(len(word))]

    def collapse(keep: int) -> tuple[str, list[tuple[int, int]]]:
        chars: list[str] = []
        spans: list[tuple[int, int]] = []
        for start, end, repeated in marked:
            length = keep if repeated else end - start
            for offset in range(length):
                chars.append(word[start])
                spans.append((start, end) if repeated else (start + offset, start + offset + 1))
        return "".join(chars), spans

    doubled = collapse(2)
    return doubled if fold(doubled[0]) in table.keep_doubles else collapse(1)


def normalise(original: str, table: Table = EMPTY_TABLE) -> Normalised:
    pieces = _compose(original)

    # Word-level rewrites that keep or shrink length: squeezing repeats, then the tone-mark placement.
    rewritten: list[Piece] = []
    cursor = 0
    for start, end in _words(pieces):
        rewritten.extend(pieces[cursor:start])
        word_pieces = pieces[start:end]
        squeezed, sources = _squeeze("".join(p.char for p in word_pieces), table)
        placed = _place_tone(squeezed)
        for char, (first, last) in zip(placed, sources, strict=True):
            rewritten.append(Piece(char, word_pieces[first].start, word_pieces[last - 1].end))
        cursor = end
    rewritten.extend(pieces[cursor:])

    # Abbreviations and teencode, whole words only, longest phrase first.
    expanded = _expand(rewritten, table)
    text = "".join(piece.char for piece in expanded)
    return Normalised(original, text, fold(text), tuple(p.start for p in expanded), tuple(p.end for p in expanded))


def _expand(pieces: list[Piece], table: Table) -> list[Piece]:
    if not table.words:
        return pieces
    spans = _words(pieces)
    texts = ["".join(p.char for p in pieces[start:end]) for start, end in spans]
    result: list[Piece] = []
    cursor = 0
    index = 0
    while index < len(spans):
        if index and texts[index - 1].isdigit() and spans[index - 1][1] + 1 >= spans[index][0]:
            index += 1  # "500 k", "20 t": a unit after a number, not teencode
            continue
        for size in range(min(table.longest, len(spans) - index), 0, -1):
            replacement = table.words.get(tuple(texts[index : index + size]))
            if replacement is not None:
                break
        else:
            index += 1
            continue
        first, last = spans[index][0], spans[index + size - 1][1]
        result.extend(pieces[cursor:first])
        result.extend(_replace(pieces, spans[index : index + size], texts[index : index + size], replacement))
        cursor = last
        index += size
    result.extend(pieces[cursor:])
    return result


def _replace(pieces: list[Piece], spans: list[tuple[int, int]], typed: list[str],
             replacement: str) -> list[Piece]:
    """The pieces of `replacement` for the typed words at `spans`.

    Each replacement word points at the typed word it stands for when that is clear: word for word ("ko dc" →
    "không được"), or around the words a phrase keeps ("giữ hc" → "giữ hộ chiếu": "hộ chiếu" points at "hc").
    Otherwise the whole replacement points at all the typed words, as tokens must not overlap.
    """
    words = replacement.split()
    groups: list[tuple[int, int, int, int]]  # typed words [c, d) → replacement words [a, b)
    if len(words) == len(typed):
        groups = [(i, i + 1, i, i + 1) for i in range(len(words))]
    else:
        shortest = min(len(typed), len(words))
        head = 0
        while head < shortest - 1 and typed[head] == words[head]:
            head += 1
        tail = 0
        while tail < shortest - 1 - head and typed[-1 - tail] == words[-1 - tail]:
            tail += 1
        groups = [(i, i + 1, i, i + 1) for i in range(head)]
        groups.append((head, len(typed) - tail, head, len(words) - tail))
        groups += [(len(typed) - k, len(typed) - k + 1, len(words) - k, len(words) - k + 1)
                   for k in range(tail, 0, -1)]
    result: list[Piece] = []
    for c, d, a, b in groups:
        start, end = pieces[spans[c][0]].start, pieces[spans[d - 1][1] - 1].end
        if result:
            result.append(Piece(" ", result[-1].end, start))
        result.extend(Piece(char, start, end) for char in " ".join(words[a:b]))
    return result
