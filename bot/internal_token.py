"""The stack's own secret (CAUNOI_RASA_TOKEN): what the gateway shows Rasa, and Rasa shows the action server.

Rasa's REST channel and the action server would otherwise run any turn or action for whoever reaches their port
(the same host, the compose network): a forged `/delete_my_data` then `/affirm` erased a person's conversation,
a forged `action_escalate` queued an invented case. Both now answer only requests carrying this token in
`HEADER` (bot/rasa_server/rasa_channel.py, bot/rasa_server/action_guard.py). It travels in the environment and in 0600
files, never on a
command line, where `ps` shows it to every local user.
"""

from __future__ import annotations

import hmac

from bot.settings import Secret

HEADER = "X-Caunoi-Token"
MISSING = ("CAUNOI_RASA_TOKEN is not set: Rasa and the action server answer only the stack's own processes, which "
           "prove it with this token (`caunoi run` makes one per run; production: a random string in .env)")
REFUSED = {"error": "this server answers the Cầu Nối gateway only (missing or wrong X-Caunoi-Token)"}


def headers(token: Secret) -> dict[str, str]:
    """The header to send; none when no token is configured (the call is then refused, which says why)."""
    return {HEADER: token.reveal()} if token else {}


def accepted(received: str | None, token: Secret) -> bool:
    """True when the header holds the token; never with no token configured (closed, not open, by default)."""
    expected = token.reveal()
    if not expected or received is None:
        return False
    return hmac.compare_digest(received.encode("utf-8", "replace"), expected.encode("utf-8"))
