"""Issue #8: the logs of a whole run hold none of the texts people and operators wrote, no secret and no raw id.

The run: Telegram and Zalo webhooks (good, forged, malformed, oversized), the local web channel, Rasa down then
up, the Bot API failing once, and an operator who logs in (once with the password typed as the username), claims
the conversation, replies, notes, transfers to nobody and closes it. First in this process (the real gateway app,
logging through bot/logs.py at DEBUG), then `caunoi serve gateway` as its own process, reading its stderr.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import logging
import shutil
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
import redis.asyncio
from argon2 import PasswordHasher

from bot.console.operators import OperatorStore
from bot.logs import configure
from bot.settings import Secret, Settings
from harness.botapi import Behaviour, FakeBotAPI, message_update, text_update
from harness.pictures import JOB_AD, picture
from harness.rasa import FakeRasa
from harness.stack import stack_env, started
from harness.wait import GaveUp, until_async
from tests.channels.harness import ZALO_APP_ID, ZALO_OA_SECRET, Running
from tests.channels.test_zalo import event, signed
from tests.conftest import make_settings
from tests.security.leaks import (
    CANARY,
    CHAT,
    DATA_KEY,
    PASSWORD,
    RASA_TOKEN,
    SECRET_KEY,
    TEXTS,
    TOKEN,
    WEBHOOK_SECRET,
    ZALO_USER,
    needles,
    scan,
)

CONVERSATION = f"tg:{CHAT}"
PICTURE_LINES = (*JOB_AD, f"{CANARY} PICTURE")  # what Tesseract reads must never reach a log line
ZALO_SECRETS = {"zalo oa secret": ZALO_OA_SECRET, "zalo app secret": "fake-app-secret",
                "zalo access token": "fake-access-1", "zalo refresh token": "fake-refresh-1"}


def secret_env(bot_api: FakeBotAPI, redis_url: str) -> dict[str, str]:
    return {
        "REDIS_URL": redis_url, "CAUNOI_SECRET_KEY": SECRET_KEY, "CAUNOI_RASA_TOKEN": RASA_TOKEN,
        "CAUNOI_DATA_KEYS": DATA_KEY, "CAUNOI_LOG_LEVEL": "DEBUG",
        "CAUNOI_TELEGRAM_TOKEN": TOKEN, "CAUNOI_TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "CAUNOI_TELEGRAM_API_URL": bot_api.url,
        "CAUNOI_ZALO_APP_ID": ZALO_APP_ID, "CAUNOI_ZALO_OA_SECRET": ZALO_OA_SECRET,
        "CAUNOI_ZALO_APP_SECRET": "fake-app-secret", "CAUNOI_ZALO_ACCESS_TOKEN": "fake-access-1",
        "CAUNOI_ZALO_REFRESH_TOKEN": "fake-refresh-1", "CAUNOI_ZALO_API_URL": "http://zalo.test",
        "CAUNOI_ZALO_OAUTH_URL": "http://oauth.zalo.test", "CAUNOI_RASA_TIMEOUT": "2",
        "CAUNOI_WEB_CHANNEL": "true",
    }


@pytest.fixture
def channel_settings(redis_url: str, bot_api: FakeBotAPI) -> Settings:  # the `running` gateway uses these
    return make_settings(**secret_env(bot_api, redis_url))


@pytest.fixture
def log_lines(channel_settings: Settings) -> Iterator[io.StringIO]:
    """Every record of this process, through the production handler, into a buffer (pytest's handlers put back)."""
    stream = io.StringIO()
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    configure(channel_settings, stream=stream)
    yield stream
    root.handlers[:] = handlers
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "sanic.root", "sanic.error"):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True


CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)  # argon2 reads them from the hash


@pytest.fixture
async def operator(log_lines: io.StringIO, running: Running) -> AsyncIterator[httpx.AsyncClient]:
    store = OperatorStore(running.gateway.redis, running.gateway.settings.secret_key, CHEAP_HASHER)
    await store.add("lan", "supervisor", PASSWORD, "Chị Lan")
    yield running.http


