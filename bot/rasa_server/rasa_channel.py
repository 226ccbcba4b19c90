"""Rasa's REST channel, answering the gateway only: runs inside the Rasa server (named in the credentials file that
`caunoi serve rasa` writes).

Rasa's `--auth-token` guards its HTTP API but not its channels, so anyone who could reach Rasa's port could play a
turn for any conversation id (`/restart`, `/delete_my_data`, any `/intent{…}`). Same URL and behaviour as Rasa's
`rest` channel; a POST without the stack's token (bot/internal_token.py) is refused before Rasa reads it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.internal_token import HEADER, REFUSED, accepted
from bot.settings import Secret, get_settings


class GatewayInput(RestInput):
    def __init__(self, token: Secret | None = None) -> None:
        self._token = get_settings().rasa_token if token is None else token

    @classmethod
    def name(cls) -> str:
        return "rest"  # the gateway's URL stays /webhooks/rest/webhook

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> GatewayInput:
        return cls()  # the token comes from the environment, not from the credentials file

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        blueprint: Blueprint = super().blueprint(on_new_message)

        async def only_the_gateway(request: Request) -> HTTPResponse | None:
            if request.method != "GET" and not accepted(request.headers.get(HEADER), self._token):
                return response.json(REFUSED, status=401)
            return None

        blueprint.middleware(only_the_gateway, "request")
        return blueprint
