"""Rasa and the action server, started as `caunoi serve` starts them, answer the stack's own processes only.

An attacker on the same host or the compose network could play a turn for any conversation straight into Rasa's
REST channel (`/restart`, `/delete_my_data` then `/affirm`) and call any action on the action server
(`action_escalate` queued an invented case). Issue #24, items 3 and 4.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import redis
from cryptography.fernet import Fernet

from bot.internal_token import HEADER
from bot.rasa_server import model
from bot.rasa_server.rasa_patch import IN_USE
from bot.settings import from_environment
from bot.state import keys
from harness.stack import stack_env, started
from harness.wait import until
from tests.conftest import TEST_REDIS_URL

TOKEN = "internal-test-token-4b1f"
VICTIM = "tg:5550001"


@dataclass
class Servers:
    rasa: str
    actions: str
    pids: dict[str, int]
    rasa_said: list[str]  # what the Rasa process wrote (its log lines), as it writes them


@pytest.fixture(scope="module")
def servers() -> Iterator[Servers]:
    redis_url = TEST_REDIS_URL
    env = stack_env(REDIS_URL=redis_url, CAUNOI_RASA_TOKEN=TOKEN, CAUNOI_DATA_KEYS=Fernet.generate_key().decode(),
                    CAUNOI_SECRET_KEY="internal-servers-secret")
    settings = from_environment(env)
    if model.current_model(settings) is None:
        pytest.skip("no trained model matches the data (make train)")
    redis.Redis.from_url(redis_url).flushdb()
    try:
        with started() as stack:
            processes = {name: stack.serve(name, env, keep=name == "rasa") for name in ("actions", "rasa")}
            stack.wait_answering(f"{settings.actions_url}/health", 240)
            stack.wait_answering(f"{settings.rasa_url}/", 240)
            yield Servers(settings.rasa_url, settings.actions_url,
                          {name: process.pid for name, process in processes.items()}, processes["rasa"].lines)
    finally:
        redis.Redis.from_url(redis_url).flushdb()


def _turn(servers: Servers, text: str, token: str | None) -> httpx.Response:
    headers = {HEADER: token} if token is not None else {}
    return httpx.post(f"{servers.rasa}/webhooks/rest/webhook", json={"sender": VICTIM, "message": text},
                      headers=headers, timeout=60.0)


def test_a_turn_sent_straight_to_rasa_without_the_token_is_refused(servers: Servers) -> None:
    for text in ("/restart", "/delete_my_data", "/affirm", "Cứu tôi, bị giữ hộ chiếu ở Campuchia"):
        for token in (None, "", "wrong-token", TOKEN[:-1]):
            answer = _turn(servers, text, token)
            assert answer.status_code == 401 and "gateway only" in answer.json()["error"]
    tracker = httpx.get(f"{servers.rasa}/conversations/{VICTIM}/tracker", params={"token": TOKEN}, timeout=30.0)
    assert tracker.status_code == 200
    assert not [e for e in tracker.json()["events"] if e.get("event") == "user"], "a forged turn reached the tracker"
    # What stays as it was: Rasa's root and version, and its API with the token.
    assert httpx.get(f"{servers.rasa}/", timeout=5.0).status_code == 200
    assert httpx.get(f"{servers.rasa}/version", timeout=5.0).status_code == 200
    assert httpx.get(f"{servers.rasa}/status", timeout=5.0).status_code == 401


def test_the_gateways_turn_runs_and_rasa_reaches_the_action_server_with_the_token(servers: Servers) -> None:
    answer = _turn(servers, "Cứu tôi, bị giữ hộ chiếu ở Campuchia", TOKEN)
    assert answer.status_code == 200 and answer.json(), answer.text
    client = redis.Redis.from_url(TEST_REDIS_URL)
    # action_escalate ran on the action server (called by Rasa with the token): the case is in the queue.
    assert client.zscore(keys.QUEUE, VICTIM) is not None


def test_rasa_runs_with_the_patch_applied(servers: Servers) -> None:
    """bot/rasa_server/rasa_patch.py, seen from the running server: the Rasa that `caunoi serve rasa` started says in
    its own log that it validated an action server's answer with the patch's validator (not the patch called here)."""
    answer = httpx.post(f"{servers.rasa}/webhooks/rest/webhook", headers={HEADER: TOKEN}, timeout=60.0,
                        json={"sender": "tg:5550002", "message": "Cứu tôi, bị giữ hộ chiếu ở Campuchia"})
    assert answer.status_code == 200 and answer.json(), answer.text  # action_escalate answered through Rasa

    def patched() -> bool:
        said = [json.loads(line) for line in list(servers.rasa_said) if line.startswith("{")]
        return any(entry.get("logger") == "bot.rasa_server.rasa_patch" and entry.get("message") == IN_USE
                   for entry in said)

    until(patched, 10, "Rasa's log to say the patch validated the action's answer")  # written by another process


def test_the_token_is_on_no_command_line(servers: Servers) -> None:
    for name, pid in servers.pids.items():
        command_line = Path(f"/proc/{pid}/cmdline").read_bytes()
        assert TOKEN.encode() not in command_line, f"{name}'s command line shows the token to every local user"
    assert b"--auth-token" not in Path(f"/proc/{servers.pids['rasa']}/cmdline").read_bytes()


def _forged_escalation(servers: Servers, conversation_id: str) -> dict[str, object]:
    """The call Rasa itself would make (its own domain, a fresh tracker): only the caller is not Rasa."""
    api = {"token": TOKEN}
    domain = httpx.get(f"{servers.rasa}/domain", params=api, headers={"Accept": "application/json"}, timeout=30.0)
    tracker = httpx.get(f"{servers.rasa}/conversations/{conversation_id}/tracker", params=api, timeout=30.0)
    assert domain.status_code == 200 and tracker.status_code == 200
    return {"next_action": "action_escalate", "sender_id": conversation_id, "version": "3.6.21",
            "domain": domain.json(), "tracker": tracker.json()}


def test_a_forged_action_call_is_refused_and_queues_nothing(servers: Servers) -> None:
    client = redis.Redis.from_url(TEST_REDIS_URL)
    invented = "tg:6660001"
    for headers in ({}, {HEADER: "wrong-token"}):
        answer = httpx.post(f"{servers.actions}/webhook", json=_forged_escalation(servers, invented), headers=headers,
                            timeout=30.0)
        assert answer.status_code == 401 and "gateway only" in answer.json()["error"]
        listing = httpx.get(f"{servers.actions}/actions", headers=headers, timeout=10.0)
        assert listing.status_code == 401
    assert client.zscore(keys.QUEUE, invented) is None
    assert httpx.get(f"{servers.actions}/health", timeout=5.0).status_code == 200


def test_an_action_server_error_does_not_echo_the_request(servers: Servers) -> None:
    secret_text = "Em tên Lan, số điện thoại 0912345678"
    broken = {"next_action": "action_escalate", "sender_id": "tg:1", "version": "3.6.21",
              "tracker": {"sender_id": "tg:1", "latest_message": {"text": secret_text}}, "domain": None}
    answer = httpx.post(f"{servers.actions}/webhook", json=broken, headers={HEADER: TOKEN}, timeout=30.0)
    assert answer.status_code >= 400
    assert secret_text not in answer.text and "0912345678" not in answer.text
