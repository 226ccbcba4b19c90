"""The real stack for the fault tests, with handles to hurt it: `caunoi run` (started by harness/stack.py) against a
Redis this module starts (AOF on, in a temporary folder, never the machine's shared Redis), Telegram through the Bot
API double.

    with FaultStack.start(tmp_dir) as stack:
        stack.say(4201, "xin chào")           # a Telegram update through the webhook; waits until it was processed
        stack.kill_child("rasa")              # SIGKILL; `caunoi run`'s supervisor restarts it
        stack.kill_redis(); stack.start_redis()
"""

from __future__ import annotations

import contextlib
import signal
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psutil
import redis
from cryptography.fernet import Fernet

from bot.settings import PROJECT_ROOT
from bot.state import keys
from bot.state.store import free_port
from harness.botapi import TOKEN, FakeBotAPI, text_update
from harness.stack import CAUNOI, Stack, StackProcess, stack_env, started
from harness.wait import until

WEBHOOK_SECRET = "fault-test_secret"
OPERATOR = "lan"
FIRST_PASSWORD = "mat-khau-dau-tien-kiem-thu"  # given by `caunoi operator add`: temporary, only to choose one's own
OPERATOR_PASSWORD = "mat-khau-kiem-thu-loi-1"
STARTUP_SECONDS = 180.0
# Which setting holds the port each child of `caunoi run` listens on: a child is found by its port, whatever
# command line `caunoi serve` gives it.
CHILD_PORTS = {"rasa": "CAUNOI_RASA_URL", "actions": "CAUNOI_ACTIONS_URL", "gateway": "CAUNOI_HTTP_PORT"}


class StackFailed(AssertionError):
    pass


