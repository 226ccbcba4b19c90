"""Zalo choices as buttons (CAUNOI_ZALO_CHOICES=buttons, the default): the customer-service bodies we build, held
against the documented shapes (fixtures/zalo_shapes.json names where and when each was checked), and taps coming
back through the webhook as the person's hidden messages, mapped to the same button codes Telegram uses."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bot.channels.buttons import code_for, is_code
from bot.channels.zalo import MAX_BUTTON_TITLE, MAX_BUTTONS, MAX_TEXT, message_body
from bot.settings import PROJECT_ROOT, SettingsError, from_environment
from harness.rasa import FakeRasa
from tests.channels.fakes import FakeZalo
from tests.channels.harness import Running
from tests.channels.test_zalo import CONVERSATION, SHELTER, USER, deliver, event, now_ms

SHAPES = json.loads((Path(__file__).parent / "fixtures" / "zalo_shapes.json").read_text(encoding="utf-8"))
LEGAL = "/find_service{\"service_type\": \"legal_aid\"}"
CHOICES = [{"title": "Nơi ở an toàn", "payload": SHELTER}, {"title": "Tư vấn pháp lý", "payload": LEGAL}]


def shape(value: Any) -> Any:
    """A JSON value's skeleton: the keys at every level and the types of the leaves (lists by their items)."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shape(item) for item in value[:1]]
    return type(value).__name__


def tap(text: str, number: int = 1, user: str | None = None) -> dict[str, Any]:
    """What Zalo sends when the person taps an oa.query.hide button: a user_send_text with the payload as its text
    (the recorded shape in zalo_shapes.json "tap")."""
    data: dict[str, Any] = json.loads(json.dumps(SHAPES["tap"]["event"]))
    data["timestamp"] = now_ms()
    data["message"] = {"msg_id": f"fake-msg-tap-{number:04d}", "text": text}
    if user is not None:
        data["sender"] = {"id": user}
    return data


def buttons_of(body: dict[str, Any] | None) -> list[dict[str, Any]]:
    assert body is not None
    return list(body["message"].get("attachment", {}).get("payload", {}).get("buttons", []))


def test_every_shape_names_where_and_when_it_was_checked() -> None:
    for name in ("text", "buttons", "tap", "location_request", "follow"):
        assert SHAPES[name]["checked"], name
        for source in SHAPES[name]["checked"]:
            assert source["where"] and source["what"] and source["read"] == "2026-12-07", (name, source)


def test_a_text_message_has_the_documented_shape() -> None:
    ours = message_body(USER, "Chào bạn")
    assert shape(ours) == shape(SHAPES["text"]["documented"])
    assert ours == {"recipient": {"user_id": USER}, "message": {"text": "Chào bạn"}}


def test_a_message_with_buttons_has_the_documented_shape() -> None:
    documented = SHAPES["buttons"]["documented"]
    ours = message_body(USER, "Bạn cần gì?", [("Nơi ở an toàn", code_for(SHELTER)),
                                              ("Tư vấn pháp lý", code_for(LEGAL))])
    assert shape(ours) == shape(documented)
    assert ours["message"]["attachment"] == {"type": "template", "payload": {"buttons": [
        {"title": "Nơi ở an toàn", "type": "oa.query.hide", "payload": code_for(SHELTER)},
        {"title": "Tư vấn pháp lý", "type": "oa.query.hide", "payload": code_for(LEGAL)}]}}
    assert [button["type"] for button in buttons_of(documented)] == ["oa.query.hide"]


def test_titles_and_payloads_stay_within_the_documented_limits() -> None:
    body = message_body(USER, "x", [("Rất dài " * 30, code_for(SHELTER))])
    [button] = buttons_of(body)
    assert len(button["title"]) == MAX_BUTTON_TITLE and button["title"].endswith("…")
    assert len(button["payload"]) <= 1000 and is_code(button["payload"])