async def whole_run(running: Running, rasa: FakeRasa, bot_api: FakeBotAPI) -> dict[str, str]:
    """Drives everything the gateway does; returns the session secrets it handed out (also never to be logged)."""
    http = running.http
    # Telegram: Rasa down → degraded answer and the human queue; the Bot API fails once on the way.
    rasa.down = True
    bot_api.answer("sendMessage", Behaviour("5xx"))
    assert (await running.telegram(text_update(CHAT, TEXTS["telegram"]), WEBHOOK_SECRET)).status_code == 200
    assert (await running.telegram(text_update(CHAT, TEXTS["telegram"]), secret="forged")).status_code == 403
    bad = await http.post("/webhooks/telegram", content=b'{"update_id": 1, "message": ' + TEXTS["telegram"].encode(),
                          headers={"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET,
                                   "content-type": "application/json"})
    assert bad.status_code == 400
    weird = {"update_id": 99, "message": {"chat": "not a chat", "text": TEXTS["telegram"]}}  # fails to parse
    assert (await running.telegram(weird, WEBHOOK_SECRET)).status_code == 200
    await running.settle()
    # Zalo: a signed message, a forged one, a huge one.
    data = event("user_send_text", text=TEXTS["zalo"], msg_id="leakscan-msg-1")
    data["sender"]["id"] = ZALO_USER
    assert (await running.zalo(*signed(data))).status_code == 200
    assert (await running.zalo(signed(data)[0], "mac=" + "0" * 64)).status_code == 403
    huge = json.dumps({"text": TEXTS["zalo"] * 40_000}).encode()
    assert (await running.zalo(huge, "mac=x")).status_code == 413
    # The web channel, with Rasa back.
    rasa.down = False
    web = await http.post("/webhooks/web", json={"text": TEXTS["web"]})
    assert web.status_code == 200
    web_id, web_token = web.json()["conversation_id"], web.json()["token"]
    # A job ad as a screenshot, read by Tesseract (bot mode), and a photo kept for the operator (CHAT waits).
    bot_api.put_file("leakscan-ad", picture(PICTURE_LINES))
    photo = [{"file_id": "leakscan-ad", "file_unique_id": "l", "width": 1080, "height": 720}]
    assert (await running.telegram(message_update(CHAT + 1, photo=photo), WEBHOOK_SECRET)).status_code == 200
    assert (await running.telegram(message_update(CHAT, photo=photo), WEBHOOK_SECRET)).status_code == 200
    await running.settle()
    # The operator: a password typed as the username, then the real login and a whole handoff.
    failed = await http.post("/api/login", json={"username": PASSWORD, "password": PASSWORD})
    assert failed.status_code == 401
    login = await http.post("/api/login", json={"username": "lan", "password": PASSWORD})
    assert login.status_code == 200, login.text
    csrf = login.json()["csrf_token"]
    headers = {"X-CSRF-Token": csrf}
    base = f"/api/conversations/{CONVERSATION}"
    assert (await http.get("/api/queue")).status_code == 200
    assert (await http.get(f"{base}?since=2026-01-01&q={TEXTS['web']}")).status_code == 200
    assert (await http.post(f"{base}/claim", headers=headers)).status_code == 200
    assert (await http.post(f"{base}/messages", json={"text": TEXTS["reply"]}, headers=headers)).status_code == 200
    assert (await http.post(f"{base}/notes", json={"text": TEXTS["note"]}, headers=headers)).status_code == 201
    assert (await http.post(f"{base}/transfer", json={"operator": TEXTS["note"][:30]},
                            headers=headers)).status_code == 404
    assert (await http.post(f"{base}/messages", json={"text": TEXTS["reply"]})).status_code == 403  # no CSRF
    closed = await http.post(f"{base}/close", json={"outcome": "referred", "referral": {"agency": TEXTS["agency"]}},
                             headers=headers)
    assert closed.status_code == 200, closed.text
    assert (await http.get(f"/api/conversations/{web_id}")).status_code in (200, 404)
    assert (await http.post("/api/logout", headers=headers)).status_code == 200
    await running.settle()
    return {"csrf token": csrf, "session cookie": login.cookies.get("caunoi_session") or "",
            "web conversation id": web_id.split(":", 1)[1], "web token": web_token}


