"""`caunoi run` and `caunoi chat` as a newcomer uses them: the real processes, a private Redis, the trained model."""

from __future__ import annotations

import signal
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from bot.cli.run import _rasa_urls
from bot.settings import PROJECT_ROOT, from_environment
from bot.state.store import free_port, port_in_use
from harness.stack import CAUNOI, stack_env, started


def welcome() -> dict[str, object]:
    """utter_welcome as the stack sends it: without CAUNOI_ORG_NAME, the sentence that names nobody; kept 30 days."""
    responses = yaml.safe_load((PROJECT_ROOT / "content/vi/responses/smalltalk.yml").read_text(encoding="utf-8"))
    found = dict(responses["responses"]["utter_welcome"][0])
    unnamed = responses["responses"]["utter_operated_by_unnamed"][0]["text"]
    found["text"] = str(found["text"]).replace("{operated_by}", unnamed).replace("{kept_days}", "30")
    return found


@pytest.fixture(scope="module")
def stack() -> Iterator[tuple[subprocess.Popen[str], dict[str, str], list[str]]]:
    env = stack_env()
    with started() as processes:
        run = processes.run(env, keep=True)
        run.wait_said("Stop everything: Ctrl-C", 240)  # the last line of what `caunoi run` says once ready
        assert any(line.startswith("caunoi: ready:") for line in run.lines), "".join(run.lines)
        yield run.popen, env, run.lines


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


def test_further_rasa_servers_take_every_second_port() -> None:
    """Never the port right after a Rasa's: outgoing connections are given that parity first (bot/cli/run.py)."""
    base = free_port()
    settings = from_environment({"CAUNOI_RASA_URL": f"http://127.0.0.1:{base}", "CAUNOI_RASA_SERVERS": "3"})
    ports = [int(url.rsplit(":", 1)[1]) for url in _rasa_urls(settings)]
    assert ports[0] == base and len(ports) == 3
    assert all((port - base) % 2 == 0 for port in ports) and len(set(ports)) == 3
