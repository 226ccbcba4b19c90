"""Which article section answers a question: the phrases of each section's `asks`, found in what the person wrote.

Matched by the NLU's own phrase matcher (nlu/phrases.py) on the normaliser's view of the text (teencode expanded,
with and without diacritics), so "co duoc boi thuong khong" and "có được bồi thường không" find the same section.
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.content.models import Article
from nlu.phrases import PhraseIndex, Syllables
from nlu.tables import Teencode
from nlu.text import Table, normalise

Place = tuple[str, str]  # (article slug, section id)


class Questions:
    def __init__(self, articles: Mapping[str, Article], teencode: Teencode):
        self._table = Table.build(teencode.words, teencode.keep_doubles)
        self._index: PhraseIndex[Place] = PhraseIndex(
            (phrase, (slug, section.id), False)
            for slug, article in articles.items() for section in article.sections for phrase in section.asks)

    def find(self, text: str, prefer: str | None = None) -> Place | None:
        """The section whose longest phrase in `text` is the longest; on a tie, one of article `prefer`."""
        message = Syllables.of(normalise(text, self._table))
        longest: dict[Place, int] = {}
        for start, end, place in self._index.everywhere(message):
            longest[place] = max(longest.get(place, 0), end - start)
        if not longest:
            return None
        return max(longest, key=lambda place: (longest[place], place[0] == prefer))
