"""The Bot API double as another process reads it (the load test, the gateway bench): what the gateway sends, per
chat, handed to the person waiting for it, and the calls of each method counted."""

from __future__ import annotations

import asyncio
import json

import httpx

from harness.botapi import FakeBotAPI


def client() -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=FakeBotAPI().app()), base_url="http://double")


async def test_a_message_with_buttons_is_recorded_for_its_chat_and_counted() -> None:
    keyboard = {"inline_keyboard": [[{"text": "Có", "callback_data": "b:1"}], [{"text": "Không",
                                                                                "callback_data": "b:2"}]]}
    async with client() as http:
        sent = await http.post("/bot123:x/sendMessage", data={"chat_id": "42", "text": "Bạn có bị giữ hộ chiếu?",
                                                              "reply_markup": json.dumps(keyboard)})
        await http.post("/bot123:x/sendChatAction", data={"chat_id": "42", "action": "typing"})
        replies = (await http.get("/load/replies", params={"chat": 42, "after": 0, "wait": 0})).json()
        methods = (await http.get("/load/methods")).json()
        everything = (await http.get("/load/all")).json()
    assert sent.json()["result"]["chat"]["id"] == 42
    assert replies["total"] == 1
    assert replies["replies"][0]["buttons"] == [["Có", "b:1"], ["Không", "b:2"]]
    assert methods == {"sendMessage": 1, "sendChatAction": 1}
    assert [r["text"] for r in everything["42"]] == ["Bạn có bị giữ hộ chiếu?"]


async def test_a_waiting_person_gets_the_reply_as_it_arrives_and_nothing_after_the_wait() -> None:
    async with client() as http:
        waiting = asyncio.create_task(http.get("/load/replies", params={"chat": 7, "after": 0, "wait": 5}))
        await asyncio.sleep(0.05)
        await http.post("/bot1:x/sendMessage", json={"chat_id": 7, "text": "Chào bạn"})
        answer = (await waiting).json()
        nothing = (await http.get("/load/replies", params={"chat": 7, "after": 1, "wait": 0.05})).json()
        bad = await http.get("/load/replies", params={"chat": "seven"})
    assert [r["text"] for r in answer["replies"]] == ["Chào bạn"]
    assert nothing == {"replies": [], "total": 1}
    assert bad.status_code == 400
