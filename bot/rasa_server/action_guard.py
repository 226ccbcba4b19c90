"""The action server answers Rasa only: runs inside the action server (bot/cli/logged.py registers it as a rasa_sdk
plugin, rasa_sdk's own extension point, before the server starts).

Without it anyone who reached the port could run any action for any conversation id (a forged `action_escalate`
queued an invented case, `action_delete_my_data` asked to erase someone's data), and rasa_sdk's error handler
answered a failure with the exception's text and the whole request body. Every route but `/health` now needs the
stack's token (bot/internal_token.py; Rasa sends it as an endpoint header, bot/rasa_server/endpoints.py), and an error
answers
a fixed line: the details go to the log, where rasa_sdk already writes them.
"""

from __future__ import annotations

import logging

import pluggy
from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.internal_token import HEADER, REFUSED, accepted
from bot.settings import get_settings

hookimpl = pluggy.HookimplMarker("rasa_sdk")
log = logging.getLogger(__name__)
OPEN_PATHS = ("/health",)  # the supervisor's and compose's health checks


@hookimpl
def attach_sanic_app_extensions(app: Sanic) -> None:
    token = get_settings().rasa_token

    async def only_rasa(request: Request) -> HTTPResponse | None:
        if request.path not in OPEN_PATHS and not accepted(request.headers.get(HEADER), token):
            return response.json(REFUSED, status=401)
        return None

    async def failed(request: Request, exception: Exception) -> HTTPResponse:
        log.error("action server request failed error=%s", type(exception).__name__)
        status = getattr(exception, "status_code", 500)
        return response.json({"error": "the action failed (details in the action server's log)"},
                             status=status if isinstance(status, int) and 400 <= status < 600 else 500)

    app.register_middleware(only_rasa, "request")
    app.error_handler.add(Exception, failed)  # replaces rasa_sdk's handler, which echoed the request body
