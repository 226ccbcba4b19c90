"""Simulated people talking to Cầu Nối through the Telegram webhook, in steps of concurrent conversations.

Runs in `.venv-load` under locust, started by `python -m load` (which starts the stack and the Bot API double and
sets the LOAD_* variables below). Each simulated person has one conversation (load/script.py) in a chat of its own,
waits for the bot's answer as it reaches the Bot API double (a holding message is not one: load/person.py), waits
until the bot has stopped writing, "reads" for a few seconds, and writes again; then a new person (a new chat)
starts. Every message sent is logged with its monotonic time for load/analysis.py; locust's own statistics show
the reply latency live.

    LOAD_GATEWAYS      comma-separated gateway base URLs; people are spread over them round-robin
    LOAD_BOTAPI        the double's base URL (http://127.0.0.1:PORT)
    LOAD_SECRET        the webhook secret (X-Telegram-Bot-Api-Secret-Token)
    LOAD_STEPS         concurrent conversations per step, e.g. 25,50,100
    LOAD_STEP_SECONDS  how long each step is held
    LOAD_SPAWN_RATE    new people per second while ramping
    LOAD_LOG           where the JSON-lines log of sent messages and step starts goes
    LOAD_READ_SECONDS  "min,max" reading pause; LOAD_TIMEOUT: seconds after which a reply counts as missing
"""

from __future__ import annotations

import itertools
import json
import os
import random
import time
from typing import Any

import gevent
from locust import FastHttpUser, LoadTestShape, events, task

from load.person import answered, first_answer
from load.script import CONVERSATIONS, Conversation, Turn

GATEWAYS = [url.strip().rstrip("/") for url in os.environ.get("LOAD_GATEWAYS", "").split(",") if url.strip()]
BOTAPI = os.environ.get("LOAD_BOTAPI", "").rstrip("/")
SECRET = os.environ.get("LOAD_SECRET", "")
STEPS = [int(n) for n in os.environ.get("LOAD_STEPS", "25,50,100,200,300,500").split(",")]
STEP_SECONDS = float(os.environ.get("LOAD_STEP_SECONDS", "150"))
SPAWN_RATE = float(os.environ.get("LOAD_SPAWN_RATE", "10"))
READ_MIN, READ_MAX = (float(x) for x in os.environ.get("LOAD_READ_SECONDS", "3,8").split(","))
TIMEOUT = float(os.environ.get("LOAD_TIMEOUT", "30"))
QUIET_SECONDS = 2.0  # no new message for this long: the bot has finished its turn (Telegram paces 1 per s a chat)
TURN_CAP_SECONDS = 30.0

_chats = itertools.count(7_000_000_001)
_updates = itertools.count(1)
_people = itertools.count()
_log = open(os.environ.get("LOAD_LOG", os.devnull), "a", encoding="utf-8")  # closed when locust quits


def log(record: dict[str, Any]) -> None:
    _log.write(json.dumps(record, ensure_ascii=False) + "\n")


@events.quitting.add_listener  # type: ignore[untyped-decorator]
def _close(**_: Any) -> None:
    _log.flush()
    _log.close()


def text_update(chat: int, text: str) -> dict[str, Any]:
    update_id = next(_updates)
    return {"update_id": update_id, "message": {
        "message_id": update_id, "date": int(time.time()), "text": text,
        "chat": {"id": chat, "type": "private"}, "from": {"id": chat, "is_bot": False, "first_name": "Lan"}}}


def button_update(chat: int, data: str) -> dict[str, Any]:
    update_id = next(_updates)
    return {"update_id": update_id, "callback_query": {
        "id": f"q{update_id}", "from": {"id": chat, "is_bot": False, "first_name": "Lan"}, "chat_instance": "load",
        "data": data, "message": {"message_id": 1, "date": int(time.time()), "chat": {"id": chat, "type": "private"},
                                  "from": {"id": 900001, "is_bot": True, "first_name": "Cầu Nối"}, "text": "…"}}}


def pick(conversations: tuple[Conversation, ...]) -> Conversation:
    return random.choices(conversations, weights=[c.weight for c in conversations])[0]


