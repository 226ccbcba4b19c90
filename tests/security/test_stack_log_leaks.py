"""The leak scan on the real stack: Rasa with the trained model, the action server and the gateway, each started
with `caunoi serve` as docker-compose and `caunoi run` do, talking to the Bot API double. Every line any of them
writes (stdout and stderr) must be one JSON object with no text, secret or raw id in it."""

from __future__ import annotations

import asyncio
import contextlib

import httpx
import pytest
import redis.asyncio

from bot.console.operators import OperatorStore
from bot.rasa_server import model
from bot.settings import from_environment
from harness.botapi import FakeBotAPI, text_update
from harness.stack import stack_env, started
from harness.wait import GaveUp, until_async
from tests.security.leaks import CHAT, PASSWORD, TEXTS, WEBHOOK_SECRET, needles, scan
from tests.security.test_log_leaks import CHEAP_HASHER, ZALO_SECRETS, secret_env


@pytest.mark.stack
async def test_rasa_the_action_server_and_the_gateway_log_nothing_they_must_not(
        redis_url: str, bot_api: FakeBotAPI, redis_client: redis.asyncio.Redis) -> None:
    env = stack_env(**secret_env(bot_api, redis_url))
    env.update(CAUNOI_LOG_LEVEL="INFO", CAUNOI_RASA_TIMEOUT="30")
    settings = from_environment(env)
    if model.current_model(settings) is None:
        pytest.skip("no trained model matches the data (make train)")
    await OperatorStore(redis_client, settings.secret_key, CHEAP_HASHER).add("lan", "operator", PASSWORD)
    gateway = f"http://127.0.0.1:{settings.http_port}"
    with started() as stack:
        processes = {name: stack.serve(name, env, keep=True, apart=True) for name in ("actions", "rasa", "gateway")}
        await asyncio.to_thread(stack.wait_answering, f"{gateway}/readyz", 240)  # Redis, Rasa and actions answer
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
        with contextlib.suppress(GaveUp):
            await until_async(lambda: len(bot_api.called("sendMessage")) >= 2, 30, "two replies", every=0.1)
        assert bot_api.called("sendMessage"), "the person got no answer: the run did not go through the stack"
    outputs = {name: process.output() for name, process in processes.items()}
    forbidden = needles({**ZALO_SECRETS, "csrf token": login.json()["csrf_token"],
                         "web conversation id": web.json()["conversation_id"].split(":", 1)[1],
                         "web token": web.json()["token"]})
    for name, lines in outputs.items():
        assert lines, f"{name} wrote nothing: the scan would prove nothing"
        assert scan(lines, forbidden) == [], name
