"""Every Redis key the gateway uses, in one place."""

from __future__ import annotations

PREFIX = "caunoi"


def dev_outbox(conversation_id: str) -> str:
    return f"{PREFIX}:dev:outbox:{conversation_id}"


def conversation_mode(conversation_id: str) -> str:
    return f"{PREFIX}:conv:{conversation_id}:mode"


def seen_update(channel: str, update_id: str) -> str:
    return f"{PREFIX}:seen:{channel}:{update_id}"


QUEUE = f"{PREFIX}:queue"


def case(conversation_id: str) -> str:
    return f"{PREFIX}:conv:{conversation_id}:case"


def transcript(conversation_id: str) -> str:
    return f"{PREFIX}:conv:{conversation_id}:transcript"
