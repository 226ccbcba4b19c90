"""Zalo's reply window, read from the transcript: within 48 hours of the person's last message an OA may answer them
(8 replies free); later Zalo refuses the message (-305, bot/channels/zalo.py REPLY_WINDOW_SECONDS).

The window counts from the newest transcript entry the person made, whatever it was (a text, a tapped button, a
location, a photo, following the OA): the gateway records each when it receives it. The console shows it and refuses
a late reply (bot/console/window.py); the follow-up after a referral is not sent outside it (bot/gateway/followups.py).

Replies since the person's last message are counted from the transcript too (the bot's and operators' messages
that went out): a message split into parts, or with more than five buttons, costs Zalo more than one, so the count
is a floor, shown for the operator to judge, never enforced.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.channels.zalo import REPLY_WINDOW_SECONDS
from bot.state.transcript import Transcript

# Transcript entries read per step, newest first, each step four times the last: the person's last message is
# usually among the newest few (each entry is unsealed to see who wrote it: reading few keeps the queue cheap).
READ_FIRST = 5
READ_AT_MOST = 300  # beyond this many entries since the person wrote, the window is long closed or unknown


@dataclass(frozen=True)
class ReplyWindow:
    last_message_at: float  # the person's newest message, as the gateway received it (epoch seconds)
    replies: int  # messages that reached the person since

    @property
    def closes_at(self) -> float:
        return self.last_message_at + REPLY_WINDOW_SECONDS

    def open(self, now: float) -> bool:
        return now < self.closes_at


def window_of(entries: Sequence[dict[str, Any]]) -> ReplyWindow | None:
    """The window from transcript entries (oldest first); None when the person wrote nothing among them."""
    replies = 0
    for entry in reversed(entries):
        if entry.get("from") == "person":
            return ReplyWindow(float(entry.get("at") or 0.0), replies)
        if entry.get("from") in ("bot", "operator") and not entry.get("undeliverable"):
            replies += 1
    return None


async def reply_window(transcript: Transcript, conversation_id: str) -> ReplyWindow | None:
    """The conversation's window, reading its transcript from the newest entry back (at most READ_AT_MOST)."""
    later: list[dict[str, Any]] = []
    end, step = -1, READ_FIRST
    while -end <= READ_AT_MOST:
        start = max(end - step + 1, -READ_AT_MOST)
        entries = await transcript.read(conversation_id, start, end)
        found = window_of(entries + later)
        if found is not None or len(entries) < end - start + 1:
            return found
        later = entries + later
        end, step = start - 1, step * 4
    return None
