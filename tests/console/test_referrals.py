"""Referrals end to end over the real gateway and console (Telegram test double, real Redis): the operator proposes,
the person answers the consent questions by button or by typing, a partner sees only what was agreed and moves the
status, everything is audited, and the numbers show no small counts."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from bot.console.referrals import shown_count
from bot.state import keys
from bot.state.erase import erase
from bot.state.organisations import Organisation, OrganisationStore
from bot.state.queue import Case
from bot.state.referrals import Referral, new_id
from harness.botapi import FakeBotAPI, callback_update, text_update
from harness.rasa import FakeRasa
from tests.console.conftest import WEBHOOK_SECRET
from tests.console.harness import PASSWORD, Console, Session

CHAT = 515151
PERSON = f"tg:{CHAT}"
ENTRY, OTHER_ENTRY = "tro-giup-phap-ly-1800-1233", "tgpl-ho-chi-minh"  # verified seed entries
SUMMARY = "Chị 24 tuổi, bị giữ giấy tờ ở xưởng may, cần tư vấn pháp lý."


async def setup(console: Console) -> Session:
    """Two organisations, a person waiting, and operator Hoa holding the conversation."""
    organisations = OrganisationStore(console.gateway.redis)
    await organisations.put(Organisation("tgpl", "Trợ giúp pháp lý", (ENTRY,)))
    await organisations.put(Organisation("tgpl-hcm", "Trợ giúp pháp lý TP.HCM", (OTHER_ENTRY,)))
    await console.gateway.queue.enqueue(Case(PERSON, "telegram", "high", ("Bị giữ giấy tờ",), "", "", time.time()))
    await console.gateway.transcript.append(PERSON, "person", "họ giữ hộ chiếu của mình")
    hoa = await console.login("hoa", alias="Hoa")
    assert (await hoa.post(f"/api/conversations/{PERSON}/claim")).status_code == 200
    return hoa


async def person_says(console: Console, text: str) -> None:
    response = await console.client().post("/webhooks/telegram", json=text_update(CHAT, text),
                                           headers={"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET})
    assert response.status_code == 200
    await console.settle()


async def person_presses(console: Console, data: str) -> None:
    response = await console.client().post("/webhooks/telegram", json=callback_update(CHAT, data),
                                           headers={"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET})
    assert response.status_code == 200
    await console.settle()


def buttons(call: dict[str, Any]) -> list[tuple[str, str]]:
    markup = call.get("reply_markup")
    markup = json.loads(markup) if isinstance(markup, str) else markup or {}
    return [(b["text"], b["callback_data"]) for row in markup.get("inline_keyboard", []) for b in row]


async def last_message(bot_api: FakeBotAPI, count: int) -> dict[str, Any]:
    return (await bot_api.wait_for("sendMessage", count))[-1]


async def propose(hoa: Session, entry: str = ENTRY, **extra: Any) -> dict[str, Any]:
    response = await hoa.post(f"/api/conversations/{PERSON}/referrals",
                              {"entry_id": entry, "summary": SUMMARY, "follow_up_days": 3, **extra})
    assert response.status_code == 201, response.text
    referral: dict[str, Any] = response.json()["referral"]
    return referral


async def audited(console: Console, action: str) -> list[dict[str, Any]]:
    return [entry async for entry in console.services.audit.export() if entry["action"] == action]


async def test_consent_given_by_buttons_shares_what_was_agreed(console: Console, bot_api: FakeBotAPI,
                                                               rasa: FakeRasa) -> None:
    hoa = await setup(console)
    scheduled: list[tuple[str, str, float]] = []

    class Recording:  # the follow-up feature's scheduler, as the FollowUpScheduler protocol says it is called
        async def schedule(self, referral_id: str, conversation_id: str, due_at: float) -> None:
            scheduled.append((referral_id, conversation_id, due_at))

    assert console.gateway.consent is not None
    console.gateway.consent.follow_ups = Recording()
    bot_api.reset()
    referral = await propose(hoa)
    assert referral["status"] == "proposed" and referral["org"] == "tgpl"
    question = await last_message(bot_api, 1)
    assert "Trợ giúp pháp lý" in question["text"] and SUMMARY in question["text"]  # exactly what would be shared
    [(yes_title, yes), (no_title, _)] = buttons(question)
    assert (yes_title, no_title) == ("Đồng ý", "Không")

    await person_presses(console, yes)
    stored = await console.gateway.consent.referrals.get(referral["id"])  # type: ignore[union-attr]
    assert stored is not None and stored.status == "sent" and stored.consent.share_summary is True
    contact_question = await last_message(bot_api, 2)
    assert "liên lạc lại" in contact_question["text"]
    await person_says(console, "0901 234 567, sau 8 giờ tối")  # a way to be reached, typed
    transcript_question = await last_message(bot_api, 3)
    await person_presses(console, buttons(transcript_question)[1][1])  # "Không gửi": the transcript stays
    check_in = await last_message(bot_api, 4)
    await person_says(console, "duoc")  # no diacritics
    done = await last_message(bot_api, 5)
    assert "Mình đã báo cho Trợ giúp pháp lý" in done["text"] and "1800" in done["text"]  # with their contact
    assert check_in["text"].startswith("Vài ngày nữa")
    assert rasa.messages(PERSON) == []  # the answers never reached the bot

    stored = await console.gateway.consent.referrals.get(referral["id"])  # type: ignore[union-attr]
    assert stored is not None
    assert (stored.consent.share_contact, stored.consent.contact_route) == (True, "0901 234 567, sau 8 giờ tối")
    assert stored.consent.share_transcript is False and stored.consent.check_in is True
    assert stored.follow_up_due_at is not None and stored.follow_up_due_at - stored.answered_at > 3 * 86400 - 60
    assert scheduled == [(referral["id"], PERSON, stored.follow_up_due_at)]
    # The operator saw each answer in the conversation.
    lines = [e["text"] for e in (await hoa.get(f"/api/conversations/{PERSON}")).json()["transcript"]
             if e["from"] == "system"]
    assert lines == ["Giới thiệu tới Trợ giúp pháp lý: người nhắn ĐỒNG Ý chia sẻ tóm tắt.",
                     "Giới thiệu tới Trợ giúp pháp lý: đồng ý để tổ chức liên lạc lại.",
                     "Giới thiệu tới Trợ giúp pháp lý: không gửi kèm cuộc trò chuyện.",
                     "Giới thiệu tới Trợ giúp pháp lý: đồng ý để bot hỏi thăm sau."]

    lan = await console.login("lan", role="partner", org="tgpl")
    [seen] = (await lan.get("/api/referrals")).json()["referrals"]
    assert seen["summary"] == SUMMARY and seen["contact"] == {"channel": "Telegram", "route": "0901 234 567, sau 8 giờ "
                                                              "tối", "via_hotline": False}
    assert "conversation_id" not in seen and "transcript" not in seen
    detail = (await lan.get(f"/api/referrals/{referral['id']}")).json()["referral"]
    assert "transcript" not in detail and detail["transcript_shared"] is False
    assert {h["actor"] for h in detail["history"]} == {"hotline", "person"}  # operators stay unnamed


async def test_consent_refused_shares_nothing_and_still_gives_the_contact(console: Console,
                                                                          bot_api: FakeBotAPI) -> None:
    hoa = await setup(console)
    bot_api.reset()
    referral = await propose(hoa)
    await last_message(bot_api, 1)
    await person_says(console, "ko")  # teencode for không
    refused = await last_message(bot_api, 2)
    assert "mình sẽ không báo cho ai" in refused["text"] and "1800" in refused["text"]
    stored = await console.gateway.consent.referrals.get(referral["id"])  # type: ignore[union-attr]
    assert stored is not None and stored.status == "refused" and not stored.shared
    assert await console.gateway.consent.referrals.pending(PERSON) is None  # type: ignore[union-attr]
    lan = await console.login("lan", role="partner", org="tgpl")
    assert (await lan.get("/api/referrals")).json()["referrals"] == []
    assert (await lan.get(f"/api/referrals/{referral['id']}")).status_code == 404
    # Their next message is theirs again: it goes to the operator as usual.
    await person_says(console, "không")
    assert len(await bot_api.wait_for("sendMessage", 2)) == 2


async def test_consent_ignored_expires_and_shares_nothing(console: Console, bot_api: FakeBotAPI) -> None:
    hoa = await setup(console)
    referral = await propose(hoa)
    consent = console.gateway.consent
    assert consent is not None
    assert await consent.expire() == []  # not yet due
    await console.gateway.redis.zadd(keys.REFERRAL_CONSENT_DUE, {referral["id"]: time.time() - 1})
    [expired] = await consent.expire()
    assert expired.status == "expired" and expired.history[-1].actor == "system"
    assert await consent.referrals.pending(PERSON) is None
    bot_api.reset()
    await person_says(console, "có")  # too late: an ordinary message now
    stored = await consent.referrals.get(referral["id"])
    assert stored is not None and stored.status == "expired"
    lan = await console.login("lan", role="partner", org="tgpl")
    assert (await lan.get("/api/referrals")).json()["referrals"] == []
    moved = await (await console.login("boss", role="supervisor")).post(
        f"/api/referrals/{referral['id']}/status", {"status": "contacted"})
    assert moved.status_code == 409 and "nothing was shared" in moved.json()["error"]


@pytest.mark.parametrize(("typed", "status"), [("có", "sent"), ("dong y", "sent"), ("ok", "sent"),
                                                ("Không", "refused"), ("thoi", "refused"),
                                                ("không đồng ý", "refused")])
async def test_typed_answers_with_and_without_diacritics(console: Console, bot_api: FakeBotAPI, typed: str,
                                                         status: str) -> None:
    hoa = await setup(console)
    referral = await propose(hoa)
    await person_says(console, typed)
    stored = await console.gateway.consent.referrals.get(referral["id"])  # type: ignore[union-attr]
    assert stored is not None and stored.status == status


async def test_a_message_that_is_no_answer_goes_on_as_usual(console: Console, bot_api: FakeBotAPI) -> None:
    hoa = await setup(console)
    referral = await propose(hoa)
    await person_says(console, "mình đang sợ lắm, họ đang ở ngoài cửa")
    stored = await console.gateway.consent.referrals.get(referral["id"])  # type: ignore[union-attr]
    assert stored is not None and stored.status == "proposed"
    entries = (await hoa.get(f"/api/conversations/{PERSON}")).json()["transcript"]
    assert entries[-1]["text"] == "mình đang sợ lắm, họ đang ở ngoài cửa"


async def test_proposing_is_validated(console: Console) -> None:
    hoa = await setup(console)
    path = f"/api/conversations/{PERSON}/referrals"
    cases = [({"entry_id": "khong-co", "summary": "x"}, 400, "not in the directory"),
             ({"entry_id": "cap-cuu-115", "summary": "x"}, 400, "no partner organisation"),
             ({"entry_id": "dai-su-quan-campuchia", "summary": "x"}, 400, "not verified"),
             ({"entry_id": ENTRY, "summary": "  "}, 400, "summary must not be empty"),
             ({"entry_id": ENTRY, "summary": "x" * 601}, 413, "summary longer"),
             ({"entry_id": ENTRY, "summary": "x", "follow_up_days": 0}, 400, "follow_up_days"),
             ({"entry_id": ENTRY, "summary": "x", "follow_up_days": "3"}, 400, "follow_up_days"),
             ({"entry_id": ENTRY, "summary": "x", "follow_up_days": 91}, 400, "follow_up_days")]
    for body, status, reason in cases:
        response = await hoa.post(path, body)
        assert response.status_code == status and reason in response.json()["error"], (body, response.text)
    mai = await console.login("mai")
    refused = await mai.post(path, {"entry_id": ENTRY, "summary": "x"})
    assert refused.status_code == 403 and "holding the conversation" in refused.json()["error"]
    assert (await hoa.post(path, {"entry_id": ENTRY, "summary": "x"}, csrf=False)).status_code == 403
    assert (await hoa.post(path, {"entry_id": ENTRY, "summary": "x"})).status_code == 201
    twice = await hoa.post(path, {"entry_id": ENTRY, "summary": "x"})
    assert twice.status_code == 409 and "already waiting" in twice.json()["error"]


async def test_a_partner_sees_only_its_own_and_no_conversation(console: Console) -> None:
    hoa = await setup(console)
    ours = await propose(hoa)
    await person_says(console, "có")
    consent = console.gateway.consent
    assert consent is not None
    # Another organisation's referral, agreed too (a second person).
    await consent.referrals.done_asking(PERSON)
    theirs = await propose(hoa, OTHER_ENTRY)
    await person_says(console, "đồng ý")
    lan = await console.login("lan", role="partner", org="tgpl")
    assert [r["id"] for r in (await lan.get("/api/referrals")).json()["referrals"]] == [ours["id"]]
    assert (await lan.get(f"/api/referrals/{theirs['id']}")).status_code == 404
    probe = await lan.get(f"/api/referrals?conversation={PERSON}")  # which chat a referral came from: not told
    assert probe.status_code == 400
    assert (await lan.post(f"/api/referrals/{theirs['id']}/status", {"status": "contacted"})).status_code == 404
    for path in (f"/api/conversations/{PERSON}", "/api/queue", "/api/events", "/api/operators", "/api/stats",
                 "/api/referrals/stats", "/api/directory/entries", "/api/board"):
        response = await lan.get(path)
        assert response.status_code == 403, (path, response.text)
    for path in (f"/api/conversations/{PERSON}/claim", f"/api/conversations/{PERSON}/referrals", "/api/me/status"):
        assert (await lan.post(path, {"status": "on_duty"})).status_code == 403, path
    # Off duty from the start, never among the operators, never a transfer target; its organisation by name.
    me = (await lan.get("/api/me")).json()
    assert me["status"]["status"] == "off" and me["org_name"] == "Trợ giúp pháp lý"
    assert "org_name" not in (await hoa.get("/api/me")).json()
    boss = await console.login("boss", role="supervisor")
    assert "lan" not in [o["username"] for o in (await boss.get("/api/operators")).json()["operators"]]
    assert "lan" not in [o["username"] for o in (await boss.get("/api/board")).json()["operators"]]
    transfer = await hoa.post(f"/api/conversations/{PERSON}/transfer", {"operator": "lan", "note": "x"})
    assert transfer.status_code == 409
    # A supervisor sees both, and can filter.
    assert len((await boss.get("/api/referrals")).json()["referrals"]) == 2
    assert [r["id"] for r in (await boss.get("/api/referrals?org=tgpl-hcm")).json()["referrals"]] == [theirs["id"]]
    assert (await boss.get("/api/referrals?status=nonsense")).status_code == 400


async def test_status_transitions_and_their_audit(console: Console) -> None:
    hoa = await setup(console)
    referral = await propose(hoa)
    path = f"/api/referrals/{referral['id']}/status"
    lan = await console.login("lan", role="partner", org="tgpl")
    early = await (await console.login("boss", role="supervisor")).post(path, {"status": "received"})
    assert early.status_code == 409 and "not answered yet" in early.json()["error"]
    await person_says(console, "có")
    assert (await lan.post(path, {"status": "sent"})).status_code == 400
    assert (await lan.post(path, {"status": "contacted"})).json()["referral"]["status"] == "contacted"
    backwards = await lan.post(path, {"status": "received"})
    assert backwards.status_code == 409 and "only moves forward" in backwards.json()["error"]
    no_reason = await lan.post(path, {"status": "declined"})
    assert no_reason.status_code == 400 and "reason" in no_reason.json()["error"]
    assert (await lan.post(path, {"status": "helping", "note": "Đã hẹn gặp"})).status_code == 200
    assert (await lan.post(path, {"status": "closed"})).status_code == 200
    final = await lan.post(path, {"status": "declined", "note": "Ngoài phạm vi"})
    assert final.status_code == 409 and "already closed" in final.json()["error"]
    assert (await hoa.post(path, {"status": "closed"})).status_code == 403  # operators read only
    changes = await audited(console, "referral_status")
    assert [(c["actor"], c["before"], c["after"]) for c in changes] == [
        ("lan", "sent", "contacted"), ("lan", "contacted", "helping"), ("lan", "helping", "closed")]
    assert all("Đã hẹn gặp" not in json.dumps(c, ensure_ascii=False) for c in changes)  # no text in the audit
    await lan.get(f"/api/referrals/{referral['id']}")
    [view] = await audited(console, "referral_view")
    assert view["actor"] == "lan" and view["referral"] == referral["id"]
    await lan.get("/api/referrals")
    await lan.get("/api/referrals")
    assert [e["actor"] for e in await audited(console, "referral_list")] == ["lan", "lan"]  # each of a partner's
    assert [p["actor"] for p in await audited(console, "referral_propose")] == ["hoa"]
    stored = await console.gateway.consent.referrals.get(referral["id"])  # type: ignore[union-attr]
    assert stored is not None and stored.first_contact_at is not None
    assert [c.status for c in stored.history] == ["proposed", "sent", "contacted", "helping", "closed"]


async def test_numbers_hide_small_counts_and_move(console: Console) -> None:
    hoa = await setup(console)
    boss = await console.login("boss", role="supervisor")
    empty = (await boss.get("/api/referrals/stats")).json()
    assert empty["total"]["proposed"] == 0 and empty["by_org"] == []
    referral = await propose(hoa)
    await person_says(console, "có")
    lan = await console.login("lan", role="partner", org="tgpl")
    await lan.post(f"/api/referrals/{referral['id']}/status", {"status": "contacted"})
    found = (await boss.get("/api/referrals/stats")).json()
    assert found["total"]["proposed"] == "<5" and found["total"]["contacted"] == "<5"
    assert found["total"]["median_days_to_first_contact"] is None  # fewer than five: not shown
    assert found["by_org"][0]["name"] == "Trợ giúp pháp lý" and found["by_type"][0]["type"] == "legal_aid"
    csv = await boss.get("/api/referrals/stats.csv")
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    text = csv.text
    assert "<5" in text and PERSON not in text and referral["id"] not in text and SUMMARY not in text
    assert [shown_count(n) for n in (0, 1, 4, 5, 12)] == [0, "<5", "<5", 5, 12]


async def test_erasing_the_conversation_takes_its_referrals(console: Console) -> None:
    hoa = await setup(console)
    referral = await propose(hoa)
    consent = console.gateway.consent
    assert consent is not None
    await erase(console.gateway.redis, PERSON)
    assert await consent.referrals.get(referral["id"]) is None
    assert await consent.referrals.all() == [] and await consent.referrals.pending(PERSON) is None
    redis = console.gateway.redis
    assert not await redis.zcard(keys.REFERRALS) and not await redis.hlen(keys.REFERRAL_HOME)
    assert not await redis.zcard(keys.REFERRAL_CONSENT_DUE)


async def test_a_partners_organisation_written_into_redis_is_not_honoured(console: Console) -> None:
    await console.login("lan", role="partner", org="tgpl")
    await console.gateway.redis.hset(keys.operator("lan"), "org", "tgpl-hcm")  # not signed: the account is refused
    refused = await console.client().post("/api/login", json={"username": "lan", "password": PASSWORD})
    assert refused.status_code == 401


async def test_the_purge_drops_referrals_past_their_period(console: Console) -> None:
    consent = console.gateway.consent
    assert consent is not None
    old = time.time() - (console.gateway.settings.referral_retention_days + 1) * 86400
    kept = await consent.referrals.create(Referral(new_id(), PERSON, ENTRY, "tgpl", "x", 7, "hoa", time.time(),
                                                   time.time() + 60))
    gone = await consent.referrals.create(Referral(new_id(), "tg:5", ENTRY, "tgpl", "x", 7, "hoa", old, old + 60))
    assert await consent.referrals.prune() == 1
    assert [r.id for r in await consent.referrals.all()] == [kept.id]
    assert await consent.referrals.get(gone.id) is None


async def test_in_bot_mode_the_answer_never_reaches_the_bot(console: Console, bot_api: FakeBotAPI,
                                                           rasa: FakeRasa) -> None:
    """A supervisor proposes after the handoff closed: the person's "ok" answers the question, not Rasa."""
    await OrganisationStore(console.gateway.redis).put(Organisation("tgpl", "Trợ giúp pháp lý", (ENTRY,)))
    await console.gateway.transcript.append(PERSON, "person", "cảm ơn bạn")
    assert await console.gateway.queue.mode(PERSON) == "bot"
    boss = await console.login("boss", role="supervisor")
    response = await boss.post(f"/api/conversations/{PERSON}/referrals", {"entry_id": ENTRY, "summary": SUMMARY})
    assert response.status_code == 201, response.text
    await person_says(console, "ok")
    stored = await console.gateway.consent.referrals.get(response.json()["referral"]["id"])  # type: ignore[union-attr]
    assert stored is not None and stored.status == "sent"
    await person_says(console, "mình muốn hỏi thêm về luật lao động ở nước ngoài")  # not an answer: to the bot
    assert rasa.messages(PERSON) == ["mình muốn hỏi thêm về luật lao động ở nước ngoài"]
