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
