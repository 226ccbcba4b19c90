"""The stack as processes, started the way people and deployments start it: `caunoi run` (the supervisor with
Rasa, the action server and the gateway), `caunoi serve <part>` one part at a time, and the doubles that stand in
for the outside world in processes of their own (`python -m harness.botapi PORT`).

    with started() as stack:
        env = stack_env(REDIS_URL=..., CAUNOI_TELEGRAM_API_URL=...)
        gateway = stack.serve("gateway", env, log=tmp / "gateway.log")
        gateway.wait_answering(f"http://127.0.0.1:{env['CAUNOI_HTTP_PORT']}/readyz", 90)
    # every process is stopped here, in reverse order, however the block ended

Each process leads a session of its own, so that stopping it stops whatever it started; its output goes to a log
file, is kept in memory (`keep`), or is dropped. A wait on a process gives up as soon as the process has exited, with
its last lines.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from bot.settings import PROJECT_ROOT
from bot.state.store import free_port
from harness.wait import answers, until

CAUNOI = [sys.executable, "-m", "bot"]


def stack_env(**settings: str) -> dict[str, str]:
    """This process's environment without its own settings of the stack (CAUNOI_*, REDIS_URL, the load test's
    LOAD_*), with free ports for the gateway, Rasa and the action server; then `settings`."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("CAUNOI_", "LOAD_")) and key != "REDIS_URL"}
    env.update({
        "CAUNOI_HTTP_PORT": str(free_port()),
        "CAUNOI_RASA_URL": f"http://127.0.0.1:{free_port()}",
        "CAUNOI_ACTIONS_URL": f"http://127.0.0.1:{free_port()}",
        "RASA_TELEMETRY_ENABLED": "false",
    })
    env.update(settings)
    return env


@dataclass
class StackProcess:
    name: str
    popen: subprocess.Popen[str]
    log: Path | None = None
    lines: list[str] = field(default_factory=list)  # what it wrote, when kept (stdout, with stderr unless apart)
    errors: list[str] = field(default_factory=list)  # its stderr, when kept apart
    stop_signal: int = signal.SIGTERM
    _readers: list[threading.Thread] = field(default_factory=list)

    @property
    def pid(self) -> int:
        return self.popen.pid

    def tail(self, count: int = 20) -> str:
        if self.log is not None:
            return "\n".join(self.log.read_text(encoding="utf-8", errors="replace").splitlines()[-count:])
        return "".join([*self.lines, *self.errors][-count:])

    def exited(self) -> str | None:
        """Why waiting for this process is pointless (it has exited, saying this), or None while it runs."""
        code = self.popen.poll()
        if code is None:
            return None
        for reader in self._readers:  # its last lines may still be in the pipe
            reader.join(timeout=5)
        return f"{self.name} exited with code {code}:\n{self.tail()}"

    def wait_answering(self, url: str, timeout: float) -> None:
        """Until a GET of `url` answers 200 (/readyz: until the process is ready)."""
        until(lambda: answers(url), timeout, f"{self.name} to answer {url}", every=0.2, stop=self.exited)

    def wait_said(self, text: str, timeout: float) -> str:
        """Until the process wrote a line that holds `text` (its output must be kept); that line."""
        def said() -> str | None:
            return next((line for line in list(self.lines) if text in line), None)

        return until(said, timeout, f"{self.name} to say {text!r}", every=0.1, stop=self.exited)

    def stop(self, timeout: float = 30.0) -> None:
        """Its stop signal to its whole session (`caunoi run`: Ctrl-C), then SIGKILL if it is still there."""
        self.signal()
        self.finish(timeout)

    def signal(self) -> None:
        if self.popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pid, self.stop_signal)

    def finish(self, timeout: float) -> None:
        """Waits for it to end after its stop signal; SIGKILL to its session if it has not after `timeout`."""
        try:
            self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pid, signal.SIGKILL)
            self.popen.wait(timeout=10)
        for reader in self._readers:
            reader.join(timeout=10)

    def output(self) -> list[str]:
        """Every line it wrote (once stopped: all of them), stdout first."""
        return [line.rstrip("\n") for line in [*self.lines, *self.errors]]


