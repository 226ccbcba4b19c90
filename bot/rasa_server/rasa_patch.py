"""The changes Cầu Nối makes to Rasa at run time: the action server's answers are validated by a validator built
once, instead of one built (and its schema checked) for every answer; and the dialogue states are computed once per
event (bot/rasa_server/states_patch.py, applied here too).

Rasa 3.6 validates every custom action's response with `jsonschema.validate(result, schema)`. That function first
checks the schema itself against JSON Schema's meta-schema, on every call; with jsonschema 4.17 (the newest Rasa 3.6
accepts) that self-check of a constant schema took 69 % of the Rasa server's CPU per turn (py-spy on the bench
script, reports/bench.md) and capped one Rasa server at about 10 turns a second on a 2-core machine. Here the schema
is checked once, when the validator is built, and every response is still validated against it, with the error
Rasa would raise (a `jsonschema.ValidationError` carrying Rasa's hint to the docs).

`caunoi serve rasa` (bot/cli/logged.py) applies it before Rasa starts; nothing else in Rasa changes. The first
action answer it validates says so in Rasa's log (`IN_USE`): tests/stack/test_internal_servers.py reads it there,
from the server `caunoi serve rasa` started. Checked against Rasa 3.6.21 and jsonschema 4.17.3 (docs/patches.md).
"""

from __future__ import annotations

import functools
import logging
from typing import Any

import jsonschema
from jsonschema.exceptions import best_match
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL

log = logging.getLogger(__name__)
IN_USE = "action answers validated with a validator built once (bot/rasa_server/rasa_patch.py)"


@functools.lru_cache(maxsize=1)
def response_validator() -> Any:
    """The validator of an action server's response, its schema checked once."""
    schema = RemoteAction.action_response_format_spec()
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    log.info(IN_USE)
    return cls(schema)


def validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
    """`RemoteAction._validate_action_result` with the validator built once; the same outcome and errors."""
    error = best_match(response_validator().iter_errors(result))
    if error is None:
        return True
    error.message += (
        ". Failed to validate Action server response from API, make sure your response from the Action endpoint is "
        f"valid. For more information about the format visit {DOCS_BASE_URL}/custom-actions"
    )
    raise error


def apply() -> None:
    from bot.rasa_server import action_payload, rules_patch, states_patch

    RemoteAction._validate_action_result = validate_action_result
    states_patch.apply()  # the dialogue states computed once per event (its own docstring)
    rules_patch.apply()  # the rule policy's states bounded by its longest rule, formatted only for debug
    action_payload.apply()  # the action server gets the recent events whole, the earlier ones as actions read them
