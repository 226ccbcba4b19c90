"""How a simulated person waits for the bot's answer: the part of the locustfile that decides, tested without locust.

The gateway's holding message ("Mình vẫn đang đọc tin nhắn của bạn…", sent when Rasa is slow) is not the answer: a
person who reads it goes on waiting. A person who took it for the answer would write again before the answer came,
and every later reply of that chat would land one message behind (what made 123 messages look "lost" at 500
conversations in the #18 run: each was answered, after its person had already written again).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from load.script import HOLDING_FRAGMENT

Reply = dict[str, Any]  # as the Bot API double lists it: at, text, buttons
# Replies of the chat from index `after` on, waiting up to `seconds` for the first; [] when none came in time.
Wait = Callable[[int, float], list[Reply]]


def is_holding(reply: Reply) -> bool:
    return HOLDING_FRAGMENT in str(reply.get("text", ""))


def first_answer(wait: Wait, seen: int, deadline: float, clock: Callable[[], float] = time.monotonic) -> list[Reply]:
    """The replies from index `seen` up to and including the first that is not a holding message.

    Holding messages before it are returned too (they count as seen). Stops at `deadline` (the clock's seconds):
    then the list holds no answer (empty, or holding messages only).
    """
    replies: list[Reply] = []
    while (left := deadline - clock()) > 0:
        more = wait(seen + len(replies), left)
        if not more:
            break
        replies += more
        if any(not is_holding(reply) for reply in more):
            break
    return replies


def answered(replies: list[Reply]) -> list[Reply]:
    """The replies that are the bot's answer, without its holding messages."""
    return [reply for reply in replies if not is_holding(reply)]
