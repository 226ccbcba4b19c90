"""The real stack (Rasa with our tracker store, the action server, the gateway) on the test Redis: after a
conversation on the web channel and on Telegram, no key's raw value holds what the people wrote."""

from __future__ import annotations

import json
import subprocess
import time

import httpx
import pytest
import redis

import harness.stack
from bot.rasa_server.tracker_store import document
from bot.settings import PROJECT_ROOT, Secret
from bot.state import keys
from bot.state.sealed import CHUNKED, Sealer, new_key
from harness.botapi import TOKEN, FakeBotAPI, text_update
from harness.stack import CAUNOI, stack_env
from harness.wait import until
from tests.rawscan import hits

CHAT = 616161
SECRET = "stack-secret_1"
DANGER = "cuu toi voi bi giu ho chieu o campuchia"
REPORT = "em gai toi mat lien lac o Trung Quoc"
PLACE = {"latitude": 10.7626, "longitude": 106.6601}


@pytest.mark.stack
def test_a_redis_dump_of_a_real_conversation_reveals_no_message_text(redis_url: str,
                                                                    bot_api: FakeBotAPI) -> None:
    key = new_key()
    env = stack_env(REDIS_URL=redis_url, CAUNOI_DATA_KEYS=key, CAUNOI_SECRET_KEY="stack-sealed-secret",
                    CAUNOI_TELEGRAM_TOKEN=TOKEN, CAUNOI_TELEGRAM_API_URL=bot_api.url,
                    CAUNOI_TELEGRAM_WEBHOOK_SECRET=SECRET)
    with harness.stack.started() as processes:
        processes.run(env, keep=True).wait_said("caunoi: ready:", 240)
        gateway = httpx.Client(base_url=f"http://127.0.0.1:{env['CAUNOI_HTTP_PORT']}", timeout=60)
        started = gateway.post("/webhooks/web", json={"text": "xin chào"})  # the gateway names the conversation
        assert started.status_code == 200, started.text
        web, token = started.json()["conversation_id"], started.json()["token"]
        for body in ({"text": DANGER}, {"location": PLACE}):
            answer = gateway.post("/webhooks/web", json={"conversation_id": web, **body},
                                  headers={"Authorization": f"Bearer {token}"})
            assert answer.status_code == 200, answer.text
        assert gateway.post("/webhooks/telegram", json=text_update(CHAT, REPORT),
                            headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}).status_code == 200
        until(lambda: [m for m in bot_api.called("sendMessage") if m["chat_id"] == str(CHAT)], 60,
              "the Telegram message to be answered", every=0.2)
        time.sleep(1.0)  # Rasa saves the tracker as the turn ends
        client = redis.Redis.from_url(redis_url, decode_responses=True)
        assert client.get(keys.conversation_mode(web)) == "waiting"  # the action server escalated it

        assert hits(redis_url, [DANGER, "giu ho chieu", "campuchia", REPORT, "mat lien lac", "Trung Quốc",
                                str(PLACE["latitude"]), str(PLACE["longitude"])]) == []

        # Rasa stored its trackers through our store: sealed with the key, and they are the conversations.
        sealer = Sealer((Secret(key),))
        for conversation, said in ((web, DANGER), (f"tg:{CHAT}", REPORT)):
            raw = client.get(keys.rasa_tracker(conversation))
            assert raw is not None and raw.startswith(CHUNKED), f"no sealed tracker for {conversation}"
            events = json.loads(document(conversation, sealer.open(raw)))["events"]
            assert said in [event.get("text") for event in events if event.get("event") == "user"]
        summary = client.hget(keys.case(web), "summary")
        assert summary and "Campuchia" in sealer.open(summary)


def test_a_kept_redis_without_data_keys_is_one_clear_line(redis_url: str) -> None:
    result = subprocess.run([*CAUNOI, "run"], env=stack_env(REDIS_URL=redis_url), capture_output=True, text=True,
                            timeout=60, cwd=PROJECT_ROOT)
    assert result.returncode == 2
    assert result.stderr.strip().startswith("caunoi: REDIS_URL is set, so CAUNOI_DATA_KEYS must be too")
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("process", ["gateway", "rasa", "actions"])
def test_no_process_starts_without_data_keys(redis_url: str, process: str) -> None:
    result = subprocess.run([*CAUNOI, "serve", process], env=stack_env(REDIS_URL=redis_url), capture_output=True,
                            text=True, timeout=60, cwd=PROJECT_ROOT)
    assert result.returncode == 2
    assert result.stderr.strip().startswith("caunoi: CAUNOI_DATA_KEYS is not set")


def test_a_malformed_key_stops_the_process_without_showing_it(redis_url: str) -> None:
    typo = new_key()[:-3] + "#="
    result = subprocess.run([*CAUNOI, "serve", "gateway"], env=stack_env(REDIS_URL=redis_url,
                                                                        CAUNOI_DATA_KEYS=f"{new_key()},{typo}"),
                            capture_output=True, text=True, timeout=60, cwd=PROJECT_ROOT)
    assert result.returncode == 2
    assert result.stderr.strip().startswith("caunoi: CAUNOI_DATA_KEYS: key 2 is not a data key")
    assert typo[:20] not in result.stdout + result.stderr


def test_a_kept_redis_without_a_secret_key_is_one_clear_line(redis_url: str) -> None:
    result = subprocess.run([*CAUNOI, "run"], env=stack_env(REDIS_URL=redis_url, CAUNOI_DATA_KEYS=new_key()),
                            capture_output=True, text=True, timeout=60, cwd=PROJECT_ROOT)
    assert result.returncode == 2
    assert result.stderr.strip().startswith("caunoi: REDIS_URL is set, so CAUNOI_SECRET_KEY must be too")
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("process", ["gateway", "rasa", "actions"])
def test_no_process_starts_without_the_stacks_token(redis_url: str, process: str) -> None:
    env = stack_env(REDIS_URL=redis_url, CAUNOI_DATA_KEYS=new_key())
    result = subprocess.run([*CAUNOI, "serve", process], env=env, capture_output=True, text=True, timeout=60,
                            cwd=PROJECT_ROOT)
    assert result.returncode == 2
    assert result.stderr.strip().startswith("caunoi: CAUNOI_RASA_TOKEN is not set")
