"""Zalo's reply window as the console shows it and keeps to it (the window itself: bot/channels/reply_window.py).

An operator's reply after the window closed is refused with the reason, before anything is posted, instead of
ending as one more undeliverable line in the transcript.
"""

from __future__ import annotations

from typing import Any

from bot.channels.reply_window import READ_AT_MOST, ReplyWindow, reply_window, window_of
from bot.channels.zalo import FREE_REPLIES
from bot.console.clock import iso

__all__ = ["READ_AT_MOST", "ReplyWindow", "has_window", "refusal", "reply_window", "window_fields", "window_of"]


def has_window(conversation_id: str) -> bool:
    return conversation_id.startswith("zalo:")


def refusal(window: ReplyWindow) -> str:
    """Why a reply is refused now: what the operator reads (no message text, no id)."""
    return (f"the Zalo reply window closed at {iso(window.closes_at)}: Zalo refuses messages sent more than 48 "
            "hours after the person's last message (-305); the person has to write first")


def window_fields(window: ReplyWindow, now: float) -> dict[str, Any]:
    return {"last_message_at": iso(window.last_message_at), "closes_at": iso(window.closes_at),
            "open": window.open(now), "seconds_left": max(0, int(window.closes_at - now)),
            "replies": window.replies, "free_replies": FREE_REPLIES}
