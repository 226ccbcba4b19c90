"""The private Redis of `caunoi run` without REDIS_URL: append-only, restarted on its file when it dies, gone after."""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
from pathlib import Path
from urllib.parse import urlsplit

import psutil
import pytest
import redis
import redis.asyncio

from bot.cli import main
from bot.console.operators import OperatorStore
from bot.settings import Secret, get_settings
from bot.state import store as store_module
from bot.state.store import adopt_local_run, port_in_use, private_store, published, unused_local_run
from harness.wait import until


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
        until(lambda: answers(client), 10, "the private store to be restarted")
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


def test_cli_commands_find_a_running_runs_store_password_and_keys(monkeypatch: pytest.MonkeyPatch,
                                                                   tmp_path: Path) -> None:
    monkeypatch.setattr(store_module, "LOCAL_RUN", tmp_path / "local.json")
    for name in ("REDIS_URL", "CAUNOI_SECRET_KEY"):
        monkeypatch.setenv(name, "")  # unset, and put back as it was after the test
    get_settings.cache_clear()
    try:
        with private_store() as store:
            env = {"REDIS_URL": store.url, "CAUNOI_SECRET_KEY": "the-runs-secret-key",
                   "CAUNOI_DATA_KEYS": os.environ["CAUNOI_DATA_KEYS"]}
            with published(env):
                assert (tmp_path / "local.json").stat().st_mode & 0o777 == 0o600
                monkeypatch.setattr("sys.stdin", io.StringIO("mot-mat-khau-dai-9\n"))
                assert main(["operator", "add", "lan", "--role", "supervisor", "--password-stdin"]) == 0
                client = redis.asyncio.Redis.from_url(store.url, decode_responses=True)
                lan = asyncio.run(OperatorStore(client, Secret("the-runs-secret-key")).get("lan"))
                assert lan is not None and lan.supervisor  # signed with the run's key, in the run's store
            assert not (tmp_path / "local.json").exists()
    finally:
        get_settings.cache_clear()


def test_a_stale_or_foreign_run_file_is_not_taken(tmp_path: Path) -> None:
    path = tmp_path / "local.json"
    with published({"REDIS_URL": "redis://:pw@127.0.0.1:1/0"}, path):
        environ: dict[str, str] = {}
        assert adopt_local_run(environ, path) and environ["REDIS_URL"] == "redis://:pw@127.0.0.1:1/0"
        path.chmod(0o644)
        assert not adopt_local_run({}, path)  # readable by others: not this user's run as it writes it
        path.chmod(0o600)
        assert not adopt_local_run({"REDIS_URL": "redis://elsewhere:6379/0"}, path)  # REDIS_URL set: used as is
    path.write_text('{"pid": 999999999, "REDIS_URL": "redis://:pw@127.0.0.1:1/0"}', encoding="utf-8")
    path.chmod(0o600)
    assert not adopt_local_run({}, path)  # the run that wrote it is gone
    assert "has stopped" in (unused_local_run(path) or "")  # and the command says why it is not used
    assert unused_local_run(tmp_path / "absent.json") is None
