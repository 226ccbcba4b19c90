"""How a frightened person's typed words are read while a referral's consent question waits (issue #21's review):
danger is never an answer, a question back is not a "no", and the everyday ways of saying yes are read as yes."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from bot.state import keys
from bot.state.organisations import Organisation, OrganisationStore
from harness.botapi import Behaviour, FakeBotAPI
from harness.rasa import FakeRasa
from tests.console.harness import Console
from tests.console.test_referrals import (
    ENTRY,
    PERSON,
    SUMMARY,
    buttons,
    person_presses,
    person_says,
    propose,
    setup,
)


async def stored_status(console: Console, referral_id: str) -> str:
    consent = console.gateway.consent
    assert consent is not None
    stored = await consent.referrals.get(referral_id)
    assert stored is not None
    return stored.status


@pytest.mark.parametrize("typed", ["ko, cuu toi voi", "chồng em đang đánh em, ko", "không, mình muốn chết"])
async def test_danger_words_are_not_taken_for_a_no_in_bot_mode(console: Console, rasa: FakeRasa,
                                                              typed: str) -> None:
    """The words hold a "ko": read as an answer, the bot would say "không sao" and nobody would escalate."""
    await OrganisationStore(console.gateway.redis).put(Organisation("tgpl", "Trợ giúp pháp lý", (ENTRY,)))
    await console.gateway.transcript.append(PERSON, "person", "cảm ơn bạn")
    boss = await console.login("boss", role="supervisor")
    response = await boss.post(f"/api/conversations/{PERSON}/referrals", {"entry_id": ENTRY, "summary": SUMMARY})
    assert response.status_code == 201, response.text
    await person_says(console, typed)
    assert rasa.messages(PERSON) == [typed]  # the bot hears it (and escalates, as it does danger)
    assert await stored_status(console, response.json()["referral"]["id"]) == "proposed"


async def test_danger_words_while_an_operator_holds_get_no_consent_reply(console: Console,
                                                                         bot_api: FakeBotAPI) -> None:
    hoa = await setup(console)
    referral = await propose(hoa)
    asked = len(await bot_api.wait_for("sendMessage", 1))
    await person_says(console, "ko, ho dang danh toi")
    assert await stored_status(console, referral["id"]) == "proposed"
    assert len(bot_api.called("sendMessage")) == asked  # no "Không sao, mình sẽ không báo cho ai"


@pytest.mark.parametrize("typed", ["có mất tiền không?", "họ có biết tên mình ko", "có ai đọc được không",
                                   "mình không biết nữa", "chua hieu", "ko chắc"])
async def test_a_question_back_is_not_a_no(console: Console, typed: str) -> None:
    """It holds "có" and "không": taken for an answer, the "không" won and the person was refused what they asked."""
    hoa = await setup(console)
    referral = await propose(hoa)
    await person_says(console, typed)
    assert await stored_status(console, referral["id"]) == "proposed"
    await person_says(console, "dc")  # the answer once the operator has answered the question
    assert await stored_status(console, referral["id"]) == "sent"


@pytest.mark.parametrize("typed", ["uk", "được thôi", "oke", "đc ạ", "okay"])
async def test_everyday_ways_of_saying_yes(console: Console, typed: str) -> None:
    hoa = await setup(console)
    referral = await propose(hoa)
    await person_says(console, typed)
    assert await stored_status(console, referral["id"]) == "sent"


@pytest.mark.parametrize("typed", ["k", "thoi khoi", "ko can nua", "thôi được"])
async def test_everyday_ways_of_saying_no(console: Console, typed: str) -> None:
    hoa = await setup(console)
    referral = await propose(hoa)
    await person_says(console, typed)
    assert await stored_status(console, referral["id"]) == "refused"


async def test_a_partners_history_has_no_check_in_and_every_line_in_vietnamese(console: Console) -> None:
    """The partner's history showed "consent_contact", "consent_transcript" as such (no label), and
    "consent_check_in" told the organisation whether the person let the hotline check in on them."""
    hoa = await setup(console)
    referral = await propose(hoa)
    for answer in ("có", "được", "không", "được"):  # share, contact (via the hotline), transcript, check-in
        await person_says(console, answer)
    lan = await console.login("lan", role="partner", org="tgpl")
    history = (await lan.get(f"/api/referrals/{referral['id']}")).json()["referral"]["history"]
    statuses = [h["status"] for h in history]
    assert statuses == ["proposed", "sent", "consent_contact", "consent_transcript"]
    script = "".join((Path(__file__).resolve().parents[2] / "bot/console/static" / name).read_text(encoding="utf-8")
                     for name in ("referrals.js", "partner.js"))
    for status in statuses:
        assert re.search(rf"\b{status}: ", script), f"no Vietnamese label for {status}"
    staff = (await hoa.get(f"/api/referrals/{referral['id']}")).json()["referral"]["history"]
    assert "consent_check_in" in [h["status"] for h in staff]  # the hotline's own view keeps it


async def test_a_button_of_an_expired_question_is_answered_not_met_with_silence(console: Console,
                                                                             bot_api: FakeBotAPI) -> None:
    hoa = await setup(console)
    bot_api.reset()
    referral = await propose(hoa)
    [question] = await bot_api.wait_for("sendMessage", 1)
    consent = console.gateway.consent
    assert consent is not None
    await console.gateway.redis.zadd(keys.REFERRAL_CONSENT_DUE, {referral["id"]: time.time() - 1})
    assert len(await consent.expire()) == 1
    await person_presses(console, buttons(question)[0][1])  # "Đồng ý", the next morning
    [_, told] = await bot_api.wait_for("sendMessage", 2)
    assert "đã hết hạn nên mình chưa báo cho ai" in told["text"]
    assert await stored_status(console, referral["id"]) == "expired"


async def test_a_second_tap_of_an_answered_button_says_nothing_more(console: Console, bot_api: FakeBotAPI) -> None:
    hoa = await setup(console)
    bot_api.reset()
    referral = await propose(hoa)
    [question] = await bot_api.wait_for("sendMessage", 1)
    await person_presses(console, buttons(question)[1][1])  # "Không"
    await person_presses(console, buttons(question)[1][1])  # tapped twice
    assert await stored_status(console, referral["id"]) == "refused"
    assert len(bot_api.called("sendMessage")) == 2  # the question, and "Không sao, mình sẽ không báo cho ai"


async def test_a_shared_transcript_is_the_conversation_as_it_was_when_proposed(console: Console,
                                                                                bot_api: FakeBotAPI) -> None:
    """It held everything written later: the consent questions, another organisation's referral, what the person
    wrote months on."""
    hoa = await setup(console)  # the person wrote "họ giữ hộ chiếu của mình"
    await console.gateway.transcript.append(PERSON, "operator", "Mình hiểu rồi, mình sẽ tìm nơi giúp bạn.")
    referral = await propose(hoa)
    for answer in ("có", "được", "có", "không"):  # share, contact, transcript: yes; no check-in
        await person_says(console, answer)
    consent = console.gateway.consent
    assert consent is not None
    other = await hoa.post(f"/api/conversations/{PERSON}/referrals",
                           {"entry_id": "tgpl-ho-chi-minh", "summary": "Một giới thiệu khác"})
    assert other.status_code == 201, other.text
    await person_says(console, "không")
    await person_says(console, "mình đã chuyển sang chỗ ở mới rồi")
    lan = await console.login("lan", role="partner", org="tgpl")
    shared = (await lan.get(f"/api/referrals/{referral['id']}")).json()["referral"]["transcript"]
    texts = [e["text"] for e in shared]
    assert texts[0] == "họ giữ hộ chiếu của mình" and texts[-1] == "Mình hiểu rồi, mình sẽ tìm nơi giúp bạn."
    assert not [text for text in texts if "tóm tắt" in text or "Một giới thiệu khác" in text or "chỗ ở mới" in text
                or "TP.HCM" in text]


async def test_back_with_the_bot_a_typed_yes_answers_the_bot_not_the_old_question(console: Console,
                                                                                    bot_api: FakeBotAPI,
                                                                                    rasa: FakeRasa) -> None:
    """The operator closed while the question waited; the bot then asked its own questions. A "có" to one of them
    sent the referral: the person agreed to something they were not being asked."""
    hoa = await setup(console)
    bot_api.reset()
    referral = await propose(hoa)
    [question] = await bot_api.wait_for("sendMessage", 1)
    closed = await hoa.post(f"/api/conversations/{PERSON}/close", {"outcome": "informed"})
    assert closed.status_code == 200, closed.text
    await person_says(console, "chào bạn")  # the bot answers (and may ask "bạn có ... không?")
    await person_says(console, "có")
    assert rasa.messages(PERSON) == ["chào bạn", "có"]
    assert await stored_status(console, referral["id"]) == "proposed"
    await person_presses(console, buttons(question)[0][1])  # the question's own button still answers it
    assert await stored_status(console, referral["id"]) == "sent"


async def test_a_question_that_never_reached_the_person_blocks_no_new_try(console: Console,
                                                                          bot_api: FakeBotAPI) -> None:
    """It stayed `proposed` and waiting for 48 hours: every new try was refused ("already waiting")."""
    hoa = await setup(console)
    bot_api.answer("sendMessage", Behaviour("403"))
    first = await hoa.post(f"/api/conversations/{PERSON}/referrals", {"entry_id": ENTRY, "summary": SUMMARY})
    assert first.status_code == 201 and first.json()["delivered"] is False
    assert first.json()["referral"]["status"] == "expired"
    assert await stored_status(console, first.json()["referral"]["id"]) == "expired"
    again = await hoa.post(f"/api/conversations/{PERSON}/referrals", {"entry_id": ENTRY, "summary": SUMMARY})
    assert again.status_code == 201 and again.json()["delivered"] is True, again.text
    lan = await console.login("lan", role="partner", org="tgpl")
    assert (await lan.get("/api/referrals")).json()["referrals"] == []
