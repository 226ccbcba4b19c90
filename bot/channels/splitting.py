"""Cutting long replies into messages a platform accepts, at sentence boundaries where possible."""

from __future__ import annotations

import re
from dataclasses import replace

from bot.messages import Outbound

JOIN_LIMIT = 1500  # characters: about two screens of a small phone
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


def join_replies(messages: list[Outbound], limit: int = JOIN_LIMIT) -> list[Outbound]:
    """One turn's consecutive plain texts as one message, paragraphs apart, while it stays under `limit`.

    Rasa sends a response in pieces (it splits texts at blank lines) and an action may send several; on a phone each
    piece is a notification of its own, and Telegram lets a chat have about one message a second, so five pieces
    reach the person over several seconds. A message with buttons or a location request ends a run: its keyboard
    belongs under its own text. Protection carries over to the joined message (protecting more is harmless).
    """
    joined: list[Outbound] = []
    for message in messages:
        previous = joined[-1] if joined else None
        if previous is not None and not previous.buttons and not previous.request_location and previous.text \
                and message.text and len(previous.text) + 2 + len(message.text) <= limit:
            joined[-1] = replace(message, text=f"{previous.text}\n\n{message.text}",
                                 protect_content=previous.protect_content or message.protect_content,
                                 sensitive=previous.sensitive or message.sensitive)
        else:
            joined.append(message)
    return joined
