"""Pictures with the real Rasa (the trained model) and the real action server, as `caunoi serve` runs them: a job ad
sent as a Zalo image starts the job check with what the picture says (never asked again) and is tapped through to
its verdict; a screenshot of a threatening chat sent on Telegram raises the risk and puts the person in the queue.
Pictures are made in the test (harness/pictures.py) and read by the real Tesseract. Needs `caunoi train` first."""

from __future__ import annotations

import shutil
from typing import Any

import pytest
import redis.asyncio

from bot.settings import Settings
from harness.botapi import TOKEN, FakeBotAPI, message_update
from harness.pictures import CONTRACT, JOB_AD, THREAT, picture
from tests.channels.fakes import FakeZalo
from tests.channels.harness import WEBHOOK_SECRET, ZALO_APP_ID, ZALO_OA_SECRET
from tests.channels.test_zalo import CONVERSATION, deliver, event
from tests.channels.test_zalo_buttons import tap
from tests.channels.test_zalo_new_user_e2e import (
    ANSWERS,
    RASA_TOKEN,
    Stack,
    buttons_in,
    gateway,
    sent_since,
    stack,
    texts,
)
from tests.conftest import make_settings

__all__ = ["stack"]  # the module's Rasa and action server
pytestmark = pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract is not installed")
IMAGE_URL = "https://example.invalid/i.jpg"
CHAT = 616161


def stack_settings(stack: Stack, redis_url: str, bot_api: FakeBotAPI) -> Settings:
    return make_settings(REDIS_URL=redis_url, CAUNOI_RASA_URL=stack.rasa_url, CAUNOI_ACTIONS_URL=stack.actions_url,
                         CAUNOI_RASA_TOKEN=RASA_TOKEN, CAUNOI_RASA_TIMEOUT="60",
                         CAUNOI_TELEGRAM_TOKEN=TOKEN, CAUNOI_TELEGRAM_WEBHOOK_SECRET=WEBHOOK_SECRET,
                         CAUNOI_TELEGRAM_API_URL=bot_api.url,
                         CAUNOI_ZALO_APP_ID=ZALO_APP_ID, CAUNOI_ZALO_OA_SECRET=ZALO_OA_SECRET,
                         CAUNOI_ZALO_APP_SECRET="fake-app-secret", CAUNOI_ZALO_ACCESS_TOKEN="fake-access-1",
                         CAUNOI_ZALO_REFRESH_TOKEN="fake-refresh-1", CAUNOI_ZALO_API_URL="http://zalo.test",
                         CAUNOI_ZALO_OAUTH_URL="http://oauth.zalo.test")


async def tapped_to_verdict(running: Any, zalo_api: FakeZalo) -> tuple[list[str], str]:
    """The picture is delivered as a Zalo image and every question answered with a button; what was asked, and the
    verdict."""
    assert (await deliver(running, event("user_send_image"))).status_code == 200
    await running.settle()
    replies: list[dict[str, Any]] = sent_since(zalo_api, 0)
    said = texts(replies)
    assert said.startswith("Mình đọc được trong ảnh: «") and "Mình sẽ hỏi vài câu ngắn" in said
    asked = [said]
    for taps in range(1, 13):
        if "Kết luận" in texts(replies):
            break
        offered = buttons_in(replies)
        assert offered, f"a question came without buttons: {texts(replies)!r}"
        start = len(zalo_api.sends)
        choice = next((answer for answer in ANSWERS if answer in offered), next(iter(offered)))
        assert (await deliver(running, tap(offered[choice], taps))).status_code == 200
        await running.settle()
        replies = sent_since(zalo_api, start)
        asked.append(texts(replies))
    return asked, texts(replies)


@pytest.mark.stack
async def test_a_job_ad_image_on_zalo_starts_the_check_prefilled_and_it_finishes(
        stack: Stack, redis_url: str, redis_client: redis.asyncio.Redis, bot_api: FakeBotAPI) -> None:
    zalo_api = FakeZalo()
    zalo_api.files[IMAGE_URL] = picture(JOB_AD)
    async with gateway(stack_settings(stack, redis_url, bot_api), zalo_api, redis_client) as running:
        asked, verdict = await tapped_to_verdict(running, zalo_api)
        assert "Kết luận: rất có thể đây là lừa đảo" in verdict
        # What the picture said is among the signs, and was never asked: the country, "việc nhẹ lương cao", the fee.
        assert "Campuchia, Myanmar, Lào" in verdict and "Việc nhẹ lương cao" in verdict
        everything = "\n".join(asked)
        assert "Công việc đó ở đâu?" not in everything
        assert "Bạn biết đến việc này qua đâu?" not in everything  # "qua Zalo" was in the picture
        person = [entry for entry in await running.gateway.transcript.read(CONVERSATION) if entry["from"] == "person"]
        assert person[0]["kind"] == "photo"


@pytest.mark.stack
async def test_a_contract_that_keeps_the_passport_is_checked_not_handed_off(
        stack: Stack, redis_url: str, redis_client: redis.asyncio.Redis, bot_api: FakeBotAPI) -> None:
    """"Bên A giữ hộ chiếu của Bên B" in a photographed contract: the check names it as a red flag and never asks
    about the passport again; the person stays with the bot (nobody is held yet)."""
    zalo_api = FakeZalo()
    zalo_api.files[IMAGE_URL] = picture(CONTRACT)
    async with gateway(stack_settings(stack, redis_url, bot_api), zalo_api, redis_client) as running:
        asked, verdict = await tapped_to_verdict(running, zalo_api)
        assert "Kết luận: rất có thể đây là lừa đảo" in verdict
        assert "Không ai có quyền giữ hộ chiếu" in verdict
        assert "Họ có đòi giữ hộ chiếu" not in "\n".join(asked)
        assert await running.gateway.queue.mode(CONVERSATION) == "bot"


@pytest.mark.stack
async def test_a_threatening_chat_screenshot_on_telegram_raises_the_risk(
        stack: Stack, redis_url: str, redis_client: redis.asyncio.Redis, bot_api: FakeBotAPI) -> None:
    bot_api.put_file("threat", picture(THREAT))
    photo = [{"file_id": "threat", "file_unique_id": "t", "width": 1080, "height": 720}]
    async with gateway(stack_settings(stack, redis_url, bot_api), FakeZalo(), redis_client) as running:
        response = await running.http.post("/webhooks/telegram", json=message_update(CHAT, photo=photo),
                                           headers={"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET})
        assert response.status_code == 200
        await running.settle()
        queue = running.gateway.queue
        assert await queue.mode(f"tg:{CHAT}") == "waiting"
        case = await queue.case(f"tg:{CHAT}")
        assert case is not None and case.risk == "high"
        sent = [call["text"] for call in bot_api.called("sendMessage") if str(call["chat_id"]) == str(CHAT)]
        assert any("113" in text for text in sent)