class Person(FastHttpUser):
    """One person after another, each with one conversation; never more than one message in flight."""

    host = GATEWAYS[0] if GATEWAYS else "http://127.0.0.1:8000"
    network_timeout = TIMEOUT + 30
    connection_timeout = 10.0

    def on_start(self) -> None:
        self.gateway = GATEWAYS[next(_people) % len(GATEWAYS)] if GATEWAYS else self.host

    @task  # type: ignore[untyped-decorator]
    def converse(self) -> None:
        conversation = pick(CONVERSATIONS)
        chat = next(_chats)
        seen = 0
        buttons: dict[str, str] = {}
        for seq, turn in enumerate(conversation.turns):
            update = self._update(chat, turn, buttons)
            if update is None:
                events.request.fire(request_type="turn", name=f"{conversation.name}: no button {turn.button!r}",
                                    response_time=0, response_length=0, exception=LookupError(turn.button))
                break
            sent = time.monotonic()
            status = self._post(update)
            log({"kind": "sent", "chat": chat, "seq": seq, "at": sent, "conversation": conversation.name,
                 "status": status, "expect": list(turn.expect)})
            if status != 200:
                break
            # A holding message is not the answer: the person goes on waiting for it (load/person.py).
            replies = first_answer(lambda after, seconds: self._wait(chat, after, seconds), seen,
                                   time.monotonic() + TIMEOUT)
            answer = answered(replies)
            if not answer:
                events.request.fire(request_type="reply", name=conversation.name, response_time=TIMEOUT * 1000,
                                    response_length=0, exception=TimeoutError(f"no answer in {TIMEOUT:.0f} s"))
                break
            events.request.fire(request_type="reply", name=conversation.name,
                                response_time=(answer[0]["at"] - sent) * 1000, response_length=len(replies),
                                exception=None)
            replies += self._rest_of_turn(chat, seen + len(replies), sent)
            seen += len(replies)
            buttons = {title: data for reply in replies for title, data in reply["buttons"]}
            gevent.sleep(random.uniform(READ_MIN, READ_MAX))
        gevent.sleep(random.uniform(1.0, 3.0))  # the next person arrives

    def _update(self, chat: int, turn: Turn, buttons: dict[str, str]) -> dict[str, Any] | None:
        if not turn.button:
            return text_update(chat, turn.text)
        data = buttons.get(turn.button)
        return button_update(chat, data) if data else None

    def _post(self, update: dict[str, Any]) -> int:
        kind = "button" if "callback_query" in update else "text"
        with self.client.post(f"{self.gateway}/webhooks/telegram", json=update, name=f"webhook {kind}",
                              headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
                              catch_response=True) as response:
            status = int(response.status_code or 0)
            if status != 200:
                response.failure(f"webhook answered {status}")
            return status

    def _wait(self, chat: int, seen: int, wait: float) -> list[dict[str, Any]]:
        response = self.client.get(f"{BOTAPI}/load/replies?chat={chat}&after={seen}&wait={wait:.1f}",
                                   name="(double) replies")
        if response.status_code != 200:
            return []
        replies: list[dict[str, Any]] = response.json()["replies"]
        return replies

    def _rest_of_turn(self, chat: int, seen: int, sent: float) -> list[dict[str, Any]]:
        """The turn's later messages: until the bot has been quiet for QUIET_SECONDS (or the turn is very long)."""
        rest: list[dict[str, Any]] = []
        while time.monotonic() - sent < TURN_CAP_SECONDS:
            more = self._wait(chat, seen + len(rest), QUIET_SECONDS)
            if not more:
                break
            rest += more
        return rest


class Steps(LoadTestShape):
    """Holds each number of concurrent conversations for STEP_SECONDS, ramping at SPAWN_RATE, then stops."""

    def __init__(self) -> None:
        super().__init__()
        self._announced = -1

    def tick(self) -> tuple[int, float] | None:
        index = int(self.get_run_time() // STEP_SECONDS)
        if index >= len(STEPS):
            if self._announced != len(STEPS):
                self._announced = len(STEPS)
                log({"kind": "end", "at": time.monotonic()})
            return None
        if index != self._announced:
            self._announced = index
            log({"kind": "step", "users": STEPS[index], "at": time.monotonic()})
        return STEPS[index], SPAWN_RATE
