"""The input guard shared by the gateway and `caunoi parse`.

Rasa reads any text that starts with "/" as a forced `/intent{entities}`. People must never be able to do that by
typing, so leading slashes (and the spaces and control characters around them) are cut off; only the gateway's
own buttons and commands produce intents.
"""

from __future__ import annotations

import unicodedata


def _skippable(char: str) -> bool:
    return char == "/" or char.isspace() or unicodedata.category(char) in ("Cc", "Cf")


def forced_intent_prefix(text: str) -> int:
    """How many leading characters to drop so that the text cannot force an intent."""
    index = 0
    while index < len(text) and _skippable(text[index]):
        index += 1
    return index


def clean_typed_text(text: str) -> str:
    """Typed text as Rasa may see it: no leading slash, no surrounding white space."""
    return text[forced_intent_prefix(text):].strip()
