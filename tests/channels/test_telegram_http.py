"""bot/channels/telegram_http.py: python-telegram-bot's Bot API calls over aiohttp, against the Bot API double."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram._utils.defaultvalue import DefaultValue
from telegram.error import NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.request import BaseRequest

from bot.channels.telegram import stop_bot
from bot.channels.telegram_http import AiohttpRequest
from bot.state.store import free_port
from harness.botapi import TOKEN, Behaviour, FakeBotAPI


def request(timeout: float = 2.0) -> AiohttpRequest:
    return AiohttpRequest(connect_timeout=1.0, read_timeout=timeout, write_timeout=timeout, pool_timeout=1.0)


@pytest.fixture
async def bot(bot_api: FakeBotAPI) -> AsyncIterator[Bot]:
    bot = Bot(TOKEN, base_url=bot_api.url, request=request(), get_updates_request=request())
    await bot.initialize()
    yield bot
    await bot.shutdown()


async def test_a_message_with_a_keyboard_arrives_as_sent(bot: Bot, bot_api: FakeBotAPI) -> None:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Có", callback_data="b:1")]])
    sent = await bot.send_message(42, "Xin chào, bạn an toàn không?", reply_markup=markup, protect_content=True)
    assert sent.message_id > 0 and sent.chat.id == 42
    [params] = bot_api.called("sendMessage")
    # A form, as python-telegram-bot sends it: every value JSON-encoded (the double decodes objects only).
    assert params["chat_id"] == "42" and params["text"] == "Xin chào, bạn an toàn không?"
    assert params["reply_markup"] == {"inline_keyboard": [[{"text": "Có", "callback_data": "b:1"}]]}
    assert params["protect_content"] == "true"


async def test_the_bot_api_errors_keep_their_meaning(bot: Bot, bot_api: FakeBotAPI) -> None:
    bot_api.answer("sendMessage", Behaviour("429", 7))
    with pytest.raises(RetryAfter) as slow_down:
        await bot.send_message(42, "a")
    assert slow_down.value.retry_after in (7, timedelta(seconds=7))
    bot_api.answer("sendMessage", Behaviour("5xx", 502))
    with pytest.raises(NetworkError):
        await bot.send_message(42, "b")


async def test_a_hanging_server_times_out(bot_api: FakeBotAPI) -> None:
    bot = Bot(TOKEN, base_url=bot_api.url, request=request(timeout=0.5))
    await bot.initialize()
    try:
        bot_api.answer("sendMessage", Behaviour("hang", 3.0))
        with pytest.raises(TimedOut):
            await bot.send_message(42, "a")
        # The pool is still usable. This call gets a generous budget: the 0.5 s above is for the hang, and a busy
        # machine (a full `make test` beside other work) can take longer than that to answer at all.
        generous = {"read_timeout": 30, "write_timeout": 30, "connect_timeout": 30, "pool_timeout": 30}
        assert (await bot.send_message(42, "b", **generous)).text == "b"
    finally:
        await bot.shutdown()


async def test_no_server_is_a_network_error_that_names_no_url() -> None:
    bot = Bot(TOKEN, base_url=f"http://127.0.0.1:{free_port()}/bot", request=request())
    try:
        with pytest.raises(NetworkError) as failed:
            await bot.initialize()  # getMe
    finally:
        await stop_bot(bot)
    assert TOKEN not in failed.value.message and "127.0.0.1" not in failed.value.message
    assert failed.value.message.startswith("aiohttp.")


async def test_a_file_upload_is_refused_before_anything_is_sent(bot: Bot, bot_api: FakeBotAPI) -> None:
    with pytest.raises(TelegramError, match="file uploads"):
        await bot.send_document(42, io.BytesIO(b"%PDF-1.4"), filename="poster.pdf")
    assert bot_api.called("sendDocument") == []


async def test_calls_before_initialize_or_after_shutdown_fail_clearly(bot_api: FakeBotAPI) -> None:
    unready = request()
    with pytest.raises(RuntimeError, match="not initialized"):
        await unready.do_request(f"{bot_api.url}{TOKEN}/getMe", "POST")
    await unready.initialize()
    await unready.shutdown()
    with pytest.raises(RuntimeError, match="not initialized"):
        await unready.do_request(f"{bot_api.url}{TOKEN}/getMe", "POST")


async def test_a_calls_own_timeout_wins_and_unset_ones_take_the_default(bot: Bot, bot_api: FakeBotAPI) -> None:
    bot_api.answer("sendMessage", Behaviour("hang", 3.0))
    with pytest.raises(TimedOut):
        await bot.send_message(42, "a", read_timeout=0.3)  # the default read timeout here is 2 s
    assert request()._chosen("read", BaseRequest.DEFAULT_NONE) == 2.0
    assert request()._chosen("read", DefaultValue(5.0)) == 2.0
    assert request()._chosen("read", 0.5) == 0.5
