"""The fake Rasa answers the same served from this event loop and from a thread of its own."""

from __future__ import annotations

import httpx
import pytest

from harness.rasa import Failure, FakeRasa

TURN = {"sender": "tg:1", "message": "xin chào", "metadata": {"channel": "telegram"}}


def fake() -> FakeRasa:
    return FakeRasa(token="t", failures={"hỏng": Failure(status=500), "rác": Failure(body="<html>not json</html>")},
                    slots={"tg:1": {"province": "Nghệ An"}})


async def answers(http: httpx.AsyncClient) -> list[tuple[int, str]]:
    asked = [
        await http.post("/webhooks/rest/webhook", json=TURN),
        await http.post("/webhooks/rest/webhook", json={**TURN, "message": "hỏng"}),
        await http.post("/webhooks/rest/webhook", json={**TURN, "message": "rác"}),
        await http.get("/status", params={"token": "t"}),
        await http.get("/status", params={"token": "wrong"}),
        await http.get("/conversations/tg%3A1/tracker", params={"token": "t"}),
        await http.post("/conversations/tg%3A1/tracker/events", params={"token": "t", "include_events": "NONE"},
                        json=[{"event": "slot", "name": "escalated", "value": None}]),
        await http.get("/nowhere", params={"token": "t"}),
    ]
    return [(answer.status_code, answer.text) for answer in asked]


async def test_served_here_and_from_a_thread_it_answers_and_records_alike() -> None:
    here, there = fake(), fake()
    async with here.serving() as url, httpx.AsyncClient(base_url=url) as http:
        in_this_loop = await answers(http)
    there.start()
    try:
        async with httpx.AsyncClient(base_url=there.url) as http:
            in_a_thread = await answers(http)
    finally:
        there.stop()
    assert in_this_loop == in_a_thread
    assert [status for status, _ in in_this_loop] == [200, 500, 200, 200, 401, 200, 200, 404]
    assert in_this_loop[0][1] == '[{"recipient_id":"tg:1","text":"Đã nhận: xin chào"}]'
    assert in_this_loop[2][1] == "<html>not json</html>"
    assert '"Nghệ An"' in in_this_loop[5][1]
    for rasa in (here, there):
        assert rasa.messages() == ["xin chào", "hỏng", "rác"]
        assert [(sender, message) for sender, message, _, _ in rasa.spans] == [("tg:1", "xin chào")]
        assert rasa.tracker_events == [("tg:1", [{"event": "slot", "name": "escalated", "value": None}],
                                        {"token": "t", "include_events": "NONE"})]


async def test_down_drops_every_connection_to_rasa_and_the_action_server_is_apart() -> None:
    rasa = FakeRasa(down=True)
    async with rasa.serving() as url, httpx.AsyncClient(base_url=url) as http:
        for path in ("/status", "/webhooks/rest/webhook"):
            with pytest.raises(httpx.RemoteProtocolError):  # the server went away without an answer
                await http.post(path, json=TURN)
        assert (await http.get("/health")).json() == {"status": "ok"}
        rasa.down, rasa.actions_down = False, True
        with pytest.raises(httpx.RemoteProtocolError):
            await http.get("/health")
        assert (await http.get("/status")).status_code == 200
    assert rasa.received == []


async def test_replies_may_be_a_list_or_a_coroutine_function() -> None:
    async def asked(turn: dict[str, object]) -> list[dict[str, object]]:
        return [{"recipient_id": turn["sender"], "text": "một"}, {"recipient_id": turn["sender"], "text": "hai"}]

    for replies in ([{"recipient_id": "tg:1", "text": "một"}, {"recipient_id": "tg:1", "text": "hai"}], asked):
        rasa = FakeRasa(replies=replies)
        async with rasa.serving() as url, httpx.AsyncClient(base_url=url) as http:
            answer = await http.post("/webhooks/rest/webhook", json=TURN)
        assert [reply["text"] for reply in answer.json()] == ["một", "hai"]
