"""`caunoi run` and `caunoi chat` as a newcomer uses them: the real processes, a private Redis, the trained model."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from bot.settings import PROJECT_ROOT
from bot.state.store import free_port, port_in_use

CAUNOI = [sys.executable, "-m", "bot"]


def stack_env(**extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("CAUNOI_") and key != "REDIS_URL"}
    env.update({
        "CAUNOI_HTTP_PORT": str(free_port()),
        "CAUNOI_RASA_URL": f"http://127.0.0.1:{free_port()}",
        "CAUNOI_ACTIONS_URL": f"http://127.0.0.1:{free_port()}",
    })
    env.update(extra)
    return env


def start_run(env: dict[str, str]) -> tuple[subprocess.Popen[str], list[str]]:
    """`caunoi run` with `env`, and what it printed until it was ready (or gave up, or 240 s passed)."""
    process = subprocess.Popen([*CAUNOI, "run"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True, cwd=PROJECT_ROOT)
    lines: list[str] = []
    assert process.stdout is not None
    deadline = time.monotonic() + 240
    for line in process.stdout:
        lines.append(line)
        if "Stop everything: Ctrl-C" in line or process.poll() is not None or time.monotonic() > deadline:
            break
    return process, lines


def welcome() -> dict[str, object]:
    """utter_welcome as the stack sends it: without CAUNOI_ORG_NAME, the sentence that names nobody."""
    responses = yaml.safe_load((PROJECT_ROOT / "content/vi/responses/smalltalk.yml").read_text(encoding="utf-8"))
    found = dict(responses["responses"]["utter_welcome"][0])
    unnamed = responses["responses"]["utter_operated_by_unnamed"][0]["text"]
    found["text"] = str(found["text"]).replace("{operated_by}", unnamed)
    return found


@pytest.fixture(scope="module")
def stack() -> Iterator[tuple[subprocess.Popen[str], dict[str, str], list[str]]]:
    env = stack_env()
    process, lines = start_run(env)
    assert any(line.startswith("caunoi: ready:") for line in lines), "".join(lines)
    yield process, env, lines
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)


@pytest.mark.stack
def test_run_says_where_everything_is(stack: tuple[subprocess.Popen[str], dict[str, str], list[str]]) -> None:
    _, env, lines = stack
    text = "".join(lines)
    assert "started a private Redis for this run (redis-server" in text
    assert f"http://127.0.0.1:{env['CAUNOI_HTTP_PORT']}" in text
    assert "caunoi chat" in text


@pytest.mark.stack
def test_chat_gets_the_trained_greeting_through_the_gateway(
        stack: tuple[subprocess.Popen[str], dict[str, str], list[str]]) -> None:
    _, env, _ = stack
    result = subprocess.run([*CAUNOI, "chat", "--once", "xin chào"], env=env, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    expected = welcome()
    buttons = "\n".join(f"   [{n}] {b['title']}" for n, b in enumerate(expected["buttons"], 1))  # type: ignore[arg-type]
    assert result.stdout.strip() == f"Cầu Nối: {expected['text']}\n{buttons}"


@pytest.mark.stack
def test_ctrl_c_stops_every_process(stack: tuple[subprocess.Popen[str], dict[str, str], list[str]]) -> None:
    process, env, _ = stack
    ports = [int(env["CAUNOI_HTTP_PORT"]), int(env["CAUNOI_RASA_URL"].rsplit(":", 1)[1]),
             int(env["CAUNOI_ACTIONS_URL"].rsplit(":", 1)[1])]
    assert all(port_in_use(port) for port in ports)
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=30) == 0
    assert not any(port_in_use(port) for port in ports)


def test_a_taken_port_is_one_clear_line_and_nothing_starts() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run([*CAUNOI, "run"], env=stack_env(CAUNOI_HTTP_PORT=str(port)), capture_output=True,
                                text=True, timeout=60, cwd=PROJECT_ROOT)
    assert result.returncode == 2
    assert result.stderr.strip() == (f"caunoi: port {port} (gateway) is already in use: stop what uses it or "
                                     "choose another with CAUNOI_HTTP_PORT")
    assert "Traceback" not in result.stdout + result.stderr


def test_unreachable_redis_is_one_clear_line() -> None:
    port = free_port()
    result = subprocess.run([*CAUNOI, "run"], env=stack_env(REDIS_URL=f"redis://127.0.0.1:{port}/0"),
                            capture_output=True, text=True, timeout=60, cwd=PROJECT_ROOT)
    assert result.returncode == 2
    assert result.stderr.strip().startswith(f"caunoi: Redis at redis://127.0.0.1:{port}/0 is not answering")
    assert len(result.stderr.strip().splitlines()) == 1


def test_bad_settings_are_one_clear_line() -> None:
    result = subprocess.run([*CAUNOI, "run"], env=stack_env(CAUNOI_HTTP_PORT="abc"), capture_output=True,
                            text=True, timeout=60, cwd=PROJECT_ROOT)
    assert result.returncode == 2
    assert result.stderr.strip() == "caunoi: CAUNOI_HTTP_PORT must be a whole number, got 'abc'"


def test_model_dir_is_where_training_put_it() -> None:
    # `make test` trains first; a missing model here means `caunoi run` would train, which the stack test covers.
    assert list(Path(PROJECT_ROOT / "models").glob("caunoi-*.tar.gz"))
