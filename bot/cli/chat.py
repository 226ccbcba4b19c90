"""`caunoi chat`: talk to the running stack from the terminal, through the gateway's local web channel.

Type a message and press Enter; answer a question that offers choices with its number; share a GPS location as
Telegram and Zalo would with `/vitri LAT LON` (e.g. `/vitri 21.03 105.85`); Ctrl-D or Ctrl-C ends.

The first message starts a conversation and the gateway answers with its id and token; every later message and
every look for waiting replies sends the token (bot/channels/web.py). The channel is on only under `caunoi run`.
"""

from __future__ import annotations

import argparse
import sys
import threading
from typing import Any

import httpx

from bot.settings import get_settings

BOT = "Cầu Nối"


def register(commands: Any) -> tuple[str, Any]:
    parser = commands.add_parser("chat", help="talk to the running stack in the terminal")
    parser.add_argument("--url", help="gateway URL (default: http://127.0.0.1:CAUNOI_HTTP_PORT)")
    parser.add_argument("--once", metavar="TEXT", help="send one message, print the answers and exit")
    return "chat", handle


def show(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Prints the bot's messages; returns the buttons of the last one that had any."""
    buttons: list[dict[str, Any]] = []
    for message in messages:
        print(f"{BOT}: {message['text']}", flush=True)
        if message.get("buttons"):
            buttons = message["buttons"]
            for number, button in enumerate(buttons, 1):
                print(f"   [{number}] {button['title']}", flush=True)
        if message.get("request_location") and message.get("hint"):
            print(f"   {message['hint']}", flush=True)
    return buttons


def shared_point(text: str) -> tuple[float, float] | None:
    """`/vitri 21.03 105.85` → (21.03, 105.85); anything else → None (sent as text)."""
    parts = text.split()
    if len(parts) != 3 or parts[0].lower() not in ("/vitri", "/location"):
        return None
    try:
        return float(parts[1].rstrip(",")), float(parts[2])
    except ValueError:
        return None


class Conversation:
    def __init__(self, base_url: str):
        self.id: str | None = None  # the gateway gives it with the first answer, with the token
        self.token = ""
        self.client = httpx.Client(base_url=base_url, timeout=httpx.Timeout(60.0, connect=3.0))
        self.buttons: list[dict[str, Any]] = []
        self.lock = threading.Lock()

    def say(self, text: str) -> None:
        body: dict[str, Any] = {"text": text}
        point = shared_point(text)
        if point is not None:
            body = {"location": {"latitude": point[0], "longitude": point[1]}}
        elif text.strip().isdigit() and 1 <= int(text) <= len(self.buttons):
            # A press sends the button's payload; the gateway accepts only buttons this conversation was shown.
            body = {"button": self.buttons[int(text) - 1]["payload"]}
        response = self.post(body)
        if response.status_code == 403 and self.id is not None:
            # The conversation is gone (erased with "xóa dữ liệu", or a day unused): the message starts a new one.
            print("(cuộc trò chuyện cũ đã kết thúc; bắt đầu cuộc mới)", flush=True)
            self.id, self.token, self.buttons = None, "", []
            response = self.post(body)
        if response.status_code != 200:
            print(f"caunoi: the gateway answered {response.status_code}: {reason(response)}", flush=True)
            return
        answer = response.json()
        with self.lock:
            if self.id is None:
                self.id, self.token = answer["conversation_id"], answer["token"]
            self.buttons = show(answer["messages"]) or self.buttons

    def post(self, body: dict[str, Any]) -> httpx.Response:
        if self.id is None:
            return self.client.post("/webhooks/web", json=body)
        return self.client.post("/webhooks/web", json={"conversation_id": self.id, **body}, headers=self.auth())

    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def poll(self, stop: threading.Event) -> None:
        """Shows messages that arrive between turns (an operator's replies, for instance)."""
        while not stop.wait(2.0):
            with self.lock:
                conversation, headers = self.id, self.auth()
            if conversation is None:
                continue
            try:
                response = self.client.get(f"/webhooks/web/{conversation}/messages", headers=headers)
            except httpx.HTTPError:
                continue
            if response.status_code == 200 and response.json()["messages"]:
                with self.lock:
                    self.buttons = show(response.json()["messages"]) or self.buttons


def reason(response: httpx.Response) -> str:
    try:
        return str(response.json().get("error"))
    except ValueError:
        return response.text[:200]


def handle(args: argparse.Namespace) -> int:
    url = args.url or f"http://127.0.0.1:{get_settings().http_port}"
    conversation = Conversation(url)
    try:
        conversation.client.get("/healthz").raise_for_status()
    except httpx.HTTPError:
        print(f"caunoi: no gateway answers at {url}; start the stack with `make run` first", file=sys.stderr)
        return 1
    if args.once is not None:
        conversation.say(args.once)
        return 0
    print(f"Đang nói chuyện với {BOT} ({url}). Ctrl-D để thoát.", flush=True)
    stop = threading.Event()
    threading.Thread(target=conversation.poll, args=(stop,), daemon=True).start()
    try:
        while True:
            try:
                text = input("Bạn: ")
            except EOFError:
                break
            if text.strip():
                conversation.say(text)
    finally:
        stop.set()
    return 0
