"""harness/wait.py and the processes of harness/stack.py: a wait says what it waited for, and a wait on a process
that has exited ends at once with what the process said, not at its deadline."""

from __future__ import annotations

import sys

import pytest

from harness.stack import stack_env, started
from harness.wait import GaveUp, until, until_async


def test_until_returns_the_first_truthy_value_and_names_what_it_gave_up_on() -> None:
    polls = iter([None, [], ["xong"]])
    assert until(lambda: next(polls), 5, "a list", every=0.001) == ["xong"]
    with pytest.raises(GaveUp, match=r"gave up waiting for nothing after 0\.05 s"):
        until(lambda: None, 0.05, "nothing", every=0.01)


async def test_until_async_takes_a_coroutine_function_and_a_stop() -> None:
    polls = iter([0, 0, 3])

    async def count() -> int:
        return next(polls)

    assert await until_async(count, 5, "a count", every=0.001) == 3
    with pytest.raises(GaveUp, match=r"the server went away \(while waiting for an answer\)"):
        await until_async(lambda: None, 600, "an answer", stop=lambda: "the server went away")


def test_a_wait_on_a_process_that_exits_ends_with_its_last_lines() -> None:
    # A deadline no test would sit out: if the exit did not end the wait, pytest's timeout would.
    with started() as stack:
        process = stack.start("a short-lived child", [sys.executable, "-c", "print('không có cổng nào'); exit(3)"],
                              stack_env(), keep=True)
        with pytest.raises(GaveUp) as gave_up:
            process.wait_answering("http://127.0.0.1:9/readyz", 600)
    message = str(gave_up.value)
    assert "a short-lived child exited with code 3" in message and "không có cổng nào" in message
    assert "while waiting for a short-lived child to answer http://127.0.0.1:9/readyz" in message


def test_a_kept_process_says_its_lines_and_stops_with_its_signal() -> None:
    script = "import signal, sys, time\nsignal.signal(signal.SIGTERM, lambda *_: sys.exit(0))\n" \
             "print('sẵn sàng', flush=True)\nprint('lỗi', file=sys.stderr, flush=True)\ntime.sleep(600)\n"
    with started() as stack:
        process = stack.start("a server", [sys.executable, "-c", script], stack_env(), keep=True, apart=True)
        assert process.wait_said("sẵn", 600) == "sẵn sàng\n"
    assert process.popen.returncode == 0  # SIGTERM, handled: not the SIGKILL that follows a timeout
    assert process.output() == ["sẵn sàng", "lỗi"]