async def test_a_whole_run_logs_no_text_no_secret_and_no_raw_id(
        log_lines: io.StringIO, operator: httpx.AsyncClient, running: Running, rasa: FakeRasa,
        bot_api: FakeBotAPI) -> None:
    session_secrets = await whole_run(running, rasa, bot_api)
    lines = log_lines.getvalue().splitlines()
    picture_words = {f"picture line {number}": line for number, line in enumerate(PICTURE_LINES)}
    assert scan(lines, needles({**ZALO_SECRETS, **session_secrets, **picture_words})) == []
    parsed = [json.loads(line) for line in lines]
    # Not vacuous: the run did log, with structure, through every part that was exercised.
    routes = {line.get("route") for line in parsed if line["logger"] == "bot.access"}
    assert {"/webhooks/telegram", "/webhooks/zalo", "/webhooks/web", "/api/login",
            "/api/conversations/{conversation_id}/claim"} <= routes
    assert any(line["logger"] == "bot.gateway.dispatch" and "conversation" in line for line in parsed)
    assert any(line.get("exc_type") for line in parsed)  # the unreadable update, logged without its message
    assert any(line["logger"] == "bot.gateway.delivery" for line in parsed)  # the Bot API's 5xx and the retry
    if shutil.which("tesseract"):  # the picture was read, and kept, with nothing of it in the log
        assert any(line["logger"] == "bot.media.ocr" for line in parsed)
        assert any(line["logger"] == "bot.gateway.attachments" and "kept" in line["message"] for line in parsed)


async def test_the_scan_finds_a_text_a_secret_and_a_line_that_is_not_json(log_lines: io.StringIO) -> None:
    log = logging.getLogger("bot.careless")
    log.info("the person wrote %s", TEXTS["telegram"])  # what the rule forbids: the scan must see it
    log.warning("password was %s", PASSWORD)
    found = scan([*log_lines.getvalue().splitlines(), "plain text line"], needles())
    assert {leak.what for leak in found} >= {"telegram text", "canary", "operator password", "not JSON"}


# -- the gateway as its own process -----------------------------------------------------------------------------

async def test_the_gateway_process_writes_only_clean_json_lines(redis_url: str, bot_api: FakeBotAPI,
                                                                redis_client: redis.asyncio.Redis) -> None:
    env = stack_env(**secret_env(bot_api, redis_url))  # nothing listens on its Rasa and action server ports
    env.update(CAUNOI_ZALO_API_URL="http://127.0.0.1:9", CAUNOI_ZALO_OAUTH_URL="http://127.0.0.1:9")
    await OperatorStore(redis_client, Secret(SECRET_KEY), CHEAP_HASHER).add("lan", "operator", PASSWORD)
    with started() as stack:
        process = stack.serve("gateway", env, keep=True, apart=True)
        base = f"http://127.0.0.1:{env['CAUNOI_HTTP_PORT']}"
        await asyncio.to_thread(process.wait_answering, f"{base}/healthz", 60)
        async with httpx.AsyncClient(base_url=base, timeout=10.0) as http:
            secret = {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}
            assert (await http.post("/webhooks/telegram", json=text_update(CHAT, TEXTS["telegram"]),
                                    headers=secret)).status_code == 200
            assert (await http.post("/webhooks/telegram", content=TEXTS["telegram"].encode(),
                                    headers={**secret, "content-type": "application/json"})).status_code == 400
            web = await http.post("/webhooks/web", json={"text": TEXTS["web"]})
            assert web.status_code == 200
            assert (await http.post("/webhooks/telegram", content=b"x" * (2 * 1024 * 1024),
                                    headers=secret)).status_code == 413
            assert (await http.post("/api/login", json={"username": PASSWORD, "password": "x"})).status_code == 401
            login = await http.post("/api/login", json={"username": "lan", "password": PASSWORD})
            assert login.status_code == 200
            assert (await http.get(f"/api/conversations/{CONVERSATION}")).status_code in (200, 404)
            data = event("user_send_text", text=TEXTS["zalo"], msg_id="leakscan-msg-2")
            data["sender"]["id"] = ZALO_USER
            assert (await http.post("/webhooks/zalo", content=signed(data)[0],
                                    headers={"X-ZEvent-Signature": signed(data)[1],
                                             "content-type": "application/json"})).status_code == 200
        with contextlib.suppress(GaveUp):  # the inbox worker answers in the background: wait for the degraded reply
            await until_async(lambda: bot_api.called("sendMessage"), 10, "the degraded reply", every=0.1)
        await asyncio.sleep(1.0)  # the Zalo send fails (nothing listens): let its retries log
    lines = process.output()
    assert scan(lines, needles({**ZALO_SECRETS, "csrf token": login.json()["csrf_token"],
                                "web conversation id": web.json()["conversation_id"].split(":", 1)[1],
                                "web token": web.json()["token"]})) == []
    routes = {json.loads(line).get("route") for line in lines}
    assert {"/webhooks/telegram", "/webhooks/web", "/webhooks/zalo", "/api/login"} <= routes, lines
