"""Two gateway processes (`caunoi serve gateway`, two uvicorn servers) behind one Redis and one Rasa.

The same check as tests/gateway/test_two_workers.py, across processes: updates spread over both (some delivered to
both at once, as a redelivery would be) reach Rasa once each and are answered once each, in the order written.
Rasa and the action server are one small HTTP stand-in (echoes; /status and /health answer 200). And of two
operators claiming one conversation through the two processes at the same moment, exactly one wins.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis
import redis.asyncio
import uvicorn
from cryptography.fernet import Fernet
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from bot.console.operators import OperatorStore
from bot.settings import PROJECT_ROOT, Secret
from bot.state import keys
from bot.state.queue import Case, HandoffQueue
from bot.state.store import free_port
from tests.channels.botapi import TOKEN, FakeBotAPI, text_update
from tests.console.harness import CHEAP_HASHER, PASSWORD

pytestmark = pytest.mark.stack
WEBHOOK_SECRET = "two-processes-secret"
CONVERSATIONS = 12
MESSAGES = 5
FIRST_CHAT = 990_000


class EchoRasa:
    """Rasa's REST channel (echo after a short random pause) and health endpoints, served from a thread."""

    def __init__(self) -> None:
        self.turns: list[tuple[str, str]] = []
        self._lock = threading.Lock()
        self.port = free_port()
        app = Starlette(routes=[Route("/webhooks/rest/webhook", self._turn, methods=["POST"]),
                                Route("/status", self._ok), Route("/health", self._ok)])
        self._server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning",
                                                     lifespan="off", access_log=False, ws="none", loop="asyncio"))
        self._thread = threading.Thread(target=self._server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            assert time.monotonic() < deadline, "the Rasa stand-in did not start"
            time.sleep(0.01)

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=5)

    async def _ok(self, request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    async def _turn(self, request: Request) -> JSONResponse:
        body = json.loads(await request.body())
        with self._lock:
            self.turns.append((body["sender"], body["message"]))
        await asyncio.sleep(random.uniform(0.0, 0.01))
        return JSONResponse([{"recipient_id": body["sender"], "text": f"Đã nhận: {body['message']}"}])


@pytest.fixture
def rasa() -> Iterator[EchoRasa]:
    server = EchoRasa()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def gateways(redis_url: str, bot_api: FakeBotAPI, rasa: EchoRasa, tmp_path: Path) -> Iterator[list[tuple[str, Path]]]:
    """Two gateway processes; each is its base URL and its log file."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("CAUNOI_") and key != "REDIS_URL"}
    env.update({"REDIS_URL": redis_url, "CAUNOI_RASA_URL": rasa.url, "CAUNOI_ACTIONS_URL": rasa.url,
                "CAUNOI_TELEGRAM_TOKEN": TOKEN, "CAUNOI_TELEGRAM_API_URL": bot_api.url,
                "CAUNOI_TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET, "CAUNOI_SECRET_KEY": "two-processes-secret-key",
                "CAUNOI_RASA_TOKEN": "two-processes-rasa-token",
                "CAUNOI_DATA_KEYS": Fernet.generate_key().decode("ascii")})
    running: list[tuple[subprocess.Popen[bytes], str, Path]] = []
    try:
        for name in ("one", "two"):
            port, log = free_port(), tmp_path / f"gateway-{name}.log"
            with log.open("wb") as out:
                process = subprocess.Popen([sys.executable, "-m", "bot", "serve", "gateway"],
                                           env={**env, "CAUNOI_HTTP_PORT": str(port)}, cwd=PROJECT_ROOT,
                                           stdout=out, stderr=subprocess.STDOUT)
            running.append((process, f"http://127.0.0.1:{port}", log))
        for process, url, log in running:
            deadline = time.monotonic() + 90
            while not ready(url):
                assert process.poll() is None, log.read_text(errors="replace")[-2000:]
                assert time.monotonic() < deadline, "a gateway process did not become ready"
                time.sleep(0.2)
        yield [(url, log) for _, url, log in running]
    finally:
        for process, _, _ in running:
            process.terminate()
        for process, _, _ in running:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def ready(url: str) -> bool:
    try:
        return httpx.get(f"{url}/readyz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


async def test_two_gateway_processes_process_each_update_once_and_answer_in_order(
        gateways: list[tuple[str, Path]], rasa: EchoRasa, bot_api: FakeBotAPI, redis_url: str) -> None:
    urls = [url for url, _ in gateways]
    rng = random.Random(9)

    async with httpx.AsyncClient(timeout=15, headers={"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}) as http:
        async def deliver(url: str, update: dict[str, object]) -> int:
            return (await http.post(f"{url}/webhooks/telegram", json=update)).status_code

        async def one_person(chat: int) -> list[int]:
            statuses = []
            for n in range(MESSAGES):
                update = text_update(chat, f"tin nhắn {n}")
                first, other = urls[(chat + n) % 2], urls[1 - (chat + n) % 2]
                if rng.random() < 0.4:  # redelivered to the other process at the same moment
                    statuses += await asyncio.gather(deliver(first, update), deliver(other, update))
                else:
                    statuses.append(await deliver(first, update))
            return statuses

        chats = [FIRST_CHAT + index for index in range(CONVERSATIONS)]
        results = await asyncio.gather(*(one_person(chat) for chat in chats))
    assert all(status == 200 for statuses in results for status in statuses)
    assert sum(len(statuses) for statuses in results) > CONVERSATIONS * MESSAGES, "no update was delivered twice"

    client = redis.Redis.from_url(redis_url)
    deadline = time.monotonic() + 60
    while client.zcard(keys.INBOX_PENDING) or len(bot_api.called("sendMessage")) < CONVERSATIONS * MESSAGES:
        assert time.monotonic() < deadline, "the two gateways did not finish"
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.5)  # a double reply, if any, would arrive now
    client.close()

    expected = [f"tin nhắn {n}" for n in range(MESSAGES)]
    for chat in chats:
        assert [message for sender, message in rasa.turns if sender == f"tg:{chat}"] == expected
        sent = [call["text"] for call in bot_api.called("sendMessage") if call["chat_id"] == str(chat)]
        assert sent == [f"Đã nhận: {text}" for text in expected]
    turns = [log.read_text(errors="replace").count("turn conversation=") for _, log in gateways]
    assert sum(turns) == CONVERSATIONS * MESSAGES and all(turns), f"turns per process: {turns}"


async def test_two_operators_claiming_through_two_processes_at_once_one_wins(
        gateways: list[tuple[str, Path]], bot_api: FakeBotAPI, redis_client: redis.asyncio.Redis) -> None:
    (one, _), (two, _) = gateways
    operators = OperatorStore(redis_client, Secret("two-processes-secret-key"), CHEAP_HASHER)
    sessions = []
    for name, url in (("lan", one), ("minh", two)):
        await operators.add(name, "operator", PASSWORD)
        http = httpx.AsyncClient(base_url=url, timeout=15)
        login = await http.post("/api/login", json={"username": name, "password": PASSWORD})
        assert login.status_code == 200, login.text
        http.headers["X-CSRF-Token"] = login.json()["csrf_token"]
        sessions.append((name, http))
    queue = HandoffQueue(redis_client)
    try:
        for round_ in range(15):
            chat = FIRST_CHAT + 500 + round_
            await queue.enqueue(Case(f"tg:{chat}", "telegram", "high", ("thử",)))
            order = sessions if round_ % 2 else sessions[::-1]
            answers = await asyncio.gather(*(http.post(f"/api/conversations/tg:{chat}/claim")
                                             for _, http in order))
            codes = [answer.status_code for answer in answers]
            assert sorted(codes) == [200, 409], [answer.text for answer in answers]
            assert await queue.holder(f"tg:{chat}") == order[codes.index(200)][0]
            deadline = time.monotonic() + 10
            while not [c for c in bot_api.called("sendMessage") if c["chat_id"] == str(chat)]:
                assert time.monotonic() < deadline, "the person was not told someone joined"
                await asyncio.sleep(0.02)
            await asyncio.sleep(0.2)
            assert len([c for c in bot_api.called("sendMessage") if c["chat_id"] == str(chat)]) == 1
    finally:
        for _, http in sessions:
            await http.aclose()
