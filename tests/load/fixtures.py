"""A small recorded run in the shape load/__main__.py reads: messages sent (the locustfile's log) and messages that
reached the Bot API double. Steps: 2 conversations from t=100 s, 4 from t=150 s."""

from __future__ import annotations

from typing import Any

from load.script import DEGRADED_FRAGMENT


def _sent(chat: int, seq: int, at: float) -> dict[str, Any]:
    return {"chat": chat, "seq": seq, "at": at, "conversation": "ask_for_help", "status": 200, "expect": ["chào"]}


def _arrived(chat: int, at: float, text: str = "chào bạn") -> dict[str, Any]:
    return {"chat": chat, "at": at, "text": text}


RECORDED: dict[str, list[dict[str, Any]]] = {
    "sent": [
        _sent(11, 0, 101.0), _sent(11, 1, 112.0), _sent(12, 0, 115.0), _sent(11, 2, 125.0), _sent(12, 1, 130.0),
        _sent(13, 0, 161.0), _sent(14, 0, 162.0), _sent(15, 0, 163.0), _sent(13, 1, 170.0), _sent(16, 0, 171.0),
    ],
    "arrived": [
        _arrived(11, 101.3), _arrived(11, 112.3), _arrived(12, 115.2), _arrived(11, 125.9), _arrived(12, 130.3),
        _arrived(13, 161.4), _arrived(15, 163.5, f"Xin lỗi, {DEGRADED_FRAGMENT}."), _arrived(13, 170.2),
        _arrived(16, 171.25),
    ],
}
