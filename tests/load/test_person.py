"""How a simulated person waits for the answer (load/person.py): a holding message is not the answer."""

from __future__ import annotations

from typing import Any

from load.person import answered, first_answer
from load.script import HOLDING_FRAGMENT

HOLDING = {"at": 5.0, "text": f"{HOLDING_FRAGMENT}, bạn chờ mình một chút nhé.", "buttons": []}
ANSWER = {"at": 8.0, "text": "Bạn cần loại hỗ trợ nào?", "buttons": [["Chỗ ở an toàn", "h1"]]}


class Chat:
    """The double's /load/replies for one chat: each call hands out what `arrive` says has arrived by then."""

    def __init__(self, *arrive: list[dict[str, Any]]) -> None:
        self.arrive = list(arrive)
        self.calls: list[tuple[int, float]] = []

    def wait(self, after: int, seconds: float) -> list[dict[str, Any]]:
        self.calls.append((after, seconds))
        return self.arrive.pop(0) if self.arrive else []


def never() -> float:
    return 0.0  # the deadline is never reached: the double's answers alone end the wait


def test_the_person_waits_past_a_holding_message_for_the_answer_and_its_buttons() -> None:
    chat = Chat([HOLDING], [ANSWER])
    replies = first_answer(chat.wait, seen=3, deadline=30.0, clock=never)
    assert replies == [HOLDING, ANSWER]
    assert [after for after, _ in chat.calls] == [3, 4]  # the holding message counts as seen
    assert answered(replies) == [ANSWER]


def test_an_answer_that_comes_with_the_holding_message_ends_the_wait_at_once() -> None:
    chat = Chat([HOLDING, ANSWER], [ANSWER])
    assert first_answer(chat.wait, seen=0, deadline=30.0, clock=never) == [HOLDING, ANSWER]
    assert len(chat.calls) == 1


def test_only_holding_messages_until_the_deadline_is_no_answer() -> None:
    chat = Chat([HOLDING])  # then nothing: the double's wait ran out
    replies = first_answer(chat.wait, seen=0, deadline=30.0, clock=never)
    assert replies == [HOLDING] and answered(replies) == []
    times = iter([0.0, 31.0])
    late = Chat([HOLDING], [ANSWER])
    assert first_answer(late.wait, seen=0, deadline=30.0, clock=lambda: next(times)) == [HOLDING]
    assert len(late.calls) == 1