async def test_options_go_out_as_buttons_and_a_tap_sends_the_payload(running: Running, rasa: FakeRasa,
                                                                     zalo_api: FakeZalo) -> None:
    rasa.replies = lambda message: [{"recipient_id": message["sender"], "text": "Bạn cần gì?", "buttons": CHOICES}]
    await deliver(running, event("user_send_text"))
    await running.settle()
    [sent] = zalo_api.sends
    assert sent.json is not None and sent.json["message"]["text"] == "Bạn cần gì?"  # no numbered list, no how-to
    buttons = buttons_of(sent.json)
    assert [(b["title"], b["type"]) for b in buttons] == [("Nơi ở an toàn", "oa.query.hide"),
                                                           ("Tư vấn pháp lý", "oa.query.hide")]
    assert [b["payload"] for b in buttons] == [code_for(SHELTER), code_for(LEGAL)]  # Telegram's codes

    rasa.replies = lambda message: []
    await deliver(running, tap(buttons[1]["payload"]))
    await deliver(running, tap(buttons[0]["payload"], 2))  # an older button still works, as on Telegram
    await running.settle()
    assert rasa.messages()[1:] == [LEGAL, SHELTER]
    person = [entry for entry in await running.gateway.transcript.read(CONVERSATION) if entry["from"] == "person"]
    assert [(entry["kind"], entry["text"]) for entry in person[1:]] == [("button", "[nút] Tư vấn pháp lý"),
                                                                       ("button", "[nút] Nơi ở an toàn")]


@pytest.mark.parametrize("typed", [
    "b:0000000000000000",  # a code nobody handed out
    "/greet",  # a leading slash never forces an intent
    f"/{code_for(SHELTER)}",
    f"{code_for(SHELTER)} đi",  # a code inside a sentence is a sentence
])
async def test_a_payload_that_maps_to_nothing_is_typed_text(running: Running, rasa: FakeRasa, zalo_api: FakeZalo,
                                                            typed: str) -> None:
    rasa.replies = lambda message: [{"recipient_id": message["sender"], "text": "Bạn cần gì?", "buttons": CHOICES}]
    await deliver(running, event("user_send_text"))
    await running.settle()
    rasa.replies = lambda message: []
    await deliver(running, tap(typed))
    await running.settle()
    assert rasa.messages()[1:] == [typed.lstrip("/").strip()]
    last = (await running.gateway.transcript.read(CONVERSATION))[-1]
    assert (last["from"], last["kind"], last["text"]) == ("person", "text", typed)


async def test_a_code_handed_to_someone_else_is_typed_text(running: Running, rasa: FakeRasa) -> None:
    rasa.replies = lambda message: [{"recipient_id": message["sender"], "text": "Bạn cần gì?", "buttons": CHOICES}]
    await deliver(running, event("user_send_text"))  # USER gets the buttons
    await running.settle()
    other = "7770000000000000009"
    await deliver(running, tap(code_for(SHELTER), 3, user=other))  # another person sends the same code
    await running.settle()
    assert rasa.messages(f"zalo:{other}") == [code_for(SHELTER)]


async def test_more_than_five_options_follow_in_a_second_message(running: Running, rasa: FakeRasa,
                                                                 zalo_api: FakeZalo) -> None:
    countries = [{"title": name, "payload": name} for name in
                 ("Trong nước", "Campuchia", "Lào", "Myanmar", "Thái Lan", "Trung Quốc", "Hàn Quốc")]
    rasa.replies = lambda message: [{"recipient_id": message["sender"], "text": "Công việc đó ở đâu?",
                                     "buttons": countries}]
    await deliver(running, event("user_send_text"))
    await running.settle()
    first, second = zalo_api.sends
    assert first.json is not None and second.json is not None
    assert first.json["message"]["text"] == "Công việc đó ở đâu?"
    assert [b["title"] for b in buttons_of(first.json)] == [c["title"] for c in countries[:MAX_BUTTONS]]
    assert second.json["message"]["text"] == "Hoặc chọn:"
    assert [b["title"] for b in buttons_of(second.json)] == ["Trung Quốc", "Hàn Quốc"]

    rasa.replies = lambda message: []
    await deliver(running, tap(buttons_of(second.json)[1]["payload"]))
    await running.settle()
    assert rasa.messages()[-1] == "Hàn Quốc"
    bot = [entry for entry in await running.gateway.transcript.read(CONVERSATION) if entry["from"] == "bot"]
    assert len(bot) == 1 and "[Hàn Quốc]" in bot[0]["text"]  # one message for the operator, every option in it


