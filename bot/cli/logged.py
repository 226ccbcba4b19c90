"""`python -m bot.cli.logged MODULE ARGS...`: runs `python -m MODULE ARGS...` (rasa, rasa_sdk) with our log lines.

Our logging (bot/logs.py) is set up before the module is even imported, so warnings printed at import time are
JSON lines too; and `coloredlogs.install()` is made a no-op, because Rasa calls it after applying
`--logging-config-file` and it would swap our redacting handler for its own. `caunoi serve rasa|actions` starts this.
Rasa also gets bot/rasa_server/rasa_patch.py (its action server answers validated without rebuilding the validator
each time).

The stack's token (CAUNOI_RASA_TOKEN, bot/internal_token.py) is read from the environment here: Rasa gets it as
`--auth-token` added to its arguments inside this process (Rasa reads it from its command line only, and a
command line is what `ps` shows every local user; /proc/PID/cmdline keeps the arguments we were started with),
and the action server gets bot/rasa_server/action_guard.py as a plugin.
"""

from __future__ import annotations

import runpy
import sys
from typing import Any

from bot.logs import configure
from bot.settings import get_settings

ALLOWED = ("rasa", "rasa_sdk")


def _leave_handlers_alone(*args: Any, **kwargs: Any) -> None:
    return None


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in ALLOWED:
        sys.exit(f"usage: python -m bot.cli.logged {{{','.join(ALLOWED)}}} ARGS...")
    configure(get_settings())
    import coloredlogs

    coloredlogs.install = _leave_handlers_alone
    module, arguments = sys.argv[1], sys.argv[2:]
    settings = get_settings()
    if module == "rasa":
        from bot.rasa_server import rasa_patch

        rasa_patch.apply()
        if settings.rasa_token and arguments[:1] == ["run"]:
            # One argument with "=": a random token may start with "-", which argparse would take for an option.
            arguments.append(f"--auth-token={settings.rasa_token.reveal()}")
    if module == "rasa_sdk":
        from rasa_sdk.plugin import plugin_manager

        from bot.rasa_server import action_guard

        plugin_manager().register(action_guard)
    sys.argv = [module, *arguments]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
