"""Starts the local stack, watches it, restarts what dies (a few times) and stops everything on Ctrl-C (or when its
terminal closes)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

import httpx

MAX_RESTARTS = 3
RESTART_WINDOW_SECONDS = 600
STOP_GRACE_SECONDS = 10
# Ctrl-C, `kill`, and the terminal closing (SIGHUP): each stops every child.
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def say(line: str) -> None:
    print(f"caunoi: {line}", flush=True)


@dataclass
class Child:
    name: str
    command: list[str]
    ready_url: str
    log_path: Path
    env: dict[str, str] = field(default_factory=dict)  # this child's own settings over the stack's
    process: subprocess.Popen[bytes] | None = None
    restarts: deque[float] = field(default_factory=deque)

    def start(self, env: dict[str, str]) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        # A session of its own: Ctrl-C in the terminal reaches the supervisor only, which stops children in order.
        self.process = subprocess.Popen(self.command, env={**env, **self.env}, stdout=log, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL, start_new_session=True)
        log.close()

    def exited(self) -> int | None:
        return None if self.process is None else self.process.poll()

    def is_ready(self) -> bool:
        try:
            return httpx.get(self.ready_url, timeout=2.0).status_code == 200
        except httpx.HTTPError:
            return False

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            self.process.wait(timeout=STOP_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def last_lines(self, count: int = 5) -> str:
        try:
            lines = self.log_path.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            return ""
        return "\n".join("    " + line for line in lines[-count:])


class Interrupted(Exception):
    pass


def _interrupt(signum: int, frame: FrameType | None) -> None:
    for sig in STOP_SIGNALS:  # from now on the supervisor is stopping: a further signal must not cut that short
        signal.signal(sig, signal.SIG_IGN)
    raise Interrupted


class Supervisor:
    def __init__(self, children: list[Child], env: dict[str, str], startup_timeout: float = 240.0,
                 backoff_seconds: float = 1.0):
        self.children = children
        self.env = env
        self.startup_timeout = startup_timeout
        self.backoff_seconds = backoff_seconds

    def run(self, on_ready: str) -> int:
        """Starts every child, waits until all are ready, then watches them until Ctrl-C. Returns an exit code."""
        previous = {sig: signal.signal(sig, _interrupt) for sig in STOP_SIGNALS}
        try:
            return self._run(on_ready)
        except Interrupted:
            say("stopping …")
            return 0
        finally:
            # Stopping takes a while (each child has STOP_GRACE_SECONDS): a second Ctrl-C or the terminal closing
            # meanwhile must not end the supervisor before its children, or they go on running on their ports.
            for sig in STOP_SIGNALS:
                signal.signal(sig, signal.SIG_IGN)
            try:
                self.stop_all()
            finally:
                for sig, handler in previous.items():
                    signal.signal(sig, handler)

    def _run(self, on_ready: str) -> int:
        started = time.monotonic()
        for child in self.children:
            child.start(self.env)
            say(f"{child.name} starting (log: {child.log_path})")
        waiting = list(self.children)
        while waiting:
            for child in list(waiting):
                code = child.exited()
                if code is not None:
                    say(f"{child.name} exited with code {code} while starting; last lines of its log:")
                    print(child.last_lines(), flush=True)
                    return 1
                if child.is_ready():
                    say(f"{child.name} ready after {time.monotonic() - started:.0f} s")
                    waiting.remove(child)
            if time.monotonic() - started > self.startup_timeout:
                names = ", ".join(child.name for child in waiting)
                say(f"{names} not ready after {self.startup_timeout:.0f} s; see the logs named above")
                return 1
            time.sleep(0.5)
        say(f"ready: every process answers, {time.monotonic() - started:.0f} s after starting them")
        print(on_ready, flush=True)
        return self._watch()

    def _watch(self) -> int:
        while True:
            time.sleep(0.5)
            for child in self.children:
                code = child.exited()
                if code is None:
                    continue
                now = time.monotonic()
                while child.restarts and now - child.restarts[0] > RESTART_WINDOW_SECONDS:
                    child.restarts.popleft()
                if len(child.restarts) >= MAX_RESTARTS:
                    say(f"{child.name} died {MAX_RESTARTS + 1} times in {RESTART_WINDOW_SECONDS // 60} minutes; "
                        f"stopping the stack. Last lines of {child.log_path}:")
                    print(child.last_lines(), flush=True)
                    return 1
                delay = self.backoff_seconds * 2 ** len(child.restarts)
                child.restarts.append(now)
                say(f"{child.name} exited with code {code}; restarting in {delay:.0f} s "
                    f"(restart {len(child.restarts)} of {MAX_RESTARTS})")
                time.sleep(delay)
                child.start(self.env)

    def stop_all(self) -> None:
        for child in reversed(self.children):
            child.stop()
        sys.stdout.flush()