async def test_a_location_request_with_buttons_says_how_and_keeps_the_buttons(running: Running, rasa: FakeRasa,
                                                                              zalo_api: FakeZalo) -> None:
    rasa.replies = lambda message: [{"recipient_id": message["sender"], "text": "Bạn đang ở đâu?", "buttons": CHOICES},
                                    {"recipient_id": message["sender"], "custom": {"request_location": True}}]
    await deliver(running, event("user_send_text"))
    await running.settle()
    [sent] = zalo_api.sends
    assert sent.json is not None
    assert sent.json["message"]["text"].startswith("Bạn đang ở đâu?\n\nĐể gửi vị trí:")
    assert len(buttons_of(sent.json)) == 2


async def test_a_long_text_is_cut_and_the_buttons_ride_on_its_last_piece(running: Running, rasa: FakeRasa,
                                                                        zalo_api: FakeZalo) -> None:
    long = "\n\n".join(f"Đoạn {n}: " + "chữ " * 120 for n in range(8))
    rasa.replies = lambda message: [{"recipient_id": message["sender"], "text": long, "buttons": CHOICES}]
    await deliver(running, event("user_send_text"))
    await running.settle()
    assert len(zalo_api.sends) >= 2
    assert all(len(s.json["message"]["text"]) <= MAX_TEXT for s in zalo_api.sends if s.json)
    assert [len(buttons_of(s.json)) for s in zalo_api.sends] == [0] * (len(zalo_api.sends) - 1) + [2]


def test_the_choices_setting() -> None:
    assert from_environment({}).zalo_choices == "buttons"
    assert from_environment({"CAUNOI_ZALO_CHOICES": " Numbers "}).zalo_choices == "numbers"
    with pytest.raises(SettingsError, match="CAUNOI_ZALO_CHOICES must be one of buttons, numbers"):
        from_environment({"CAUNOI_ZALO_CHOICES": "quick_replies"})
    assert "\nCAUNOI_ZALO_CHOICES=buttons\n" in (PROJECT_ROOT / ".env.example").read_text(encoding="utf-8")


async def test_when_zalo_refuses_buttons_the_options_go_out_as_numbers(running: Running, rasa: FakeRasa,
                                                                        zalo_api: FakeZalo) -> None:
    # Not a documented outcome: an OA whose plan, or a Zalo change, refuses the attachment ("message type is invalid
    # or not support"). The person must still get the options.
    zalo_api.errors.append(-233)
    countries = [{"title": f"Nơi {n}", "payload": f"nơi {n}"} for n in range(1, 8)]
    rasa.replies = lambda message: [{"recipient_id": message["sender"], "text": "Ở đâu?", "buttons": countries}]
    await deliver(running, event("user_send_text"))
    await running.settle()
    refused, first, second = zalo_api.sends
    assert refused.json is not None and buttons_of(refused.json)
    assert first.json == {"recipient": {"user_id": USER}, "message": {
        "text": "Ở đâu?\n\n1. Nơi 1\n2. Nơi 2\n3. Nơi 3\n4. Nơi 4\n5. Nơi 5\n\n"
                "Bạn trả lời bằng số tương ứng, hoặc cứ viết điều bạn cần."}}
    assert second.json is not None and second.json["message"]["text"].startswith("Hoặc chọn:\n\n6. Nơi 6\n7. Nơi 7")
    assert await running.gateway.dead_letters.read() == []

    rasa.replies = lambda message: [{"recipient_id": message["sender"], "text": "Còn gì nữa?", "buttons": CHOICES}]
    await deliver(running, event("user_send_text", text="7", msg_id="fake-msg-text-0002"))
    await running.settle()
    assert rasa.messages()[-1] == "nơi 7"  # numbers continue across the parts of one message
    assert "attachment" not in zalo_api.sends[-1].json["message"]  # type: ignore[index]
    assert zalo_api.sends[-1].json["message"]["text"].endswith(  # type: ignore[index]
        "1. Nơi ở an toàn\n2. Tư vấn pháp lý\n\nBạn trả lời bằng số tương ứng, hoặc cứ viết điều bạn cần.")
