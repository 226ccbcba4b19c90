"""The operator console: a risk-ordered queue, a JSON API under /api/ and a web console under /console/.

Mounted into the gateway app (bot/app.py) with its services built next to the gateway's:

    from bot.console import ConsoleServices, create_console_routes

    async with Gateway.running(settings) as gateway, ConsoleServices.running(settings, gateway) as console:
        app.state.gateway, app.state.console = gateway, console
    routes = [..., *create_console_routes()]

Names are imported on first use: importing the package does not load the web parts.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.console.handoff import OUTCOMES
    from bot.console.routes import create_console_routes
    from bot.console.services import ConsoleOptions, ConsoleServices

_HOMES = {"OUTCOMES": "handoff", "create_console_routes": "routes",
          "ConsoleOptions": "services", "ConsoleServices": "services"}
__all__ = ["OUTCOMES", "ConsoleOptions", "ConsoleServices", "create_console_routes"]


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(importlib.import_module(f"bot.console.{_HOMES[name]}"), name)
    raise AttributeError(f"module 'bot.console' has no attribute {name!r}")
