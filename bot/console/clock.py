"""Time as operators read it: Vietnam time (Asia/Ho_Chi_Minh, UTC+7 all year, no daylight saving)."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

VIETNAM = timezone(timedelta(hours=7), "ICT")
Clock = Callable[[], float]


def iso(timestamp: float | None) -> str | None:
    """ISO 8601 in Vietnam time, to the second: `2026-12-01T22:05:09+07:00`."""
    if not timestamp:
        return None
    return datetime.fromtimestamp(timestamp, VIETNAM).isoformat(timespec="seconds")


def vietnam_day(timestamp: float | None = None) -> str:
    """The calendar day in Vietnam, `YYYY-MM-DD` (outcomes are counted per day there)."""
    return datetime.fromtimestamp(time.time() if timestamp is None else timestamp, VIETNAM).date().isoformat()


def parse_time(value: str) -> float | None:
    """Seconds since the epoch from an ISO date or date-time (Vietnam time when it has no offset) or a number."""
    value = value.strip()
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        pass
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=VIETNAM)
    return parsed.timestamp()
