"""Rasa's endpoint configuration, written from the settings when the Rasa server starts.

Generated rather than checked in, so that types are right (Rasa would read `${VAR}` substitutions as strings) and
Redis is described once, by REDIS_URL.
"""

from __future__ import annotations

from typing import Any

from bot.internal_token import headers
from bot.settings import Settings
from bot.state import keys
from bot.state.retention import Periods

TRACKER_STORE = "bot.rasa_server.tracker_store.SealedRedisTrackerStore"


def rasa_endpoints(settings: Settings) -> dict[str, Any]:
    location = settings.redis
    common: dict[str, Any] = {"url": location.host, "port": location.port, "db": location.db,
                              "use_ssl": location.use_ssl}
    if location.password:
        common["password"] = location.password.reveal()
    if location.username:
        common["username"] = location.username
    return {
        # key_prefix must be alphanumeric, or Rasa silently ignores it.
        # Our subclass of Rasa's Redis store: trackers are sealed at rest (bot/rasa_server/tracker_store.py).
        "tracker_store": {"type": TRACKER_STORE, **common, "key_prefix": keys.TRACKER_PREFIX,
                          # Rasa resets this TTL on every save: the longest period, so that it never cuts a
                          # conversation kept longer; the purge erases each on time (bot/state/retention.py).
                          "record_exp": Periods.from_settings(settings).longest},
        "lock_store": {"type": "redis", **common, "key_prefix": keys.LOCK_PREFIX},
        # The action server answers only calls with the stack's token (bot/rasa_server/action_guard.py); this file is
        # 0600.
        "action_endpoint": {"url": f"{settings.actions_url}/webhook", "headers": headers(settings.rasa_token)},
    }
