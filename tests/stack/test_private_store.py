"""The private Redis of `caunoi run` without REDIS_URL: append-only, restarted on its file when it dies, gone after."""

from __future__ import annotations

import contextlib
import os
import time
from urllib.parse import urlsplit

import psutil
import pytest
import redis

from bot.store import port_in_use, private_store


def server_on(port: int) -> psutil.Process:
    for process in psutil.Process().children():
        with contextlib.suppress(psutil.Error):
            if any(c.laddr and c.laddr.port == port and c.status == psutil.CONN_LISTEN
                   for c in process.net_connections(kind="inet")):
                return process
    raise AssertionError(f"no child process listens on {port}")


def answers(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False


def test_a_killed_private_store_comes_back_with_what_it_acknowledged(capsys: pytest.CaptureFixture[str]) -> None:
    with private_store() as store:
        port = int(urlsplit(store.url).port or 0)
        client = redis.Redis.from_url(store.url, decode_responses=True, socket_connect_timeout=0.5, socket_timeout=2)
        assert client.config_get("appendonly") == {"appendonly": "yes"}
        folder = client.config_get("dir")["dir"]
        client.rpush("caunoi:inbox:tg:1", "một", "hai")
        first = server_on(port)
        first.kill()  # SIGKILL: no shutdown, no final write
        first.wait(timeout=5)
        deadline = time.monotonic() + 10
        while not answers(client):
            assert time.monotonic() < deadline, "the private store was not restarted"
            time.sleep(0.05)
        assert server_on(port).pid != first.pid
        assert client.lrange("caunoi:inbox:tg:1", 0, -1) == ["một", "hai"]
        client.close()
    assert "the private Redis exited with code" in capsys.readouterr().out
    assert not port_in_use(port)
    assert not os.path.exists(folder)


def test_the_private_store_needs_the_runs_password_which_is_on_no_command_line() -> None:
    with private_store() as store:
        parts = urlsplit(store.url)
        assert parts.password and len(parts.password) >= 24
        assert parts.password not in store.display() and parts.password not in repr(store.display())
        without = redis.Redis(host="127.0.0.1", port=parts.port or 0, socket_connect_timeout=0.5)
        with pytest.raises(redis.AuthenticationError):
            without.hset("caunoi:session:forged", mapping={"username": "lan"})  # what a local user did
        with pytest.raises(redis.AuthenticationError):
            redis.Redis(host="127.0.0.1", port=parts.port or 0, password="guessed").ping()
        without.close()
        assert redis.Redis.from_url(store.url).ping()
        server = server_on(parts.port or 0)
        assert parts.password not in " ".join(server.cmdline())
        config = [path for path in os.listdir(redis.Redis.from_url(store.url).config_get("dir")["dir"])
                  if path.endswith(".conf")]
        folder = redis.Redis.from_url(store.url).config_get("dir")["dir"]
        assert config and all(os.stat(os.path.join(folder, name)).st_mode & 0o077 == 0 for name in config)
        assert os.stat(folder).st_mode & 0o077 == 0
