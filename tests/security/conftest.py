"""The security tests run the real gateway app with the channel tests' doubles (Bot API, fake Rasa, fake Zalo)."""

from tests.channels.conftest import channel_settings, options, rasa, running, sleeps, zalo_api

__all__ = ["channel_settings", "options", "rasa", "running", "sleeps", "zalo_api"]
