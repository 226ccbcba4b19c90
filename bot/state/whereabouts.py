"""Whether a conversation shows the person is abroad, read by the gateway itself, without Rasa.

The texts the gateway and the console send on their own (Rasa down, danger while waiting, a long wait, nobody on
duty, the chat closed) then give the consular line first: 111 and 113 cannot be dialled from a compound abroad.
The signs are the ones the actions use (actions/common.py `whereabouts`): the last GPS point the person shared
decides; without one, a country named in what they wrote, found by the NLU's own gazetteer (so "o ben cam",
"sihanoukville" count). A wrong guess costs little: the abroad texts still give 111 and 113 after the consular line.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import redis

from bot.content import Directory, load_content
from bot.messages import Inbound
from bot.state.transcript import Transcript
from nlu.gazetteer import Gazetteer
from nlu.text import Table, normalise

log = logging.getLogger(__name__)
POINT = re.compile(r"(-?\d{1,2}(?:\.\d+)?),\s*(-?\d{1,3}(?:\.\d+)?)")
RECENT_ENTRIES = 60  # what the person said lately; a place named further back is rarely still true


def shared_point(transcript: list[dict[str, Any]]) -> tuple[float, float] | None:
    """The last location the person shared in the transcript."""
    for entry in reversed(transcript):
        if entry.get("from") == "person" and entry.get("kind") == "location":
            found = POINT.search(str(entry.get("text", "")))
            if found:
                latitude, longitude = float(found[1]), float(found[2])
                if -90 <= latitude <= 90 and -180 <= longitude <= 180:
                    return latitude, longitude
    return None


class Places:
    """The gazetteer and the map, as the gateway reads them (built once per content folder and process)."""

    def __init__(self, content_dir: Path):
        content = load_content(content_dir)
        self._gazetteer = Gazetteer(content.gazetteer)
        self._table = Table.build(content.teencode.words, content.teencode.keep_doubles)
        self._directory: Directory = content.directory

    def abroad(self, texts: Iterable[str], point: tuple[float, float] | None) -> bool:
        if point is not None:
            return not self._directory.in_vietnam(*point)
        return any(found.entity == "country" for text in texts if text
                   for found in self._gazetteer.find(normalise(text, self._table)))


@functools.lru_cache(maxsize=4)
def places(content_dir: Path) -> Places:
    return Places(content_dir)


class Whereabouts:
    def __init__(self, transcript: Transcript, content_dir: Path):
        self._transcript = transcript
        self._places = places(content_dir)

    async def abroad(self, conversation_id: str, latest: Inbound | None = None) -> bool:
        """True when the conversation (and `latest`, a message perhaps not in the transcript yet) shows the person
        is abroad. Redis away: False, and the caller's general text, which gives both routes, goes out."""
        try:
            entries = await self._transcript.read(conversation_id, -RECENT_ENTRIES, -1)
        except (redis.RedisError, OSError) as error:
            log.warning("whereabouts unreadable reason=%s", type(error).__name__)
            entries = []
        point = shared_point(entries)
        texts = [str(entry.get("text") or "") for entry in entries
                 if entry.get("from") == "person" and entry.get("kind") == "text"]
        if latest is not None:
            if latest.location is not None:
                point = (latest.location.latitude, latest.location.longitude)
            texts.append(latest.text)
        return self._places.abroad(texts, point)
