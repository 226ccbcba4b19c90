"""The test harness: one double for each outside system and one way to start the stack, shared by tests/, bench/
and load/ (a support package, not a test package: pytest collects nothing here).

- `botapi`: the Telegram Bot API double, a real HTTP server python-telegram-bot reaches through its `base_url`,
  with Telegram's update payloads (`python -m harness.botapi PORT` runs it in a process of its own);
- `rasa`: the fake Rasa (REST channel, /status, trackers) and the action server's health check, in process through
  an httpx transport or served on a real port;
- `app`: the gateway app (bot/app.py) running in this process, over ASGI or on a real port;
- `stack`: the stack as processes, `caunoi run` and `caunoi serve <part>`, with their output and their end;
- `servers`: an ASGI app on a real port, in a thread or in this event loop;
- `wait`: polling a condition until it holds or a deadline passes.

What it may import: `bot` (the harness starts and reaches the product) and third-party libraries; never `tests`,
and not `bench` or `load` either, which use it. Nothing in `bot` imports it. tests/house/imports.py holds the rules
for `tests` and `bot`. Zalo's one double stays beside the Zalo tests (tests/channels/fakes.py), its only users.
"""
