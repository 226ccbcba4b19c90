"""The check-in after a referral (bot/gateway/followups.py), through the running gateway app: scheduled a moment ahead
(a short real delay, the tick every 50 ms), asked once with three choices, and each answer as a tap, a number and
typed words with and without diacritics; skipped outside Zalo's window or when the person blocked the bot, postponed
while an operator holds the conversation, erased by /xoa, sent once by two workers."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.console import ConsoleOptions
from bot.gateway.dispatch import risk_reader
from bot.gateway.followups import GIVE_UP_HELD_SECONDS, FollowUpParts, ReferralNotes
from bot.gateway.parts import GatewayOptions
from bot.messages import Inbound
from bot.settings import Settings
from bot.state import keys
from bot.state.erase import ERASE_PAYLOAD
from bot.state.organisations import Organisation, OrganisationStore
from bot.state.queue import Case
from bot.state.referrals import Referral, ReferralStore, new_id
from bot.state.sealed import Sealer
from bot.state.transcript import Entry
from harness.app import settle
from harness.botapi import TOKEN, Behaviour, FakeBotAPI, callback_update, text_update
from harness.rasa import FakeRasa
from harness.wait import until_async
from tests.channels.fakes import FakeZalo
from tests.conftest import make_settings
from tests.console.harness import CHEAP_HASHER, Console, console_app, gateway_options, over_asgi

CHAT = 4242
PERSON = f"tg:{CHAT}"
ZALO_PERSON = "zalo:8880000000000000042"
ORG = "Trung tâm Công tác xã hội An Giang"
WEBHOOK_SECRET = "follow-up-test-secret"
SOON = 0.3  # seconds from scheduling to due: a short real delay


def follow_up_settings(redis_url: str, bot_api: FakeBotAPI, **overrides: str) -> Settings:
    return make_settings(REDIS_URL=redis_url, CAUNOI_TELEGRAM_TOKEN=TOKEN, CAUNOI_TELEGRAM_API_URL=bot_api.url,
                         CAUNOI_TELEGRAM_WEBHOOK_SECRET=WEBHOOK_SECRET, CAUNOI_RASA_TOKEN="rasa-test-token",
                         CAUNOI_ZALO_APP_ID="1111222233334444", CAUNOI_ZALO_OA_SECRET="fake-oa-secret-key",
                         CAUNOI_ZALO_APP_SECRET="fake-app-secret", CAUNOI_ZALO_ACCESS_TOKEN="fake-access-1",
                         CAUNOI_ZALO_REFRESH_TOKEN="fake-refresh-1", CAUNOI_ZALO_API_URL="http://zalo.test",
                         CAUNOI_ZALO_OAUTH_URL="http://oauth.zalo.test", CAUNOI_FOLLOW_UP_TICK_SECONDS="0.05",
                         **overrides)


@pytest.fixture
def rasa() -> FakeRasa:
    return FakeRasa()


@pytest.fixture
def zalo_api() -> FakeZalo:
    return FakeZalo()


@pytest.fixture
def settings(redis_url: str, bot_api: FakeBotAPI) -> Settings:
    return follow_up_settings(redis_url, bot_api)


def running_app(settings: Settings, rasa: FakeRasa, zalo_api: FakeZalo) -> Any:
    gateway = GatewayOptions(**{**gateway_options().__dict__, "zalo_transport": zalo_api.transport()})
    return over_asgi(console_app(settings, rasa, ConsoleOptions(hasher=CHEAP_HASHER, run_background=False), gateway))


@pytest.fixture
async def app(settings: Settings, rasa: FakeRasa, zalo_api: FakeZalo) -> AsyncIterator[Console]:
    async with running_app(settings, rasa, zalo_api) as running:
        yield running


def referrals(app: Console) -> ReferralStore:
    return ReferralStore(app.gateway.redis, Sealer.from_settings(app.gateway.settings))


async def referred(app: Console, conversation: str = PERSON, check_in: bool = True, due_in: float = SOON) -> str:
    """A referral the person agreed to, with a check-in (when `check_in`) due `due_in` seconds from now."""
    await OrganisationStore(app.gateway.redis).put(Organisation("ttcxh-an-giang", ORG, ("ttcxh-an-giang-1",)))
    now = time.time()
    store = referrals(app)
    referral = await store.create(Referral(new_id(), conversation, "ttcxh-an-giang-1", "ttcxh-an-giang",
                                           "Chị cần chỗ ở an toàn.", 7, "lan", now, now + 3600,
                                           channel=conversation.split(":")[0]))
    await store.done_asking(conversation)  # the consent dialogue's own questions are over
    await store.answer(referral.id, "share", True)
    await store.answer(referral.id, "check_in", check_in)
    assert app.gateway.follow_ups is not None
    await app.gateway.follow_ups.schedule(referral.id, conversation, time.time() + due_in)
    return referral.id


async def telegram(app: Console, update: dict[str, Any]) -> None:
    response = await app.client().post("/webhooks/telegram", json=update,
                                       headers={"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET})
    assert response.status_code == 200


async def to_person(bot_api: FakeBotAPI, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
    def sent() -> list[dict[str, Any]] | None:
        found = [call for call in bot_api.called("sendMessage") if str(call["chat_id"]) == str(CHAT)]
        return found if len(found) >= count else None

    return await until_async(sent, timeout, f"{count} messages to reach the person")


def choices(call: dict[str, Any]) -> list[tuple[str, str]]:
    markup = call["reply_markup"]
    return [(button["text"], button["callback_data"]) for row in markup["inline_keyboard"] for button in row]


async def referral_of(app: Console, referral_id: str) -> Referral:
    found = await referrals(app).get(referral_id)
    assert found is not None
    return found


async def asked_on_telegram(app: Console, bot_api: FakeBotAPI) -> dict[str, Any]:
    (question,) = await to_person(bot_api, 1)
    assert question["text"] == ("Chào bạn, mình là Cầu Nối đây. Mấy hôm trước bạn đồng ý để mình hỏi thăm: bạn đã "
                                f"liên hệ được với {ORG} chưa?")
    assert [title for title, _ in choices(question)] == ["Đã được giúp", "Chưa liên hệ được", "Không cần nữa"]
    return question


TITLES = {"helped": "Đã được giúp", "not_reached": "Chưa liên hệ được", "not_needed": "Không cần nữa"}
REPLIES = {"helped": "Mình mừng quá", "not_reached": "Mình đã nhờ một người hỗ trợ", "not_needed": "Mình hiểu rồi"}
ANSWERS = [
    ("helped", "button"), ("helped", "đã được giúp rồi"), ("helped", "da dc giup roi"), ("helped", "1"),
    ("not_reached", "button"), ("not_reached", "chưa liên hệ được"), ("not_reached", "chua lien he duoc"),
    ("not_reached", "2"),
    ("not_needed", "button"), ("not_needed", "Không cần nữa ạ"), ("not_needed", "ko can nua"), ("not_needed", "3."),
]


@pytest.mark.parametrize("answer, how", ANSWERS)
async def test_asked_after_the_delay_and_answered(app: Console, bot_api: FakeBotAPI, rasa: FakeRasa, answer: str,
                                                  how: str) -> None:
    referral_id = await referred(app)
    started = time.time()
    question = await asked_on_telegram(app, bot_api)
    assert time.time() - started >= SOON - 0.05  # not before it was due

    async def noted() -> bool:
        return (await referral_of(app, referral_id)).history[-1].status == "follow_up_asked"

    await until_async(noted, 5, "the question to be noted on the referral")
    if how == "button":
        code = dict(choices(question))[TITLES[answer]]
        await telegram(app, callback_update(CHAT, code))
    else:
        await telegram(app, text_update(CHAT, how))
    await app.settle()
    reply = (await to_person(bot_api, 2))[-1]["text"]
    assert REPLIES[answer] in reply
    assert rasa.messages() == []  # the gateway answered it; Rasa never saw the answer
    referral = await referral_of(app, referral_id)
    assert referral.follow_up_answer == answer
    assert (referral.history[-1].status, referral.history[-1].actor, referral.history[-1].note) == \
        ("follow_up_answered", "person", TITLES[answer])
    case = await app.gateway.queue.case(PERSON)
    if answer == "not_reached":  # back in the operators' queue, the organisation named
        assert await app.gateway.queue.mode(PERSON) == "waiting"
        assert case is not None and any(ORG in reason for reason in case.reasons)
        assert case.summary == "Chị cần chỗ ở an toàn."
    else:
        assert case is None and await app.gateway.queue.mode(PERSON) == "bot"
    # Asked once: no second question however long the tick runs.
    await asyncio.sleep(0.2)
    assert len(await to_person(bot_api, 2)) == 2


async def test_anything_else_goes_to_rasa_and_drops_the_question(app: Console, bot_api: FakeBotAPI,
                                                                 rasa: FakeRasa) -> None:
    referral_id = await referred(app)
    await asked_on_telegram(app, bot_api)
    await telegram(app, text_update(CHAT, "cho mình hỏi về hộ chiếu"))
    await app.settle()
    assert rasa.messages() == ["cho mình hỏi về hộ chiếu"]
    await telegram(app, text_update(CHAT, "1"))  # the question was dropped: a "1" now is an ordinary message
    await app.settle()
    assert rasa.messages()[-1] == "1"
    assert (await referral_of(app, referral_id)).follow_up_answer == ""


async def test_a_referral_without_a_check_in_is_never_asked(app: Console, bot_api: FakeBotAPI) -> None:
    await referred(app, check_in=False)
    await asyncio.sleep(SOON + 0.3)
    assert bot_api.called("sendMessage") == []
    assert await app.gateway.redis.zcard(keys.FOLLOW_UPS_DUE) == 0


async def test_a_blocked_bot_is_skipped_and_the_referral_says_why(app: Console, bot_api: FakeBotAPI) -> None:
    bot_api.answer("sendMessage", Behaviour("403"))
    referral_id = await referred(app)

    async def skipped() -> Referral | None:
        referral = await referral_of(app, referral_id)
        return referral if referral.follow_up_skipped else None

    referral = await until_async(skipped, 10, "the follow-up to be skipped")
    assert referral.follow_up_skipped == "blocked"
    assert referral.history[-1].status == "follow_up_skipped" and "chặn bot" in referral.history[-1].note
    assert len(bot_api.called("sendMessage")) == 1  # tried once, never again
    await asyncio.sleep(0.2)
    assert len(bot_api.called("sendMessage")) == 1
    assert not await app.gateway.redis.exists(keys.follow_ups(PERSON))


async def test_postponed_while_an_operator_holds_the_conversation(app: Console, bot_api: FakeBotAPI) -> None:
    await app.gateway.queue.enqueue(Case(PERSON, "telegram", "medium", ("x",)))
    referral_id = await referred(app)
    store = app.gateway.follow_ups
    assert store is not None

    async def postponed() -> bool:
        pending = await store.get(PERSON, referral_id)
        return pending is not None and pending.postponed > 0

    await until_async(postponed, 10, "the follow-up to be postponed")
    assert bot_api.called("sendMessage") == []
    later = await app.gateway.redis.zscore(keys.FOLLOW_UPS_DUE, f"{PERSON} {referral_id}")
    assert later is not None and later > time.time() + 3000  # looked at again in an hour
    # The operator is done: once due again, it is asked.
    await app.gateway.queue.withdraw(PERSON)
    await app.gateway.redis.zadd(keys.FOLLOW_UPS_DUE, {f"{PERSON} {referral_id}": time.time()})
    await asked_on_telegram(app, bot_api)


async def test_erasing_my_data_removes_the_pending_follow_up(app: Console, bot_api: FakeBotAPI,
                                                             rasa: FakeRasa) -> None:
    referral_id = await referred(app, due_in=3600)
    assert await app.gateway.redis.zscore(keys.FOLLOW_UPS_DUE, f"{PERSON} {referral_id}") is not None
    rasa.replies = lambda turn: [{"recipient_id": turn["sender"], "text": "Mình đã xóa dữ liệu của bạn."},
                                 {"recipient_id": turn["sender"], "custom": ERASE_PAYLOAD}]
    await telegram(app, text_update(CHAT, "/xoa"))
    await app.settle()
    assert rasa.messages()[-1] == "/delete_my_data"
    assert await app.gateway.redis.zcard(keys.FOLLOW_UPS_DUE) == 0
    assert not await app.gateway.redis.exists(keys.follow_ups(PERSON))
    assert not await app.gateway.redis.keys("*followup*")


async def test_two_workers_ask_once(settings: Settings, rasa: FakeRasa, zalo_api: FakeZalo,
                                    bot_api: FakeBotAPI) -> None:
    async with running_app(settings, rasa, zalo_api) as first, running_app(settings, FakeRasa(), zalo_api) as second:
        for number in range(5):
            await referred(first, f"tg:{CHAT + number}", due_in=SOON)
        await asyncio.sleep(SOON + 0.5)
        await settle(first, second)
        sent = sorted(str(call["chat_id"]) for call in bot_api.called("sendMessage"))
        assert sent == sorted(str(CHAT + number) for number in range(5))


async def zalo_wrote(app: Console, hours_ago: float) -> None:
    at = time.time() - hours_ago * 3600
    await app.gateway.transcript.append_many(ZALO_PERSON, [Entry("person", "cảm ơn", at=at),
                                                           Entry("bot", "Không có gì.", at=at + 1)])


async def test_zalo_outside_its_window_is_skipped_and_the_referral_says_why(app: Console,
                                                                            zalo_api: FakeZalo) -> None:
    await zalo_wrote(app, 49)
    referral_id = await referred(app, ZALO_PERSON)

    async def skipped() -> Referral | None:
        referral = await referral_of(app, referral_id)
        return referral if referral.follow_up_skipped else None

    referral = await until_async(skipped, 10, "the follow-up to be skipped")
    assert referral.follow_up_skipped == "zalo_window"
    assert "48 giờ" in referral.history[-1].note
    assert zalo_api.sends == []  # nothing posted: Zalo would refuse it


@pytest.mark.parametrize("choices_setting", ["buttons", "numbers"])
async def test_zalo_inside_its_window_is_asked_and_a_number_answers(redis_url: str, bot_api: FakeBotAPI,
                                                                    rasa: FakeRasa, zalo_api: FakeZalo,
                                                                    choices_setting: str) -> None:
    settings = follow_up_settings(redis_url, bot_api, CAUNOI_ZALO_CHOICES=choices_setting)
    async with running_app(settings, rasa, zalo_api) as app:
        await zalo_wrote(app, 47)
        referral_id = await referred(app, ZALO_PERSON)

        def asked() -> list[str] | None:
            return zalo_api.texts() or None

        (question,) = await until_async(asked, 10, "the question on Zalo")
        assert ORG in question
        if choices_setting == "numbers":
            assert "1. Đã được giúp\n2. Chưa liên hệ được\n3. Không cần nữa" in question
        await app.gateway.accept(Inbound("zalo", ZALO_PERSON, "zalo-msg-1", text="2"), "zalo-msg-1")
        await app.settle()
        assert REPLIES["not_reached"] in zalo_api.texts()[-1]
        assert (await referral_of(app, referral_id)).follow_up_answer == "not_reached"
        assert await app.gateway.queue.mode(ZALO_PERSON) == "waiting"
        assert rasa.messages() == []


async def test_every_follow_up_key_expires(app: Console) -> None:
    await referred(app, due_in=3600)
    assert await app.gateway.redis.ttl(keys.follow_ups(PERSON)) > 3600


async def test_held_a_week_past_its_time_it_is_skipped_and_the_referral_says_why(app: Console,
                                                                                 bot_api: FakeBotAPI) -> None:
    await app.gateway.queue.enqueue(Case(PERSON, "telegram", "medium", ("x",)))
    referral_id = await referred(app, due_in=0)
    store = app.gateway.follow_ups
    assert store is not None

    async def postponed() -> bool:  # by the app's own tick: then it leaves it alone for an hour
        pending = await store.get(PERSON, referral_id)
        return pending is not None and pending.postponed > 0

    await until_async(postponed, 10, "the follow-up to be postponed")
    week_later = time.time() + GIVE_UP_HELD_SECONDS + 60  # a tick with its clock a week on
    parts = FollowUpParts.build(app.gateway.settings.content_dir, store,
                                ReferralNotes(referrals(app), OrganisationStore(app.gateway.redis), None),
                                app.gateway.senders, app.gateway.queue, app.gateway.transcript,
                                risk_reader(app.gateway.settings.content_dir), app.gateway.redis,
                                clock=lambda: week_later)
    assert (await parts.asker.tick()).skipped == 1
    referral = await referral_of(app, referral_id)
    assert referral.follow_up_skipped == "held_too_long" and "người hỗ trợ giữ" in referral.history[-1].note
    assert bot_api.called("sendMessage") == [] and await store.get(PERSON, referral_id) is None


async def test_a_message_while_a_human_holds_it_drops_the_question(app: Console, bot_api: FakeBotAPI,
                                                                   rasa: FakeRasa) -> None:
    referral_id = await referred(app)
    await asked_on_telegram(app, bot_api)
    await app.gateway.queue.enqueue(Case(PERSON, "telegram", "medium", ("x",)))  # an operator is on the way
    await telegram(app, text_update(CHAT, "1"))  # for the operator now
    await app.settle()
    await app.gateway.queue.withdraw(PERSON)
    await telegram(app, text_update(CHAT, "2"))  # back with the bot: an ordinary message
    await app.settle()
    assert rasa.messages() == ["2"]
    assert (await referral_of(app, referral_id)).follow_up_answer == ""
