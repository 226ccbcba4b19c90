"""The README's path, as a newcomer follows it: the commands of its `readme-path` blocks, run as written and in order.

`make run` in one terminal (here: a process group this test stops with Ctrl-C), then the account commands in a
second one (a pseudo-terminal here, as a person's), finding the run's store through run/local.json with no
REDIS_URL; each prints a first password. Then what the README says happens: log in to the console it printed with
that password, choose one's own, a person writes on Telegram (the Bot API double) and is escalated by the real bot,
the operator claims, replies (the reply reaches Telegram), and closes. Change the README's commands and this test
runs the new ones.

Only the ports (and the Telegram test double's address) come from the environment, so that the test never collides
with a `make run` of the developer's own on port 8000.
"""

from __future__ import annotations

import os
import pty
import re
import select
import signal
import subprocess
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from bot.settings import PROJECT_ROOT
from bot.state.store import LOCAL_RUN, free_port
from harness.botapi import TOKEN, FakeBotAPI, text_update

MARK = "<!-- readme-path -->"
WEBHOOK_SECRET = "readme-path-webhook-secret"
PASSWORD = "mật khẩu riêng của chị Lan"  # the one she chooses at her first log-in
PERSON_CHAT = 5550101
DANGER = "cuu toi voi bi giu ho chieu o campuchia"  # the README's own example of someone in danger
STARTUP_SECONDS = 300


def readme_commands() -> list[str]:
    """Every command of the marked blocks, in the README's order (comments and blank lines left out)."""
    text = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(re.escape(MARK) + r"\s*```sh\n(.*?)```", text, flags=re.S)
    assert len(blocks) == text.count(MARK), "every readme-path mark must sit right above a ```sh block"
    commands = [line.split(" #", 1)[0].strip() for block in blocks for line in block.splitlines()]
    return [command for command in commands if command and not command.startswith("#")]


def test_the_readme_marks_its_path() -> None:
    commands = readme_commands()
    assert commands[0] == "make run"
    assert any(re.search(r"caunoi operator add \S+ --role supervisor", command) for command in commands)


def typed(command: str, env: dict[str, str], answers: list[tuple[str, str]], timeout: float = 120) -> tuple[int, str]:
    """Runs `command` in a shell on a pseudo-terminal, answering each prompt as a person would type it; its exit
    status and everything it printed."""
    pid, terminal = pty.fork()
    if pid == 0:  # the child: the shell, with the pseudo-terminal as its controlling terminal
        os.chdir(PROJECT_ROOT)
        os.execvpe("bash", ["bash", "-c", command], env)
    output, pending = "", list(answers)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([terminal], [], [], 0.5)
            if ready:
                try:
                    chunk = os.read(terminal, 4096).decode("utf-8", "replace")
                except OSError:  # the child closed the terminal: it is done
                    break
                if not chunk:
                    break
                output += chunk
            while pending and pending[0][0] in output.rsplit("\n", 1)[-1]:
                os.write(terminal, (pending.pop(0)[1] + "\n").encode())
                output += "\n"
    finally:
        os.close(terminal)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), output


@pytest.fixture
def telegram() -> Iterator[FakeBotAPI]:
    api = FakeBotAPI()
    api.start()
    yield api
    api.stop()


