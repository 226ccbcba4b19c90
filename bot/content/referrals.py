"""The consent questions of a referral (`content/<language>/referrals.yml`), typed, and the reading of a short typed
answer ("có", "dong y", "ko", "thôi") as yes or no, with and without diacritics and after teencode.

    texts = referral_texts(settings.content_dir)
    texts.ask_share.format(org=..., summary=...)      # placeholders: {org}, {summary}, {contact}
    texts.answer("ok")                                  # True; "ko" False; "mai mình đi làm" None
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from bot.content.loader import ContentError, load_content
from bot.content.models import Problem
from nlu.tables import TEENCODE, parse_yaml
from nlu.text import Table, normalise

FILE = "referrals.yml"
QUESTIONS = ("ask_share", "ask_contact", "ask_transcript", "ask_check_in", "sent", "refused", "stale")
BUTTONS = ("share_yes", "share_no", "contact_here", "contact_no", "transcript_yes", "transcript_no", "check_in_yes",
           "check_in_no")
LINES = ("sent", "refused", "expired", "contact_yes", "contact_no", "transcript_yes", "transcript_no", "check_in_yes",
         "check_in_no")
PLACEHOLDERS = {"ask_share": ("{org}", "{summary}"), "sent": ("{org}", "{contact}"), "refused": ("{org}", "{contact}")}
LONGEST_ANSWER_WORDS = 8  # a longer message is something else the person is saying, not an answer
LONGEST_ANSWER_CHARS = 80
_WORD = re.compile(r"\w+")


def asks(text: str, words: list[str]) -> bool:
    """The person asks something back ("có mất tiền không?", "họ có biết tên mình ko"): not a yes or a no, although
    it holds "có" and "không". A question mark, or the yes/no question's "có … không" with words between."""
    if "?" in text:
        return True
    return words[-1] == "khong" and "co" in words[:-2]


@dataclass(frozen=True)
class ReferralTexts:
    ask_share: str
    ask_contact: str
    ask_transcript: str
    ask_check_in: str
    sent: str
    refused: str
    stale: str  # a button of a question that expired (or was erased): nothing was shared
    buttons: Mapping[str, str]
    lines: Mapping[str, str]  # transcript lines for the operator, by event
    agree: tuple[tuple[str, ...], ...]  # phrases, as folded words
    decline: tuple[tuple[str, ...], ...]
    unsure: tuple[tuple[str, ...], ...]  # "không biết", "chưa hiểu": neither, although they hold a "không"
    table: Table

    def words(self, text: str) -> list[str]:
        return _WORD.findall(normalise(text, self.table).folded.lower())

    def answer(self, text: str) -> bool | None:
        """True for yes, False for no, None when the message is not a short yes or no. The longest phrase found
        decides ("không đồng ý" is no although it holds "đồng ý"; "không sao" is yes)."""
        if len(text) > LONGEST_ANSWER_CHARS or len(text.split()) > LONGEST_ANSWER_WORDS:
            return None  # before normalising, which costs most of the time: most messages are longer
        words = self.words(text)
        if not words or len(words) > LONGEST_ANSWER_WORDS or asks(text, words):
            return None
        if any(tuple(words[start:start + len(phrase)]) == phrase
               for phrase in self.unsure for start in range(len(words) - len(phrase) + 1)):
            return None
        found: list[tuple[int, int, bool]] = []  # (length, start, yes)
        for phrases, yes in ((self.agree, True), (self.decline, False)):
            for phrase in phrases:
                size = len(phrase)
                found += [(size, start, yes) for start in range(len(words) - size + 1)
                          if tuple(words[start:start + size]) == phrase]
        taken: set[int] = set()
        said: set[bool] = set()
        for size, start, yes in sorted(found, key=lambda match: -match[0]):
            span = set(range(start, start + size))
            if span & taken:
                continue
            taken |= span
            said.add(yes)
        if False in said:
            return False
        return True if said else None


def parse_referral_texts(path: Path, teencode: Table) -> tuple[ReferralTexts | None, list[Problem]]:
    try:
        raw: Any = parse_yaml(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        return None, [Problem(path, f"cannot read: {error}")]
    if not isinstance(raw, dict):
        return None, [Problem(path, "must be a mapping")]
    problems = [Problem(path, f"lacks {name} (a non-empty text)") for name in QUESTIONS
                if not (isinstance(raw.get(name), str) and raw[name].strip())]
    buttons, lines = raw.get("buttons"), raw.get("lines")
    for group, names, found in (("buttons", BUTTONS, buttons), ("lines", LINES, lines)):
        if not isinstance(found, dict):
            problems.append(Problem(path, f"lacks {group}: a mapping of {', '.join(names)}"))
            continue
        problems += [Problem(path, f"{group} lacks {name}") for name in names
                     if not (isinstance(found.get(name), str) and found[name].strip())]
    for name, needed in PLACEHOLDERS.items():
        text = raw.get(name)
        problems += [Problem(path, f"{name} must contain {p}") for p in needed
                     if isinstance(text, str) and p not in text]
    phrases: dict[str, tuple[tuple[str, ...], ...]] = {}
    for name in ("agree", "decline", "unsure"):
        items = raw.get(name, [] if name == "unsure" else None)
        if name == "unsure" and items == []:
            phrases[name] = ()
            continue
        if not isinstance(items, list) or not items or not all(isinstance(item, str) and item.strip()
                                                                for item in items):
            problems.append(Problem(path, f"{name} must be a list of phrases (quote yes and no: YAML reads them as "
                                          "true and false)"))
            continue
        phrases[name] = tuple(tuple(_WORD.findall(normalise(item, teencode).folded.lower())) for item in items)
    if problems:
        return None, problems
    assert isinstance(buttons, dict) and isinstance(lines, dict)
    return ReferralTexts(**{name: raw[name].strip() for name in QUESTIONS},
                         buttons=MappingProxyType({name: str(buttons[name]).strip() for name in BUTTONS}),
                         lines=MappingProxyType({name: str(lines[name]).strip() for name in LINES}),
                         agree=phrases["agree"], decline=phrases["decline"], unsure=phrases["unsure"],
                         table=teencode), []


def referral_problems(content_dir: Path) -> list[Problem]:
    """Everything wrong with referrals.yml (for `caunoi content check`; reads the teencode without caching the
    folder's content, as the check runs on folders no process serves)."""
    teencode, _ = TEENCODE.read(content_dir)
    if teencode is None:
        return []  # the loader reports the teencode's own problems
    return parse_referral_texts(content_dir / FILE, Table.build(teencode.words, teencode.keep_doubles))[1]


@functools.lru_cache(maxsize=4)
def referral_texts(content_dir: Path) -> ReferralTexts:
    teencode = load_content(content_dir).teencode
    texts, problems = parse_referral_texts(content_dir.resolve() / FILE,
                                           Table.build(teencode.words, teencode.keep_doubles))
    if texts is None:
        raise ContentError("\n".join(str(problem) for problem in problems))
    return texts


