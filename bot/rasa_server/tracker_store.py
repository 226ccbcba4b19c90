"""Rasa's Redis tracker store, with each tracker sealed (bot/state/sealed.py) before it reaches Redis.

A tracker holds every message of the conversation, its entities and slots (places, a shared location), so it is
sealed whole. bot/rasa_server/endpoints.py names this class as the `tracker_store` type; Rasa builds it with the
endpoint's
settings, and the keys come from the environment (CAUNOI_DATA_KEYS), never from the endpoints file on disk.
"""

from __future__ import annotations

from typing import Any

from rasa.core.tracker_store import RedisTrackerStore
from rasa.shared.core.trackers import DialogueStateTracker

from bot.state.sealed import Sealer, process_sealer


class SealedRedisTrackerStore(RedisTrackerStore):
    def __init__(self, *args: Any, sealer: Sealer | None = None, **kwargs: Any) -> None:
        # Built before Redis is touched: without data keys Rasa stops at start instead of storing text in clear.
        self._sealer = sealer or process_sealer()
        super().__init__(*args, **kwargs)

    def serialise_tracker(self, tracker: DialogueStateTracker) -> str:
        return self._sealer.seal(super().serialise_tracker(tracker))

    def deserialise_tracker(self, sender_id: str, serialised_tracker: str | bytes) -> DialogueStateTracker | None:
        if isinstance(serialised_tracker, bytes):
            serialised_tracker = serialised_tracker.decode("utf-8")
        # Unreadable (a dropped key) propagates: Rasa's fail-safe store logs it and the stored tracker stays as it is.
        return super().deserialise_tracker(sender_id, self._sealer.open(serialised_tracker))
