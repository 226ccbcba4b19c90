"""What a picture's words are: a job ad (the job-offer check starts with them), other words (read by the NLU like a
typed message), or nothing readable.

A job ad is told by the job-offer check's own phrases (content/vi/dialogue.yml, `job_check.phrases`) and the
gazetteer's countries: words that answer at least JOB_AD_SIGNS of the check's questions ("lương cao", "bao vé",
"phí hồ sơ", a country…) read as an offer. Danger wins over an offer: the gateway sends words of danger to the NLU
whatever else they say, so that a threat in a chat screenshot raises the risk — except the signs that in an offer
are its terms (`job_check.offer_terms`: a contract that says "Bên A giữ hộ chiếu" is a red flag to check, not someone
held).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from bot.content import load_content
from nlu.gazetteer import Gazetteer
from nlu.phrases import PhraseIndex, Syllables
from nlu.text import Table, normalise

JOB_AD_SIGNS = 2
MIN_WORDS = 3  # fewer confident words than this is nothing readable (a logo, a stray letter in a photo)
EXCERPT_CHARACTERS = 300  # what the person is shown of what was read
_WORD = re.compile(r"[^\W\d_]{2,}")
Kind = Literal["job_ad", "words", "nothing"]


@dataclass(frozen=True)
class Picture:
    kind: Kind
    text: str  # the words read, lines joined by spaces

    @property
    def excerpt(self) -> str:
        if len(self.text) <= EXCERPT_CHARACTERS:
            return self.text
        return self.text[:EXCERPT_CHARACTERS].rsplit(" ", 1)[0] + "…"


class PictureKinds:
    def __init__(self, content_dir: Path):
        content = load_content(content_dir)
        rules = content.dialogue.job_check
        self._phrases: PhraseIndex[str] = PhraseIndex(
            (phrase, slot, False) for slot, values in rules.phrases.items()
            for listed in values.values() for phrase in listed)
        self._gazetteer = Gazetteer(content.gazetteer)
        self._table = Table.build(content.teencode.words, content.teencode.keep_doubles)
        self.offer_terms = frozenset(rules.offer_terms)  # danger signs that, in an offer, are its terms

    def signs(self, text: str) -> set[str]:
        """The job-offer questions the words answer (`job_country` for any country named)."""
        view = normalise(text, self._table)
        found = {slot for _, _, slot in self._phrases.everywhere(Syllables.of(view))}
        if any(item.entity == "country" for item in self._gazetteer.find(view)):
            found.add("job_country")
        return found

    def of(self, words: str) -> Picture:
        text = " ".join(words.split())
        if len(_WORD.findall(text)) < MIN_WORDS:
            return Picture("nothing", "")
        return Picture("job_ad" if len(self.signs(text)) >= JOB_AD_SIGNS else "words", text)


@functools.lru_cache(maxsize=4)
def picture_kinds(content_dir: Path) -> PictureKinds:
    return PictureKinds(content_dir)
