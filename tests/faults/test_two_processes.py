"""Two gateway processes (`caunoi serve gateway`, two uvicorn servers) behind one Redis and one Rasa.

The same check as tests/gateway/test_two_workers.py, across processes: updates spread over both (some delivered to
both at once, as a redelivery would be) reach Rasa once each and are answered once each, in the order written.
Rasa and the action server are the fake Rasa served on a real port (it echoes; /status and /health answer 200).
And of two operators claiming one conversation through the two processes at the same moment, exactly one wins.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import httpx
import pytest
import redis
import redis.asyncio
from cryptography.fernet import Fernet

from bot.console.operators import OperatorStore
from bot.settings import Secret
from bot.state import keys
from bot.state.queue import Case, HandoffQueue
from bot.state.store import free_port
from harness.botapi import TOKEN, FakeBotAPI, text_update
from harness.rasa import FakeRasa
from harness.stack import stack_env, started
from harness.wait import until_async
from tests.console.harness import CHEAP_HASHER, PASSWORD

pytestmark = pytest.mark.stack
WEBHOOK_SECRET = "two-processes-secret"
CONVERSATIONS = 12
MESSAGES = 5
FIRST_CHAT = 990_000


@pytest.fixture
def rasa() -> Iterator[FakeRasa]:
    """Echoes after a short random pause; also the action server (/health)."""
    server = FakeRasa(jitter=0.01)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def gateways(redis_url: str, bot_api: FakeBotAPI, rasa: FakeRasa, tmp_path: Path) -> Iterator[list[tuple[str, Path]]]:
    """Two gateway processes; each is its base URL and its log file."""
    env = stack_env(REDIS_URL=redis_url, CAUNOI_RASA_URL=rasa.url, CAUNOI_ACTIONS_URL=rasa.url,
                    CAUNOI_TELEGRAM_TOKEN=TOKEN, CAUNOI_TELEGRAM_API_URL=bot_api.url,
                    CAUNOI_TELEGRAM_WEBHOOK_SECRET=WEBHOOK_SECRET, CAUNOI_SECRET_KEY="two-processes-secret-key",
                    CAUNOI_RASA_TOKEN="two-processes-rasa-token",
                    CAUNOI_DATA_KEYS=Fernet.generate_key().decode("ascii"))
    with started() as stack:
        running = []
        for name in ("one", "two"):
            port, log = free_port(), tmp_path / f"gateway-{name}.log"
            process = stack.serve("gateway", {**env, "CAUNOI_HTTP_PORT": str(port)}, log=log)
            running.append((process, f"http://127.0.0.1:{port}", log))
        for process, url, _ in running:
            process.wait_answering(f"{url}/readyz", 90)
        yield [(url, log) for _, url, log in running]


async def test_two_gateway_processes_process_each_update_once_and_answer_in_order(
        gateways: list[tuple[str, Path]], rasa: FakeRasa, bot_api: FakeBotAPI, redis_url: str) -> None:
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
    await until_async(lambda: not client.zcard(keys.INBOX_PENDING)
                      and len(bot_api.called("sendMessage")) >= CONVERSATIONS * MESSAGES, 60,
                      "the two gateways to finish", every=0.05)
    await asyncio.sleep(0.5)  # a double reply, if any, would arrive now
    client.close()

    expected = [f"tin nhắn {n}" for n in range(MESSAGES)]
    for chat in chats:
        assert rasa.messages(f"tg:{chat}") == expected
        sent = [call["text"] for call in bot_api.called("sendMessage") if call["chat_id"] == str(chat)]
        assert sent == [f"Đã nhận: {text}" for text in expected]
    turns = [log.read_text(errors="replace").count("turn conversation=") for _, log in gateways]
    assert sum(turns) == CONVERSATIONS * MESSAGES and all(turns), f"turns per process: {turns}"


def told(bot_api: FakeBotAPI, chat: int) -> list[dict[str, object]]:
    return [c for c in bot_api.called("sendMessage") if c["chat_id"] == str(chat)]


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
            await until_async(partial(told, bot_api, chat), 10, "the person to be told someone joined", every=0.02)
            await asyncio.sleep(0.2)
            assert len([c for c in bot_api.called("sendMessage") if c["chat_id"] == str(chat)]) == 1
    finally:
        for _, http in sessions:
            await http.aclose()
