"""Cutting long replies into messages a platform accepts, at sentence boundaries where possible."""

from __future__ import annotations

import re

# After a sentence's end (. ! ? … and closing quotes or brackets) and its spaces, or at a line break.
_BOUNDARY = re.compile(r"(?<=[.!?…][\"'”’)\]])\s+|(?<=[.!?…])\s+|\n+")


def split_text(text: str, limit: int) -> list[str]:
    """Pieces of at most `limit` characters, cut at paragraph, sentence, then word boundaries; nothing lost."""
    text = text.strip()
    if len(text) <= limit:
        return [text]
    pieces: list[str] = []
    rest = text
    while len(rest) > limit:
        window = rest[: limit + 1]
        cut = _last_boundary(window, limit)
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        pieces.append(rest)
    return [piece for piece in pieces if piece]


def _last_boundary(window: str, limit: int) -> int:
    """Where to cut `window` (limit + 1 characters): a paragraph, sentence or space boundary, else hard at limit."""
    floor = limit // 3  # never leave a tiny piece just to hit a boundary
    paragraph = window.rfind("\n\n", floor, limit)
    if paragraph > 0:
        return paragraph
    sentence_ends = [match.start() for match in _BOUNDARY.finditer(window) if floor <= match.start() <= limit]
    if sentence_ends:
        return sentence_ends[-1]
    space = window.rfind(" ", floor, limit + 1)
    if space > 0:
        return space
    return limit
