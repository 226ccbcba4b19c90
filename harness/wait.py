"""Waiting for what another thread, task or process does: a condition polled until it holds or a deadline passes.

Tests, benchmarks and the load test all wait this way. A wait that gives up says what it waited for; a wait on a
process stops as soon as the process is gone (`stop`), with what it left behind, instead of at the deadline.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, overload

import httpx

T = TypeVar("T")
Stop = Callable[[], "str | None"]  # why waiting is pointless now (a process exited), or None


class GaveUp(AssertionError):
    """The deadline passed, or `stop` said the wait was pointless. In a test this is a failure like any assert."""


def until(condition: Callable[[], T | None], timeout: float, what: str, *, every: float = 0.05,
          stop: Stop | None = None) -> T:
    """The condition's first truthy value; GaveUp after `timeout` seconds or as soon as `stop` gives a reason."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        _check(deadline, timeout, what, stop)
        time.sleep(every)


@overload
async def until_async(condition: Callable[[], Awaitable[T | None]], timeout: float, what: str, *,
                      every: float = 0.01, stop: Stop | None = None) -> T: ...


@overload
async def until_async(condition: Callable[[], T | None], timeout: float, what: str, *,
                      every: float = 0.01, stop: Stop | None = None) -> T: ...


async def until_async(condition: Callable[[], Any], timeout: float, what: str, *,
                      every: float = 0.01, stop: Stop | None = None) -> Any:
    """`until` in an event loop: the condition may be a coroutine function, and the loop runs between polls."""
    deadline = time.monotonic() + timeout
    while True:
        polled = condition()
        value = await polled if inspect.isawaitable(polled) else polled
        if value:
            return value
        _check(deadline, timeout, what, stop)
        await asyncio.sleep(every)


def _check(deadline: float, timeout: float, what: str, stop: Stop | None) -> None:
    reason = stop() if stop is not None else None
    if reason:
        raise GaveUp(f"{reason} (while waiting for {what})")
    if time.monotonic() > deadline:
        raise GaveUp(f"gave up waiting for {what} after {timeout:g} s")


def answers(url: str, timeout: float = 2.0) -> bool:
    """Whether a GET of `url` answers 200 now: a server that is up (and, for /readyz, ready)."""
    try:
        return httpx.get(url, timeout=timeout).status_code == 200
    except httpx.HTTPError:
        return False
