"""Identifiers in logs are hashed: a log line can be correlated with others, never traced to a person."""

from __future__ import annotations

import hashlib

from bot.settings import SettingsError, get_settings


def log_id(conversation_id: str, key: str | None = None) -> str:
    """A short keyed hash of the id. Without a key given, the process's CAUNOI_SECRET_KEY: unkeyed, a Telegram chat
    id (a number) could be found again by hashing every number, so the action server must not log that way."""
    if key is None:
        try:
            key = get_settings().secret_key.reveal()
        except SettingsError:
            key = ""
    digest = hashlib.blake2b(conversation_id.encode(), key=key.encode()[:64], digest_size=6)
    return digest.hexdigest()
