"""Talks to the Rasa server's REST channel and HTTP API, with a timeout on every call.

With several Rasa servers (CAUNOI_RASA_URLS) every conversation always goes to the same one, chosen by rendezvous
hashing of its id: Rasa's Redis lock store hands out tickets with a plain GET and SET, so two servers working on one
conversation at once could both think they hold it. Rendezvous rather than `hash % N`: adding or removing a server
moves only the conversations that were (or will be) on that server. A server that refuses the connection is
skipped for the next in that conversation's ranking (the request never reached it, so nothing runs twice); a server
that accepted the request and then timed out is not, since it may still be working on the turn.

Admission control: at most `in_flight` turns are sent to one Rasa server at a time (per gateway process). Rasa runs
a turn's prediction on one event loop, so turns beyond a few only queue inside Rasa, where the wait counts against
the turn's timeout and a busy server looks like a dead one. Over the cap a turn waits here, first come first served,
while its message stays first in its conversation's inbox (the inbox holds the conversation's lock, renewed, so its
later messages wait behind it in order); the timeout starts when the request is sent.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from typing import Any

from bot.gateway.backends import BackendSession, Failed, NotReached
from bot.internal_token import HEADER
from bot.messages import Button, Outbound
from bot.state.erase import ERASE_PAYLOAD


class RasaUnavailable(RuntimeError):
    """Rasa (or the action server behind it) did not answer in time or answered with an error."""


@dataclass(frozen=True)
class Turn:
    """What Rasa answered to one message: the replies, in order, and whether everything stored about the
    conversation is to be erased once they are out (the delete action's answer says so, bot/state/erase.py)."""

    replies: list[Outbound]
    erase: bool = False

    @classmethod
    def of(cls, replies: list[Any]) -> Turn:
        """The turn in Rasa's REST channel's answer."""
        return cls(to_outbounds(replies), any(isinstance(reply, dict) and reply.get("custom") == ERASE_PAYLOAD
                                              for reply in replies))


def to_outbound(reply: dict[str, Any]) -> Outbound | None:
    """Turns one reply of Rasa's REST channel into an `Outbound`; None for replies with nothing to show."""
    raw_custom = reply.get("custom")
    custom: dict[str, Any] = raw_custom if isinstance(raw_custom, dict) else {}
    text = str(reply.get("text") or custom.get("text") or "").strip()
    buttons = tuple(
        Button(title=str(button.get("title", "")), payload=str(button.get("payload", "")))
        for button in reply.get("buttons") or custom.get("buttons") or ()
        if isinstance(button, dict) and button.get("title") and button.get("payload")
    )
    request_location = bool(custom.get("request_location"))
    protect_content = custom.get("protect_content") is True
    if not text and not buttons and not request_location:
        return None
    return Outbound(text=text, buttons=buttons, request_location=request_location, protect_content=protect_content)


def to_outbounds(replies: list[Any]) -> list[Outbound]:
    """All replies of one turn, in order.

    Rasa's REST channel sends a response's `custom` part as a message of its own right after the response's texts
    (which it also splits at blank lines). A custom part with no text of its own is therefore read as flags for the
    texts before it: `protect_content` for every text since the previous custom part (protecting one message too
    many is harmless), `request_location` for the last one.
    """
    messages: list[Outbound] = []
    since_custom = 0
    for reply in replies:
        if not isinstance(reply, dict):
            continue
        custom = reply.get("custom")
        flags_only = isinstance(custom, dict) and not reply.get("text") and not custom.get("text") \
            and not reply.get("buttons")
        if flags_only and messages and since_custom:
            assert isinstance(custom, dict)
            if custom.get("protect_content") is True:
                for index in range(len(messages) - since_custom, len(messages)):
                    messages[index] = replace(messages[index], protect_content=True)
            if custom.get("request_location"):
                messages[-1] = replace(messages[-1], request_location=True)
            since_custom = 0
            continue
        message = to_outbound(reply)
        if message is not None:
            messages.append(message)
            since_custom = 0 if custom else since_custom + 1
    return messages


def ranking(conversation_id: str, servers: Sequence[str]) -> list[str]:
    """The servers in the order this conversation tries them (rendezvous hashing): the same for the same inputs in
    every gateway process, whatever the order of `servers`."""
    def score(server: str) -> bytes:
        return hashlib.blake2b(f"{server}\n{conversation_id}".encode(), digest_size=8).digest()

    return sorted(servers, key=score, reverse=True)


class Admission:
    """At most `cap` turns in flight on one server; the others wait their turn, first come first served."""

    def __init__(self, cap: int):
        self.cap = max(1, cap)
        self._free = asyncio.Semaphore(self.cap)
        self.in_flight = 0
        self.waiting = 0

    @asynccontextmanager
    async def place(self) -> AsyncIterator[None]:
        self.waiting += 1
        try:
            await self._free.acquire()
        finally:
            self.waiting -= 1
        self.in_flight += 1
        try:
            yield
        finally:
            self.in_flight -= 1
            self._free.release()


class RasaClient:
    def __init__(self, base_url: str, timeout_seconds: float, token: str = "", servers: Sequence[str] = (),
                 in_flight: int = 4):
        """`servers`: every Rasa server to spread conversations over (CAUNOI_RASA_URLS); empty = `base_url` only.
        `in_flight`: turns sent to one server at once; more wait for a free place (CAUNOI_RASA_IN_FLIGHT)."""
        self._token = token
        # Rasa's channel answers the stack only (bot/rasa_server/rasa_channel.py)
        self._headers = {HEADER: token} if token else {}
        self._timeout = timeout_seconds
        self._servers = [url.rstrip("/") for url in (servers or (base_url,))]
        self._places = {server: Admission(in_flight) for server in self._servers}
        # Rasa keeps idle connections for 120 s: a minute here is safely below it.
        self._http = BackendSession(connect_timeout=min(3.0, timeout_seconds), keepalive=60.0)

    @property
    def servers(self) -> list[str]:
        return list(self._servers)

    def admission(self, server: str) -> Admission:
        """`server`'s admission control: its turns in flight and waiting."""
        return self._places[server.rstrip("/")]

    async def aclose(self) -> None:
        await self._http.aclose()

    async def send(self, conversation_id: str, text: str, channel: str,
                   metadata: dict[str, Any] | None = None) -> Turn:
        """Runs one user turn through Rasa (this conversation's server): the bot's replies in order, and more."""
        body = {"sender": conversation_id, "message": text, "input_channel": channel, "metadata": metadata or {}}
        order = ranking(conversation_id, self._servers) if len(self._servers) > 1 else self._servers
        try:
            for index, server in enumerate(order):
                try:
                    async with self._places[server].place():  # admission: waits here, not inside Rasa
                        answer = await self._http.request("POST", f"{server}/webhooks/rest/webhook", json=body,
                                                          headers=self._headers, timeout=self._timeout)
                    break
                except NotReached:
                    if index == len(order) - 1:
                        raise
        except (NotReached, Failed) as error:
            raise RasaUnavailable(str(error)) from None
        if answer.status != 200:
            raise RasaUnavailable(f"HTTP {answer.status}")
        try:
            replies = answer.json()
        except ValueError:
            raise RasaUnavailable("answer is not JSON") from None
        if not isinstance(replies, list):
            raise RasaUnavailable("unexpected reply shape")
        return Turn.of(replies)

    async def problem(self) -> str | None:
        """None when every Rasa server is up with a model loaded, otherwise a short reason (naming the server when
        there are several)."""
        reasons = [(url, reason) for url in self._servers if (reason := await self._problem(url))]
        if not reasons:
            return None
        if len(self._servers) == 1:
            return reasons[0][1]
        return "; ".join(f"{url}: {reason}" for url, reason in reasons)

    async def _problem(self, url: str) -> str | None:
        params = {"token": self._token} if self._token else {}
        try:
            answer = await self._http.request("GET", f"{url}/status", params=params, timeout=3.0)
        except (NotReached, Failed) as error:
            return f"Rasa not reachable ({error})"
        if answer.status == 409:
            return "Rasa has no model loaded"
        if answer.status != 200:
            return f"Rasa answered {answer.status} on /status"
        return None
