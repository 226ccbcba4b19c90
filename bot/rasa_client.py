"""Talks to the Rasa server's REST channel and HTTP API, with a timeout on every call."""

from __future__ import annotations

from typing import Any

import httpx

from bot.messages import Button, Outbound


class RasaUnavailable(RuntimeError):
    """Rasa (or the action server behind it) did not answer in time or answered with an error."""


def to_outbound(reply: dict[str, Any]) -> Outbound | None:
    """Turns one reply of Rasa's REST channel into an `Outbound`; None for replies with nothing to show."""
    text = str(reply.get("text") or "").strip()
    buttons = tuple(
        Button(title=str(button.get("title", "")), payload=str(button.get("payload", "")))
        for button in reply.get("buttons") or ()
        if button.get("title") and button.get("payload")
    )
    custom = reply.get("custom")
    request_location = isinstance(custom, dict) and bool(custom.get("request_location"))
    if not text and not buttons:
        return None
    return Outbound(text=text, buttons=buttons, request_location=request_location)


class RasaClient:
    def __init__(self, base_url: str, timeout_seconds: float, token: str = "",
                 transport: httpx.AsyncBaseTransport | None = None):
        self._token = token
        self._client = httpx.AsyncClient(
            base_url=base_url, timeout=httpx.Timeout(timeout_seconds, connect=min(3.0, timeout_seconds)),
            transport=transport,
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    async def send(self, conversation_id: str, text: str, channel: str,
                   metadata: dict[str, Any] | None = None) -> list[Outbound]:
        """Runs one user turn through Rasa and returns the bot's replies in order."""
        body = {"sender": conversation_id, "message": text, "input_channel": channel, "metadata": metadata or {}}
        try:
            response = await self._client.post("/webhooks/rest/webhook", json=body)
            response.raise_for_status()
            replies = response.json()
        except (httpx.HTTPError, ValueError) as error:
            raise RasaUnavailable(type(error).__name__) from error
        if not isinstance(replies, list):
            raise RasaUnavailable("unexpected reply shape")
        return [message for message in map(to_outbound, replies) if message is not None]

    async def problem(self) -> str | None:
        """None when Rasa is up with a model loaded, otherwise a short reason."""
        params = {"token": self._token} if self._token else {}
        try:
            response = await self._client.get("/status", params=params, timeout=3.0)
        except httpx.HTTPError as error:
            return f"Rasa not reachable ({type(error).__name__})"
        if response.status_code == 409:
            return "Rasa has no model loaded"
        if response.status_code != 200:
            return f"Rasa answered {response.status_code} on /status"
        return None
