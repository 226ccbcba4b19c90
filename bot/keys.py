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


# Ordered delivery: each conversation's waiting inbound messages, the conversations that have some, and the lock
# that lets one worker at a time drain a conversation.
def inbox(conversation_id: str) -> str:
    return f"{PREFIX}:conv:{conversation_id}:inbox"


def inbox_lock(conversation_id: str) -> str:
    return f"{PREFIX}:conv:{conversation_id}:inbox-lock"


INBOX_PENDING = f"{PREFIX}:inbox:pending"


def buttons(conversation_id: str) -> str:
    """Short button codes (Telegram callback_data, web) -> the payload and title they stand for."""
    return f"{PREFIX}:conv:{conversation_id}:buttons"


def choices(conversation_id: str) -> str:
    """The numbered options offered in the last message (Zalo), valid for the next reply only."""
    return f"{PREFIX}:conv:{conversation_id}:choices"


def stopped(conversation_id: str) -> str:
    """Set while nothing may be sent to the conversation (the person unfollowed the Zalo OA)."""
    return f"{PREFIX}:conv:{conversation_id}:stopped"


def noted(conversation_id: str, note: str) -> str:
    """A one-time (or once-in-a-while) gateway note already sent to this conversation."""
    return f"{PREFIX}:conv:{conversation_id}:noted:{note}"


DEAD_LETTER_INDEX = f"{PREFIX}:dead:index"  # sorted set: entry id -> time
DEAD_LETTER_ENTRIES = f"{PREFIX}:dead:entries"  # hash: entry id -> JSON


def rate(name: str) -> str:
    return f"{PREFIX}:rate:{name}"


ZALO_TOKENS = f"{PREFIX}:zalo:tokens"
ZALO_REFRESH_LOCK = f"{PREFIX}:zalo:tokens:refresh-lock"


def erase_request(conversation_id: str) -> str:
    return f"{PREFIX}:conv:{conversation_id}:erase"


# Rasa's own keys, as bot/endpoints.py configures its Redis tracker and lock stores.
TRACKER_PREFIX = "caunoitracker"
LOCK_PREFIX = "caunoilock"


def rasa_tracker(conversation_id: str) -> str:
    return f"{TRACKER_PREFIX}:tracker:{conversation_id}"


def rasa_lock(conversation_id: str) -> str:
    return f"{LOCK_PREFIX}:lock:{conversation_id}"
