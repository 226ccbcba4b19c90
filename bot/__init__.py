"""Cầu Nối around Rasa: the gateway process (app, gateway/, channels/, console/), the state every process shares
(state/), the typed content (content/), outreach material (outreach/), code that runs inside Rasa (rasa_server/) and
the `caunoi` command (cli/). docs/architecture.md draws the rooms and the arrows; tests/house enforces them.

The modules at this level are the base every room may import: settings, logs, privacy, messages, the internal token
and the JSON body reader; they import nothing above them. `app` is the exception at the top: it mounts the gateway's
webhooks and the console into one ASGI app.
"""
