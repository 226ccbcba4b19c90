"""Zalo tried as a new user would, with nothing typed: follow the OA, tap to the service finder and share a location,
then tap through the job check to its verdict. Signed webhook events in (the taps as Zalo sends them back: the
button's payload as the person's hidden `user_send_text`), the gateway's dispatcher, the real Rasa with the trained
model and the real action server (`caunoi serve rasa|actions`, as the stack runs them), customer-service messages
out to the Zalo double. Needs `caunoi train` first (skipped when no model matches the data)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import redis.asyncio

from bot.app import create_app
from bot.channels.buttons import is_code
from bot.gateway.delivery import RetryPolicy
from bot.gateway.inbox import InboxOptions
from bot.gateway.parts import GatewayOptions
from bot.rasa_server import model
from bot.settings import Settings
from harness.app import over_asgi
from harness.stack import stack_env, started
from tests.channels.fakes import FakeZalo
from tests.channels.harness import FAST, ZALO_APP_ID, ZALO_OA_SECRET, Running
from tests.channels.test_zalo import CONVERSATION, deliver, event
from tests.channels.test_zalo_buttons import tap
from tests.conftest import TEST_REDIS_URL, make_settings

RASA_TOKEN = "zalo-e2e-rasa-token"
JOB_CHECK, FIND_SERVICE = "Kiểm tra lời mời việc làm", "Tìm nơi hỗ trợ"
# What this person answers when offered these options (anything else: the first option).
ANSWERS = ("Campuchia", "Mạng xã hội (Facebook, Zalo…)", "Có, đòi nộp trước", "Họ bảo sang rồi ký", "Có")


@dataclass
class Stack:
    rasa_url: str
    actions_url: str


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    """Rasa (the trained model) and the action server, started as `caunoi serve` starts them."""
    if model.current_model(make_settings()) is None:
        pytest.skip("no trained model matches the data (caunoi train)")
    env = stack_env(REDIS_URL=TEST_REDIS_URL, CAUNOI_RASA_TOKEN=RASA_TOKEN,
                    CAUNOI_DATA_KEYS=os.environ["CAUNOI_DATA_KEYS"], CAUNOI_SECRET_KEY="test-secret-key",
                    CAUNOI_LOG_LEVEL="WARNING")
    with started() as processes:
        for name in ("actions", "rasa"):
            processes.serve(name, env)
        yield Stack(env["CAUNOI_RASA_URL"], env["CAUNOI_ACTIONS_URL"])


@contextlib.asynccontextmanager
async def gateway(settings: Settings, zalo_api: FakeZalo, client: redis.asyncio.Redis) -> AsyncIterator[Running]:
    options = GatewayOptions(zalo_transport=zalo_api.transport(), retry=RetryPolicy(attempts=3, base_delay=0.01),
                             zalo_limits=FAST, telegram_limits=FAST,
                             inbox=InboxOptions(lock_ttl=30.0, sweep_interval=0.05, shutdown_grace=5.0))
    async with over_asgi(create_app(settings, options=options)) as app:  # no stand-in: the gateway calls the real Rasa
        http = app.client()
        deadline = time.monotonic() + 240
        while (await http.get("/readyz")).status_code != 200:  # Redis, Rasa (model loaded), actions
            assert time.monotonic() < deadline, "Rasa and the action server were not ready in 240 s"
            await asyncio.sleep(1.0)
        yield Running(app, http, client)


def sent_since(zalo_api: FakeZalo, start: int) -> list[dict[str, Any]]:
    return [send.json for send in zalo_api.sends[start:] if send.json is not None]


def buttons_in(bodies: list[dict[str, Any]]) -> dict[str, str]:
    """Title -> payload of every button in these messages (the payloads must be our codes)."""
    found = {}
    for body in bodies:
        for button in body["message"].get("attachment", {}).get("payload", {}).get("buttons", []):
            assert button["type"] == "oa.query.hide" and is_code(button["payload"]), button
            found[button["title"]] = button["payload"]
    return found


def texts(bodies: list[dict[str, Any]]) -> str:
    return "\n".join(body["message"]["text"] for body in bodies)


@pytest.mark.stack
async def test_a_new_zalo_user_checks_a_job_offer_and_finds_help_with_buttons_only(
        stack: Stack, redis_url: str, redis_client: redis.asyncio.Redis) -> None:
    settings = make_settings(REDIS_URL=redis_url, CAUNOI_RASA_URL=stack.rasa_url, CAUNOI_ACTIONS_URL=stack.actions_url,
                             CAUNOI_RASA_TOKEN=RASA_TOKEN, CAUNOI_RASA_TIMEOUT="60",
                             CAUNOI_ZALO_APP_ID=ZALO_APP_ID, CAUNOI_ZALO_OA_SECRET=ZALO_OA_SECRET,
                             CAUNOI_ZALO_APP_SECRET="fake-app-secret", CAUNOI_ZALO_ACCESS_TOKEN="fake-access-1",
                             CAUNOI_ZALO_REFRESH_TOKEN="fake-refresh-1", CAUNOI_ZALO_API_URL="http://zalo.test",
                             CAUNOI_ZALO_OAUTH_URL="http://oauth.zalo.test")
    zalo_api = FakeZalo()
    taps = 0

    async def press(title: str, offered: dict[str, str]) -> list[dict[str, Any]]:
        """Taps the button `title` among those just offered; what the bot sent back."""
        nonlocal taps
        taps += 1
        start = len(zalo_api.sends)
        assert (await deliver(running, tap(offered[title], taps))).status_code == 200
        await running.settle()
        return sent_since(zalo_api, start)

    async with gateway(settings, zalo_api, redis_client) as running:
        follow = event("follow")
        assert (await deliver(running, follow)).status_code == 200
        await running.settle()
        welcome = sent_since(zalo_api, 0)
        assert "Cầu Nối" in texts(welcome)
        offered = buttons_in(welcome)
        assert {JOB_CHECK, FIND_SERVICE} <= set(offered)

        # The service finder: a tap for what, a shared location for where (the Zalo way: nothing typed).
        replies = await press(FIND_SERVICE, offered)
        kinds = buttons_in(replies)
        assert "Bạn cần loại hỗ trợ nào?" in texts(replies) and kinds
        replies = await press(next(iter(kinds)), kinds)
        assert "gửi vị trí" in texts(replies) and "Để gửi vị trí:" in texts(replies)  # the Zalo how-to
        start = len(zalo_api.sends)
        await deliver(running, event("user_send_location"))
        await running.settle()
        found = texts(sent_since(zalo_api, start))
        assert "Hà Nội" in found and ("Nơi hỗ trợ" in found or "111" in found)

        # The job check, answered by tapping only, to its verdict; started from the welcome's button (an older
        # button still works, as on Telegram).
        replies = await press(JOB_CHECK, buttons_in(welcome))
        for _ in range(12):
            if "Kết luận" in texts(replies) or "chưa thấy dấu hiệu" in texts(replies):
                break
            offered = buttons_in(replies)
            assert offered, f"a question came without buttons: {texts(replies)!r}"
            choice = next((answer for answer in ANSWERS if answer in offered), next(iter(offered)))
            replies = await press(choice, offered)
        verdict = texts(replies)
        assert "Kết luận: rất có thể đây là lừa đảo" in verdict  # Cambodia, a fee before signing…
        assert "Campuchia, Myanmar, Lào" in verdict

        # Everything reached Rasa as payloads or the location: no typed text, no forced intent from a code.
        person = [entry for entry in await running.gateway.transcript.read(CONVERSATION) if entry["from"] == "person"]
        assert {entry["kind"] for entry in person} == {"command", "button", "location"}
        assert not any(is_code(entry["text"].removeprefix("[nút] ")) for entry in person)
        assert taps >= 6
