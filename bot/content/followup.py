"""The follow-up after a referral, typed: `content/<language>/gateway/followup.yml` (bot/gateway/followups.py sends it).

The question (and what stands for an organisation without a name), the three answers (in their order: a button's
place, a Zalo number), what each answer replies, the phrases a person may type for it, the queue reason operators
read, and why a follow-up was not asked. Every text must be there and hold the {placeholder} it is filled with, so
`caunoi content check` fails before a person meets it.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

import yaml

from bot.content.loader import ContentError
from bot.content.models import Problem
from nlu.tables import parse_yaml

Answer = Literal["helped", "not_reached", "not_needed"]
ANSWERS: tuple[Answer, ...] = ("helped", "not_reached", "not_needed")
# Why a follow-up was not asked (the keys of `skipped`).
SKIPS = ("zalo_window", "blocked", "unfollowed", "undeliverable", "held_too_long")
PATH = Path("gateway") / "followup.yml"


@dataclass(frozen=True)
class AnswerTexts:
    button: str
    reply: str
    phrases: tuple[str, ...]
    alone: tuple[str, ...] = ()  # answers only as the whole message ("chưa", "rồi ạ"): too short to find inside one


@dataclass(frozen=True)
class FollowUpTexts:
    question: str  # {organisation}
    unnamed: str  # {organisation} when the organisation has no name any more
    answers: Mapping[Answer, AnswerTexts]  # in ANSWERS order
    queue_reason: str  # {organisation}
    skipped: Mapping[str, str]  # SKIPS -> the note operators read


def _text(raw: Any, where: str, problems: list[str], placeholder: str | None = None) -> str:
    if not (isinstance(raw, str) and raw.strip()):
        problems.append(f"{where} must be a non-empty text")
        return ""
    if placeholder is not None:
        try:
            raw.format(**{placeholder: ""})
        except (KeyError, IndexError, ValueError):
            problems.append(f"{where} may use {{{placeholder}}} only (write a brace that is shown as {{{{ or }}}})")
        if "{" + placeholder + "}" not in raw:
            problems.append(f"{where} must contain {{{placeholder}}}")
    return raw.strip()


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def parse_follow_up(path: Path) -> tuple[FollowUpTexts | None, list[Problem]]:
    try:
        raw = parse_yaml(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        return None, [Problem(path, f"cannot read: {error}")]
    if not isinstance(raw, dict):
        return None, [Problem(path, "must be a mapping with question, answers, queue_reason and skipped")]
    problems: list[str] = []
    question = _text(raw.get("question"), "question", problems, "organisation")
    queue_reason = _text(raw.get("queue_reason"), "queue_reason", problems, "organisation")
    unnamed = _text(raw.get("unnamed"), "unnamed", problems)
    given = _mapping(raw.get("answers"))
    if list(given) != list(ANSWERS):
        problems.append(f"answers must be exactly {', '.join(ANSWERS)}, in this order")
    answers: dict[Answer, AnswerTexts] = {}
    for name in ANSWERS:
        item = _mapping(given.get(name))
        phrases = item.get("phrases")
        if not (isinstance(phrases, list) and phrases and all(isinstance(p, str) and p.strip() for p in phrases)):
            problems.append(f"answers.{name}.phrases must be a list of phrases")
            phrases = []
        alone = item.get("alone", [])
        if not (isinstance(alone, list) and all(isinstance(p, str) and p.strip() for p in alone)):
            problems.append(f"answers.{name}.alone must be a list of phrases")
            alone = []
        answers[name] = AnswerTexts(_text(item.get("button"), f"answers.{name}.button", problems),
                                    _text(item.get("reply"), f"answers.{name}.reply", problems),
                                    tuple(p.strip() for p in phrases), tuple(p.strip() for p in alone))
    skipped_raw = _mapping(raw.get("skipped"))
    skipped = {name: _text(skipped_raw.get(name), f"skipped.{name}", problems) for name in SKIPS}
    problems += [f"skipped.{name} is not a reason the gateway knows" for name in skipped_raw if name not in SKIPS]
    if problems:
        return None, [Problem(path, problem) for problem in problems]
    return FollowUpTexts(question, unnamed, MappingProxyType(answers), queue_reason, MappingProxyType(skipped)), []


def follow_up_problems(content_dir: Path) -> list[Problem]:
    """Everything wrong with the follow-up's texts (for `caunoi content check`)."""
    return parse_follow_up(content_dir / PATH)[1]


@functools.lru_cache(maxsize=4)
def follow_up_texts(content_dir: Path) -> FollowUpTexts:
    texts, problems = parse_follow_up(content_dir / PATH)
    if texts is None:
        raise ContentError("\n".join(str(problem) for problem in problems))
    return texts