@dataclass
class FaultStack:
    workdir: Path
    api: FakeBotAPI
    redis_port: int
    env: dict[str, str]
    processes: Stack
    redis_process: subprocess.Popen[bytes] | None = None
    run: StackProcess | None = None
    password_chosen: bool = False  # the operator has replaced the first password with their own

    # -- start and stop ---------------------------------------------------------------------------------------------

    @classmethod
    @contextlib.contextmanager
    def start(cls, workdir: Path) -> Iterator[FaultStack]:
        api = FakeBotAPI()
        api.start()
        redis_port = free_port()
        env = stack_env(
            REDIS_URL=f"redis://127.0.0.1:{redis_port}/0",
            CAUNOI_TELEGRAM_TOKEN=TOKEN,
            CAUNOI_TELEGRAM_WEBHOOK_SECRET=WEBHOOK_SECRET,
            CAUNOI_TELEGRAM_API_URL=api.url,
            CAUNOI_SECRET_KEY="fault-test-secret-key-0123456789",
            # a REDIS_URL stack needs one (bot/state/sealed.py)
            CAUNOI_DATA_KEYS=Fernet.generate_key().decode("ascii"),
            # One Rasa server: "Rasa killed" then means no Rasa at all (with two, the gateway moves the conversation
            # to the other one, bot/gateway/rasa_client.py).
            CAUNOI_RASA_SERVERS="1",
        )
        with started() as processes:
            stack = cls(workdir, api, redis_port, env, processes)
            try:
                stack.start_redis()
                stack._add_operator()
                stack.run = processes.run(env, keep=True)
                stack.run.wait_said("caunoi: ready:", STARTUP_SECONDS)
                yield stack
            finally:
                processes.stop(timeout=40)
                stack.kill_redis(signal.SIGTERM)
                api.stop()

    def start_redis(self) -> None:
        """redis-server with AOF as docker-compose runs it; restarted on the same folder it finds its data there."""
        self.redis_process = subprocess.Popen(
            ["redis-server", "--port", str(self.redis_port), "--bind", "127.0.0.1", "--appendonly", "yes",
             "--appendfsync", "everysec", "--save", "", "--dir", str(self.workdir), "--logfile",
             str(self.workdir / "redis.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)

        def answers() -> bool:
            with contextlib.suppress(redis.RedisError):
                return bool(self.redis().ping())
            return False

        until(answers, 15, "the test's redis-server to answer")

    def kill_redis(self, sig: int = signal.SIGKILL) -> None:
        process = self.redis_process
        if process is not None and process.poll() is None:
            process.send_signal(sig)
            process.wait(timeout=10)
        self.redis_process = None

    def redis(self) -> redis.Redis:
        return redis.Redis(port=self.redis_port, decode_responses=True, socket_connect_timeout=1, socket_timeout=5)

    def _add_operator(self) -> None:
        result = subprocess.run([*CAUNOI, "operator", "add", OPERATOR, "--role", "supervisor",
                                 "--password-stdin"], input=FIRST_PASSWORD, env=self.env, text=True,
                                capture_output=True, timeout=60, cwd=PROJECT_ROOT)
        if result.returncode != 0:
            raise StackFailed(f"caunoi operator add failed: {result.stderr}")

    # -- watching it ------------------------------------------------------------------------------------------------

    @property
    def output(self) -> list[str]:
        """What `caunoi run` printed so far."""
        return self.run.lines if self.run is not None else []

    def wait_until(self, condition: Any, timeout: float, what: str) -> None:
        until(condition, timeout, what, every=0.2, stop=self.run.exited if self.run is not None else None)

    def child(self, name: str) -> psutil.Process:
        """The running process of one child of `caunoi run`: the child of its supervisor listening on its port."""
        assert self.run is not None
        port = int(self.env[CHILD_PORTS[name]].rsplit(":", 1)[-1])
        for process in psutil.Process(self.run.pid).children():
            with contextlib.suppress(psutil.Error):
                if any(c.laddr and c.laddr.port == port and c.status == psutil.CONN_LISTEN
                       for c in process.net_connections(kind="inet")):
                    return process
        raise StackFailed(f"no {name} process listening on port {port} under `caunoi run`")

    def kill_child(self, name: str) -> int:
        """SIGKILLs a child (a crash, no clean-up) and returns its pid."""
        process = self.child(name)
        process.kill()
        process.wait(timeout=10)
        return int(process.pid)

    def ready(self) -> dict[str, Any]:
        try:
            response = httpx.get(f"{self.base_url}/readyz", timeout=5)
        except httpx.HTTPError as error:
            return {"status": type(error).__name__}
        body: dict[str, Any] = response.json()
        return body

    def wait_ready(self, timeout: float = 120.0) -> None:
        self.wait_until(lambda: self.ready().get("status") == "ready", timeout, "every process to answer /readyz")

    def restarted(self, name: str) -> bool:
        return any(line.startswith(f"caunoi: {name} exited with code") and "restarting" in line
                   for line in self.output)

    # -- talking to it ----------------------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.env['CAUNOI_HTTP_PORT']}"

    def deliver(self, update: dict[str, Any]) -> int:
        """Posts one update as Telegram would; the HTTP status Telegram would see (anything but 2xx: it retries)."""
        try:
            response = httpx.post(f"{self.base_url}/webhooks/telegram", json=update, timeout=15,
                                  headers={"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET})
        except httpx.HTTPError:
            return 0
        return response.status_code

    def settle(self, timeout: float = 60.0) -> None:
        """Waits until the gateway has processed everything it accepted."""
        client = self.redis()
        try:
            self.wait_until(lambda: client.zcard(keys.INBOX_PENDING) == 0, timeout, "the inbox to drain")
        finally:
            client.close()

    def say(self, chat: int, text: str, timeout: float = 60.0) -> dict[str, Any]:
        """One message from the person, processed; the update that carried it (to redeliver it)."""
        update = text_update(chat, text)
        status = self.deliver(update)
        if status != 200:
            raise StackFailed(f"the webhook answered {status} to a message")
        self.settle(timeout)
        return update

    def seen(self, chat: int) -> list[str]:
        """Every text the person in `chat` was sent, in order."""
        return [str(call["text"]) for call in self.api.called("sendMessage") if str(call["chat_id"]) == str(chat)]

    def transcript(self, console: httpx.Client, chat: int) -> list[dict[str, Any]]:
        """The conversation as the operator console shows it (the newest entries)."""
        response = console.get(f"/api/conversations/tg:{chat}")
        if response.status_code != 200:
            raise StackFailed(f"reading the conversation failed: {response.status_code} {response.text}")
        entries: list[dict[str, Any]] = response.json()["transcript"]
        return entries

    def login(self) -> httpx.Client:
        """An operator's console session (a cookie and the CSRF token as a header)."""
        http = httpx.Client(base_url=self.base_url, timeout=15)
        password = OPERATOR_PASSWORD if self.password_chosen else FIRST_PASSWORD
        response = http.post("/api/login", json={"username": OPERATOR, "password": password})
        if response.status_code != 200:
            raise StackFailed(f"console login failed: {response.status_code} {response.text}")
        http.headers["X-CSRF-Token"] = response.json()["csrf_token"]
        if response.json()["must_change_password"]:  # the first log-in, as the README says
            response = http.post("/api/account/password", json={"current_password": FIRST_PASSWORD,
                                                                  "new_password": OPERATOR_PASSWORD})
            if response.status_code != 200:
                raise StackFailed(f"choosing the operator's password failed: {response.status_code} {response.text}")
            http.headers["X-CSRF-Token"] = response.json()["csrf_token"]
            self.password_chosen = True
        return http