class Stack:
    """Processes started together; `stop()` stops them in reverse order."""

    def __init__(self) -> None:
        self.processes: list[StackProcess] = []

    def start(self, name: str, command: list[str], env: dict[str, str], *, log: Path | None = None,
              keep: bool = False, apart: bool = False, stop_signal: int = signal.SIGTERM,
              cwd: Path = PROJECT_ROOT) -> StackProcess:
        """`command` with `env`, in the project's folder (or `cwd`: another checkout, bench/compare.py). Its output
        goes to `log`, or is kept in memory (`keep`; stderr in `errors` with `apart`, for a check of every line of
        each stream), or is dropped."""
        if log is not None:
            with log.open("wb") as out:
                popen = subprocess.Popen(command, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=out,
                                         stderr=subprocess.STDOUT, start_new_session=True, text=True)
        else:
            kept = subprocess.PIPE if keep else subprocess.DEVNULL
            popen = subprocess.Popen(command, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=kept,
                                     stderr=subprocess.PIPE if keep and apart else
                                     subprocess.STDOUT if keep else subprocess.DEVNULL,
                                     start_new_session=True, text=True, encoding="utf-8", errors="replace")
        process = StackProcess(name, popen, log, stop_signal=stop_signal)
        for stream, lines in ((popen.stdout, process.lines), (popen.stderr, process.errors)):
            if stream is not None:  # drained all the time: a full pipe would block the process
                reader = threading.Thread(target=_read, args=(stream, lines), daemon=True)
                reader.start()
                process._readers.append(reader)
        self.processes.append(process)
        return process

    def run(self, env: dict[str, str], *, log: Path | None = None, keep: bool = False) -> StackProcess:
        """`caunoi run`, stopped as a person stops it: Ctrl-C."""
        return self.start("caunoi run", [*CAUNOI, "run"], env, log=log, keep=keep, stop_signal=signal.SIGINT)

    def serve(self, part: str, env: dict[str, str], *arguments: str, log: Path | None = None, keep: bool = False,
              apart: bool = False) -> StackProcess:
        """`caunoi serve <part>`, as docker-compose runs each part, stopped as docker stops it: SIGTERM."""
        return self.start(part, [*CAUNOI, "serve", part, *arguments], env, log=log, keep=keep, apart=apart)

    def bot_api(self, port: int, *, log: Path | None = None) -> StackProcess:
        """The Telegram Bot API double in a process of its own, on `port`."""
        process = self.start("the Bot API double", [sys.executable, "-m", "harness.botapi", str(port)],
                             dict(os.environ), log=log)
        process.wait_answering(f"http://127.0.0.1:{port}/load/methods", 60)
        return process

    def exited(self) -> str | None:
        """Why waiting for the stack is pointless: the first of its processes that has exited, or None."""
        return next((reason for process in self.processes if (reason := process.exited())), None)

    def wait_answering(self, url: str, timeout: float) -> None:
        """Until a GET of `url` answers 200; gives up as soon as any process of the stack has exited."""
        until(lambda: answers(url), timeout, f"{url} to answer", every=0.2, stop=self.exited)

    def stop(self, timeout: float = 30.0) -> None:
        """Every process gets its stop signal, the last started first; then each has `timeout` to end."""
        for process in reversed(self.processes):
            process.signal()
        for process in reversed(self.processes):
            process.finish(timeout)


@contextlib.contextmanager
def started() -> Iterator[Stack]:
    stack = Stack()
    try:
        yield stack
    finally:
        stack.stop()


def _read(stream: IO[str], lines: list[str]) -> None:
    for line in stream:
        lines.append(line)
