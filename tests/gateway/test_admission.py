"""Admission control: at most `in_flight` turns on one Rasa server at a time; the others wait in the gateway, in the
order they came, and their timeout starts only when they are sent (bot/gateway/rasa_client.py). The fake Rasa is a
real local server: the client is the aiohttp one production runs."""

from __future__ import annotations

import asyncio

from bot.gateway.rasa_client import RasaClient
from harness.rasa import FakeRasa, Turn
from harness.wait import until_async


class Gated:
    """Replies held until the test opens the gate; counts the turns Rasa is working on at once."""

    def __init__(self) -> None:
        self.gate = asyncio.Event()
        self.now = 0
        self.most = 0

    async def __call__(self, turn: Turn) -> list[dict[str, str]]:
        self.now += 1
        self.most = max(self.most, self.now)
        try:
            await self.gate.wait()
        finally:
            self.now -= 1
        return [{"text": f"ok {turn['sender']}"}]


async def test_turns_over_the_cap_wait_in_the_gateway_in_order_and_are_all_answered() -> None:
    gated = Gated()
    fake = FakeRasa(replies=gated)
    async with fake.serving() as url:
        client = RasaClient(url, timeout_seconds=30.0, in_flight=2)
        try:
            senders = [f"tg:{n}" for n in range(6)]
            turns = []
            for sender in senders:  # one after the other: their order of arrival is known
                turns.append(asyncio.ensure_future(client.send(sender, "xin chào", "telegram")))
                await asyncio.sleep(0)
            admission = client.admission(url)
            await until_async(lambda: len(fake.received) == 2 and admission.waiting == 4, 10,
                              "two turns at Rasa, four waiting in the gateway")
            assert admission.in_flight == 2
            assert [turn["sender"] for turn in fake.received] == senders[:2]
            gated.gate.set()
            answers = await asyncio.gather(*turns)
        finally:
            await client.aclose()
    assert [answer.replies[0].text for answer in answers] == [f"ok {sender}" for sender in senders]
    assert gated.most == 2
    assert [turn["sender"] for turn in fake.received] == senders  # admitted first come, first served
    assert admission.in_flight == admission.waiting == 0


async def test_the_wait_for_a_place_does_not_count_against_the_turns_timeout() -> None:
    # One place, ten turns of 0.3 s each: the last waits about 2.7 s for its place, longer than the 2 s timeout, and
    # is still answered, because its timeout starts when it is sent (each turn alone is far inside it).
    fake = FakeRasa(delay=0.3)
    async with fake.serving() as url:
        client = RasaClient(url, timeout_seconds=2.0, in_flight=1)
        try:
            answers = await asyncio.gather(*(client.send(f"tg:{n}", "xin chào", "telegram") for n in range(10)))
        finally:
            await client.aclose()
    assert all(answer.replies for answer in answers)
    assert len(fake.received) == 10