@pytest.mark.stack
def test_from_a_fresh_clone_to_a_claimed_conversation_following_the_readme(telegram: FakeBotAPI) -> None:
    commands = readme_commands()
    assert commands[0] == "make run"
    assert not LOCAL_RUN.exists(), "run/local.json exists: is a `make run` of your own running? stop it first"
    env = {key: value for key, value in os.environ.items() if not key.startswith("CAUNOI_") and key != "REDIS_URL"}
    env.update({"CAUNOI_HTTP_PORT": str(free_port()), "CAUNOI_RASA_URL": f"http://127.0.0.1:{free_port()}",
                "CAUNOI_ACTIONS_URL": f"http://127.0.0.1:{free_port()}", "TERM": "dumb"})
    run_env = {**env, "CAUNOI_TELEGRAM_TOKEN": TOKEN, "CAUNOI_TELEGRAM_API_URL": telegram.url,
               "CAUNOI_TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET}

    run = subprocess.Popen(["bash", "-c", commands[0]], env=run_env, cwd=PROJECT_ROOT, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, start_new_session=True)
    printed: list[str] = []
    started = threading.Event()

    def read() -> None:
        assert run.stdout is not None
        for line in run.stdout:  # drained all the time: a full pipe would stop the run
            printed.append(line)
            if "Stop everything: Ctrl-C" in line:
                started.set()
        started.set()

    threading.Thread(target=read, daemon=True).start()
    try:
        assert started.wait(STARTUP_SECONDS) and run.poll() is None, "".join(printed)
        output = "".join(printed)
        assert "caunoi: ready:" in output, output
        console = re.search(r"operator console\s+(http://\S+)/console/", output)
        assert console, output
        assert "No console account yet" in output  # the run says what to do first

        first_passwords = {}
        for command in commands[1:]:
            status, said = typed(command, env, [])
            assert status == 0, f"{command}\n{said}"
            assert "REDIS_URL is not set" not in said
            added = re.search(r"operator add (\S+)", command)
            if added:
                first = re.search(r"first password \(shown once[^)]*\): (\S+)", said)
                assert first, said
                first_passwords[added[1]] = first[1]
        supervisor = next(re.search(r"operator add (\S+) --role supervisor", c)[1]  # type: ignore[index]
                          for c in commands if re.search(r"operator add \S+ --role supervisor", c))

        with httpx.Client(base_url=console[1], timeout=30) as http:
            assert "Đăng nhập" in http.get("/console/").text
            login = http.post("/api/login", json={"username": supervisor, "password": first_passwords[supervisor]})
            assert login.status_code == 200, login.text
            assert login.json()["must_change_password"] is True
            http.headers["X-CSRF-Token"] = login.json()["csrf_token"]
            assert http.get("/api/queue").status_code == 403  # her own password first, as the README says
            own = http.post("/api/account/password", json={"current_password": first_passwords[supervisor],
                                                            "new_password": PASSWORD})
            assert own.status_code == 200, own.text
            http.headers["X-CSRF-Token"] = own.json()["csrf_token"]

            delivered = http.post("/webhooks/telegram", json=text_update(PERSON_CHAT, DANGER),
                                  headers={"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET})
            assert delivered.status_code == 200
            conversation = f"tg:{PERSON_CHAT}"
            waiting = wait_for(lambda: [c for c in http.get("/api/queue").json()["waiting"]
                                        if c["id"] == conversation], "the person to be escalated into the queue")
            assert waiting[0]["risk"] == "high"

            path = f"/api/conversations/{conversation}"
            assert http.post(f"{path}/claim").json()["operator"] == supervisor
            reply = "Chào bạn, mình đang ở đây. Bạn có an toàn để nhắn tin không?"
            assert http.post(f"{path}/messages", json={"text": reply}).json() == {"delivered": True}
            assert reply in sent_to(telegram, PERSON_CHAT)
            closed = http.post(f"{path}/close", json={"outcome": "informed"})
            assert closed.status_code == 200 and closed.json() == {"state": "bot"}
            assert http.get(path).json()["state"] == "bot"
    finally:
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGINT)  # Ctrl-C in the first terminal
            try:
                run.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(run.pid, signal.SIGKILL)
                run.wait()
    assert not LOCAL_RUN.exists()  # the stopped run took its file away


def sent_to(telegram: FakeBotAPI, chat: int) -> list[str]:
    return [str(call["text"]) for call in telegram.called("sendMessage") if str(call["chat_id"]) == str(chat)]


def wait_for(found: object, what: str, timeout: float = 120) -> list[dict[str, object]]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = found()  # type: ignore[operator]
        if value:
            return value  # type: ignore[no-any-return]
        time.sleep(0.25)
    raise AssertionError(f"waited {timeout:.0f} s for {what}")
