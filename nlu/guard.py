"""The input guard shared by the gateway and `caunoi parse`.

Rasa reads any text that starts with "/" as a forced `/intent{entities}`. People must never be able to do that by
typing, so a typed leading slash is removed; only the gateway's own buttons and commands produce intents.
"""

from __future__ import annotations

import unicodedata


def clean_typed_text(text: str) -> str:
    """NFC, control characters dropped (line breaks become spaces), outer spaces and leading slashes removed."""
    text = unicodedata.normalize("NFC", text)
    text = "".join(
        " " if char in "\r\n\t\v\f\u2028\u2029" else char
        for char in text
        if char in "\r\n\t\v\f\u2028\u2029" or unicodedata.category(char) not in ("Cc", "Cs", "Co", "Cn")
    )
    text = text.strip()
    while text.startswith("/"):
        text = text[1:].lstrip()
    return text
