"""The leak scan on the real stack: Rasa with the trained model, the action server and the gateway, each started
with `caunoi serve` as docker-compose and `caunoi run` do, talking to the Bot API double. Every line any of them
writes (stdout and stderr) must be one JSON object with no text, secret or raw id in it."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time

import httpx
import pytest
import redis.asyncio

from bot.console.operators import OperatorStore
from bot.rasa_server import model
from bot.settings import PROJECT_ROOT, from_environment
from bot.state.store import free_port
from tests.channels.botapi import FakeBotAPI, text_update
from tests.security.leaks import CHAT, PASSWORD, TEXTS, WEBHOOK_SECRET, needles, scan
from tests.security.test_log_leaks import CHEAP_HASHER, ZALO_SECRETS, secret_env


def ready(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2.0).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.mark.stack
async def test_rasa_the_action_server_and_the_gateway_log_nothing_they_must_not(
        redis_url: str, bot_api: FakeBotAPI, redis_client: redis.asyncio.Redis) -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith("CAUNOI_") and key != "REDIS_URL"}
    env.update(secret_env(bot_api, redis_url))
    env.update(CAUNOI_HTTP_PORT=str(free_port()), CAUNOI_RASA_URL=f"http://127.0.0.1:{free_port()}",
               CAUNOI_ACTIONS_URL=f"http://127.0.0.1:{free_port()}", CAUNOI_LOG_LEVEL="INFO",
               CAUNOI_RASA_TIMEOUT="30")
    settings = from_environment(env)
    if model.current_model(settings) is None:
        pytest.skip("no trained model matches the data (make train)")
    await OperatorStore(redis_client, settings.secret_key, CHEAP_HASHER).add("lan", "operator", PASSWORD)
    processes = {name: subprocess.Popen([sys.executable, "-m", "bot", "serve", name], env=env, cwd=PROJECT_ROOT,
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                 for name in ("actions", "rasa", "gateway")}
    gateway = f"http://127.0.0.1:{settings.http_port}"
    try:
        deadline = time.monotonic() + 240
        while not await asyncio.to_thread(ready, f"{gateway}/readyz"):  # readyz: Redis, Rasa and actions answer
            assert time.monotonic() < deadline, "the stack did not get ready in 240 s"
            assert all(p.poll() is None for p in processes.values()), "a process of the stack exited"
            await asyncio.sleep(1.0)
        async with httpx.AsyncClient(base_url=gateway, timeout=30.0) as http:
            secret = {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}
            for text in ("/start", TEXTS["telegram"]):  # the danger message runs action_escalate
                response = await http.post("/webhooks/telegram", json=text_update(CHAT, text), headers=secret)
                assert response.status_code == 200
            web = await http.post("/webhooks/web", json={"text": TEXTS["web"]})
            assert web.status_code == 200 and web.json()["messages"]
            login = await http.post("/api/login", json={"username": "lan", "password": PASSWORD})
            assert login.status_code == 200
            assert (await http.get(f"/api/conversations/tg:{CHAT}")).status_code == 200
        for _ in range(300):
            if len(bot_api.called("sendMessage")) >= 2:
                break
            await asyncio.sleep(0.1)
        assert bot_api.called("sendMessage"), "the person got no answer: the run did not go through the stack"
    finally:
        outputs = {}
        for process in processes.values():
            process.terminate()
        for name, process in processes.items():
            try:
                out, err = await asyncio.to_thread(process.communicate, timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                out, err = await asyncio.to_thread(process.communicate)
            outputs[name] = (out + err).decode("utf-8", "replace").splitlines()
    forbidden = needles({**ZALO_SECRETS, "csrf token": login.json()["csrf_token"],
                         "web conversation id": web.json()["conversation_id"].split(":", 1)[1],
                         "web token": web.json()["token"]})
    for name, lines in outputs.items():
        assert lines, f"{name} wrote nothing: the scan would prove nothing"
        assert scan(lines, forbidden) == [], name
