"""Kill Rasa, the action server, Redis and the gateway in turn during Telegram conversations, with the real stack.

One `caunoi run` serves the three scenarios (starting it is most of the cost). Each scenario has its own chat, checks
what the person saw (the Bot API double's sendMessage calls), that nothing they wrote was lost (the transcript the
operator reads) and that the stack came back; reports/faults.md is written from what happened.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import yaml

from bot.channels.notices import Notes
from bot.content import gateway_texts
from bot.gateway.dispatch import BOT_UNAVAILABLE
from bot.settings import PROJECT_ROOT
from bot.state import keys
from harness.botapi import Behaviour, text_update
from tests.faults.report import Report, Scenario
from tests.faults.stack import FaultStack
from tests.stack.test_run import welcome

pytestmark = pytest.mark.stack
NOTES = Notes.from_texts(gateway_texts(PROJECT_ROOT / "content" / "vi"))
WELCOME = str(welcome()["text"])  # action_welcome, first contact
# action_welcome again later in the conversation: a custom action, so it also shows the action server answers.
GREET = str(yaml.safe_load((PROJECT_ROOT / "content/vi/responses/smalltalk.yml").read_text(encoding="utf-8"))
            ["responses"]["utter_greet"][0]["text"])


@pytest.fixture(scope="module")
def report() -> Iterator[Report]:
    found = Report(PROJECT_ROOT / "reports" / "faults.md")
    yield found
    found.write()


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FaultStack]:
    with FaultStack.start(tmp_path_factory.mktemp("faults")) as running:
        yield running


@pytest.fixture(scope="module")
def console(stack: FaultStack) -> Iterator[httpx.Client]:
    client = stack.login()
    yield client
    client.close()


def new_messages(stack: FaultStack, chat: int, before: list[str]) -> list[str]:
    seen = stack.seen(chat)
    assert seen[: len(before)] == before, "messages the person already had changed"
    return seen[len(before):]


def person_wrote(stack: FaultStack, console: httpx.Client, chat: int) -> list[str]:
    return [entry["text"] for entry in stack.transcript(console, chat) if entry["from"] == "person"]


def waiting_case(console: httpx.Client, chat: int) -> dict[str, Any] | None:
    response = console.get("/api/queue")
    assert response.status_code == 200, response.text
    return next((case for case in response.json()["waiting"] if case["id"] == f"tg:{chat}"), None)


def hand_back_to_bot(stack: FaultStack, console: httpx.Client, chat: int, scenario: Scenario) -> None:
    """An operator takes the conversation and closes it: the bot has the person again."""
    before = stack.seen(chat)
    claimed = console.post(f"/api/conversations/tg:{chat}/claim")
    assert claimed.status_code == 200, claimed.text
    closed = console.post(f"/api/conversations/tg:{chat}/close", json={"outcome": "informed"})
    assert closed.status_code == 200, closed.text
    scenario.step("an operator claims the conversation, then closes it (back to the bot)",
                  new_messages(stack, chat, before))


def turn(stack: FaultStack, scenario: Scenario, chat: int, text: str, what: str) -> list[str]:
    before = stack.seen(chat)
    stack.say(chat, text)
    saw = new_messages(stack, chat, before)
    scenario.step(f"{what}: “{text}”", saw)
    return saw


def test_rasa_killed_mid_conversation(stack: FaultStack, console: httpx.Client, report: Report) -> None:
    scenario = report.scenario("Rasa killed mid-conversation")
    chat = 7101
    stack.wait_ready()
    assert turn(stack, scenario, chat, "xin chào", "the person writes") == [WELCOME]

    pid = stack.kill_child("rasa")
    scenario.step(f"Rasa (pid {pid}) gets SIGKILL", [])
    degraded = turn(stack, scenario, chat, "cho mình hỏi về đi làm ở nước ngoài", "the person writes")
    assert degraded == [NOTES.degraded]
    case = waiting_case(console, chat)
    assert case is not None and BOT_UNAVAILABLE in case["reasons"]
    scenario.fact(f"queued for a human with reasons {case['reasons']} (risk {case['risk']}, place {case['place']})")
    assert turn(stack, scenario, chat, "alo, còn ai không", "while Rasa restarts, the person writes again") == []

    started = time.monotonic()
    stack.wait_until(lambda: stack.restarted("rasa"), 30, "the supervisor to restart Rasa")
    stack.wait_ready(timeout=150)
    scenario.fact(f"the supervisor restarted Rasa; /readyz said ready again {time.monotonic() - started:.0f} s "
                  "after the held message")
    hand_back_to_bot(stack, console, chat, scenario)
    assert turn(stack, scenario, chat, "xin chào", "the person writes") == [GREET]

    wrote = person_wrote(stack, console, chat)
    assert wrote == ["xin chào", "cho mình hỏi về đi làm ở nước ngoài", "alo, còn ai không", "xin chào"]
    scenario.fact(f"the transcript the operator reads has all {len(wrote)} messages the person wrote, in order")
    scenario.outcome = ("the person got the emergency numbers and a place in the queue at once; the message written "
                        "during the restart was kept for the operator; after the restart Rasa answered normally")


def test_action_server_killed_mid_conversation(stack: FaultStack, console: httpx.Client, report: Report) -> None:
    scenario = report.scenario("Action server killed mid-conversation")
    chat = 7201
    stack.wait_ready()
    assert turn(stack, scenario, chat, "xin chào", "the person writes") == [WELCOME]

    pid = stack.kill_child("actions")
    scenario.step(f"the action server (pid {pid}) gets SIGKILL", [])
    # Rasa answers 200 without the custom action's messages (it logs the failure and "continues"): for a person
    # in danger that was nothing at all. The gateway notices the action server is down and answers itself.
    saw = turn(stack, scenario, chat, "cứu tôi với, tôi bị giữ hộ chiếu ở campuchia", "the person writes")
    assert saw[-1:] == [NOTES.degraded_abroad], saw  # Cambodia named: the consular line first
    case = waiting_case(console, chat)
    assert case is not None and BOT_UNAVAILABLE in case["reasons"]
    assert case["risk"] == "high"
    scenario.fact(f"queued for a human with reasons {case['reasons']} (risk {case['risk']}, place {case['place']})")

    stack.wait_until(lambda: stack.restarted("actions"), 30, "the supervisor to restart the action server")
    stack.wait_ready(timeout=60)
    scenario.fact("the supervisor restarted the action server")
    hand_back_to_bot(stack, console, chat, scenario)
    # Rasa answers again, through its custom actions (a degraded answer would be the gateway's). Which answer
    # depends on the dialogue: the escalation lost during the outage was never recorded in the tracker, so the
    # conversation's risk may escalate it again now.
    again = turn(stack, scenario, chat, "xin chào", "the person writes")
    assert again and NOTES.degraded not in again and NOTES.degraded_abroad not in again, again
    requeued = waiting_case(console, chat)
    assert requeued is None or BOT_UNAVAILABLE not in requeued["reasons"]
    if requeued is not None:
        scenario.fact(f"after the restart the dialogue escalated the conversation again itself (reasons "
                      f"{requeued['reasons']}): the escalation lost with the action server was never recorded")

    wrote = person_wrote(stack, console, chat)
    assert wrote == ["xin chào", "cứu tôi với, tôi bị giữ hộ chiếu ở campuchia", "xin chào"]
    scenario.fact(f"the transcript the operator reads has all {len(wrote)} messages the person wrote, in order")
    scenario.outcome = ("the person in danger got the emergency numbers and a place in the queue (before the fix: "
                        "no answer at all); after the restart Rasa and its actions answered again")


def test_redis_killed_and_restarted(stack: FaultStack, console: httpx.Client, report: Report) -> None:
    scenario = report.scenario("Redis killed and restarted (same AOF folder)")
    stack.wait_ready()
    queued, chat = 7301, 7302

    asked = turn(stack, scenario, queued, "cho tôi nói chuyện với người thật", "another person asks for a human")
    assert asked, "asking for a human got no answer"
    case_before = waiting_case(console, queued)
    assert case_before is not None
    me_before = console.get("/api/me")
    assert me_before.status_code == 200

    # A worker that died mid-turn holds this conversation for a few more seconds: what is accepted meanwhile waits
    # in the inbox, in Redis, when Redis dies.
    client = stack.redis()
    client.set(keys.inbox_lock(f"tg:{chat}"), "a-worker-that-died", px=6000)
    client.close()
    texts = ["xin chào", "cảm ơn bạn", "tạm biệt", "chào bạn lần nữa"]
    updates = [text_update(chat, text) for text in texts]
    for update in updates[:2]:
        assert stack.deliver(update) == 200
    scenario.step("two messages arrive and are accepted (200) while an earlier worker's lock holds the conversation",
                  stack.seen(chat))

    stack.kill_redis(signal.SIGKILL)
    during = [stack.deliver(update) for update in updates[2:]]
    scenario.step(f"Redis gets SIGKILL; two more messages arrive: the webhook answers {during} "
                  "(Telegram keeps them and redelivers)", stack.seen(chat))
    assert all(status == 503 for status in during), during
    ready = stack.ready()
    assert ready.get("status") == "not ready" and "redis" in ready.get("problems", {}), ready
    scenario.fact(f"during the outage /readyz said: {ready['problems']['redis']}")

    stack.start_redis()
    redelivered = [stack.deliver(update) for update in [*updates[2:], updates[0], updates[2]]]
    assert redelivered == [200, 200, 200, 200], redelivered
    stack.settle()
    saw = stack.seen(chat)
    scenario.step("Redis restarts on the same folder; Telegram redelivers the two refused updates, and (as it may) "
                  "one accepted and one refused update a second time", saw)

    wrote = person_wrote(stack, console, chat)
    assert wrote == texts, wrote
    replies = [entry for entry in stack.transcript(console, chat) if entry["from"] == "bot"]
    assert len(replies) == len(saw) >= len(texts)
    scenario.fact(f"the {len(texts)} messages were each processed exactly once, in the order written "
                  f"({len(saw)} replies, none twice); the redelivered duplicates were dropped")

    case_after = waiting_case(console, queued)
    assert case_after is not None
    assert (case_after["reasons"], case_after["risk"], case_after["waiting_since"]) == \
        (case_before["reasons"], case_before["risk"], case_before["waiting_since"])
    scenario.fact("the queued conversation is still in the queue with its reasons, risk and waiting time")
    me_after = console.get("/api/me")
    assert me_after.status_code == 200 and me_after.json()["username"] == me_before.json()["username"]
    scenario.fact("the operator who logged in before the outage is still logged in (same session cookie)")
    assert person_wrote(stack, console, queued) == ["cho tôi nói chuyện với người thật"]
    scenario.outcome = ("nothing acknowledged was lost: queued messages, the queue and operator sessions came back "
                        "from the AOF; updates refused during the outage were redelivered and processed once, in order")



def test_redis_killed_mid_turn(stack: FaultStack, console: httpx.Client, report: Report) -> None:
    scenario = report.scenario("Redis killed in the middle of a turn")
    stack.wait_ready()
    chat = 7401
    assert turn(stack, scenario, chat, "xin chào", "the person writes") == [WELCOME]

    # The reply reaches the person, but the Bot API answers it slowly; Redis dies meanwhile, so the turn cannot
    # record what it sent nor pop the message: the message stays in the inbox (AOF) and is processed again.
    stack.api.answer("sendMessage", Behaviour("hang", 3.0))
    text = "cảm ơn bạn"
    assert stack.deliver(text_update(chat, text)) == 200
    stack.wait_until(lambda: len(stack.seen(chat)) == 2, 30, "the reply to be on its way")
    stack.kill_redis(signal.SIGKILL)
    killed = time.monotonic()
    time.sleep(4.0)  # the slow send ends while Redis is still down: the turn fails on its next Redis call
    stack.start_redis()
    stack.settle(timeout=90)
    waited = time.monotonic() - killed
    saw = stack.seen(chat)[1:]
    scenario.step(f"the person writes “{text}”; the reply is being sent when Redis gets SIGKILL; Redis restarts 4 s "
                  f"later; the turn finished {waited:.0f} s after the kill", saw)

    wrote = person_wrote(stack, console, chat)
    assert wrote[0] == "xin chào" and 1 <= wrote.count(text) <= 2 and set(wrote) == {"xin chào", text}, wrote
    assert 1 <= len(saw) <= 2 and all(message == saw[0] for message in saw), saw
    # The worker frees the cut turn's inbox lock as soon as Redis answers again (InboxWorker._release_unreleased)
    # rather than leave the conversation waiting out the lock's 30 s lifetime.
    assert waited < 15, f"the conversation stayed locked {waited:.0f} s"
    scenario.fact(f"the message was processed {wrote.count(text)} time(s) and answered {len(saw)} time(s): "
                  "at least once, never lost; a turn cut by the outage runs again, so the person may get that reply "
                  "twice and the operator may see the message twice")
    scenario.fact(f"the turn ran again {max(waited - 4.0, 0.0):.1f} s after Redis was back: the worker freed the "
                  "inbox lock it could not release during the outage instead of waiting out its 30 s lifetime")
    scenario.outcome = ("nothing lost; the turn in progress ran again once Redis was back (at-least-once: "
                        f"{len(saw)} cop{'y' if len(saw) == 1 else 'ies'} of the reply)")


def test_gateway_killed_mid_turn(stack: FaultStack, console: httpx.Client, report: Report) -> None:
    scenario = report.scenario("Gateway killed in the middle of a turn")
    stack.wait_ready()
    chat = 7501
    assert turn(stack, scenario, chat, "xin chào", "the person writes") == [WELCOME]

    stack.api.answer("sendMessage", Behaviour("hang", 5.0))
    texts = ["cảm ơn bạn", "tạm biệt", "chào bạn lần nữa"]
    updates = [text_update(chat, text) for text in texts]
    assert stack.deliver(updates[0]) == 200
    stack.wait_until(lambda: len(stack.seen(chat)) == 2, 30, "the reply to be on its way")
    assert stack.deliver(updates[1]) == 200
    pid = stack.kill_child("gateway")
    killed = time.monotonic()
    refused = stack.deliver(updates[2])
    assert refused != 200
    scenario.step(f"“{texts[0]}” is being answered and “{texts[1]}” waits behind it when the gateway (pid {pid}) "
                  f"gets SIGKILL; “{texts[2]}” arrives during the outage and is refused "
                  f"({refused or 'connection refused'}: Telegram retries)", stack.seen(chat)[1:])

    stack.wait_until(lambda: stack.restarted("gateway"), 30, "the supervisor to restart the gateway")
    stack.wait_ready(timeout=90)
    assert stack.deliver(updates[2]) == 200
    stack.settle(timeout=90)
    waited = time.monotonic() - killed
    before = stack.seen(chat)[:2]
    saw = stack.seen(chat)[2:]
    scenario.step(f"the supervisor restarts the gateway; Telegram redelivers “{texts[2]}”; everything is answered "
                  f"{waited:.0f} s after the kill", saw)

    wrote = person_wrote(stack, console, chat)
    assert [text for index, text in enumerate(wrote) if text not in wrote[:index]] == ["xin chào", *texts], wrote
    assert wrote.count(texts[0]) <= 2 and wrote.count(texts[1]) == 1 and wrote.count(texts[2]) == 1, wrote
    replies = before[1:] + saw
    assert len(replies) >= len(texts) and len(replies) <= len(texts) + 1, replies
    scenario.fact(f"all {len(texts)} messages were processed, in order; the one in progress "
                  f"{'twice' if wrote.count(texts[0]) == 2 else 'once'} (at-least-once), the others once")
    scenario.fact("the dead gateway's inbox lock could only expire (30 s, InboxOptions.lock_ttl): the waiting "
                  f"message was answered {waited:.0f} s after the kill")
    scenario.outcome = "nothing lost; the conversation resumed in order once the dead worker's lock expired"
