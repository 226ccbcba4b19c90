"""`python -m bot.cli.rasa_main run ...`: Rasa's own command line, with our log lines.

Rasa 3.6 applies `--logging-config-file` first and then `coloredlogs.install()`, which swaps the root handler for
its own (no redaction, not JSON). Turning that call into nothing keeps the handler the configuration file made
(bot/logs.py); everything else is `python -m rasa` unchanged. `caunoi serve rasa` starts this.
"""

from __future__ import annotations

from typing import Any


def _leave_handlers_alone(*args: Any, **kwargs: Any) -> None:
    return None


def main() -> None:
    import coloredlogs

    coloredlogs.install = _leave_handlers_alone
    from rasa.__main__ import main as rasa_main

    rasa_main()


if __name__ == "__main__":
    main()
