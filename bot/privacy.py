"""Identifiers in logs are hashed: a log line can be correlated with others, never traced to a person."""

from __future__ import annotations

import hashlib


def log_id(conversation_id: str, key: str = "") -> str:
    digest = hashlib.blake2b(conversation_id.encode(), key=key.encode()[:64], digest_size=6)
    return digest.hexdigest()
