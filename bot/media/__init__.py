"""Pictures and voice notes people send: reading a picture's words (Tesseract, off the event loop) and telling a job
ad from anything else.

May import the base (settings, messages, privacy, logs), `bot.content`, `bot.state` and `nlu/`; never a channel,
the gateway, the console or the CLI: the gateway drives it with the bytes a channel fetched.
"""
