"""The operator console's texts: what it tells people by itself (`console/messages.yml`) and the canned replies
operators insert (`canned_replies.yml`). Read here, once per process, like every other content file.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import yaml

from bot.content.loader import ContentError
from bot.content.models import Problem
from nlu.tables import parse_yaml

CANNED_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,47}")
CANNED_TEXT_LIMIT = 2000


@dataclass(frozen=True)
class ConsoleTexts:
    joined: str
    joined_anonymous: str
    released: str
    closed: str
    long_wait: str
    nobody_online: str
    withdrawn: str
    oncall_alert: str
    oncall_realert: str
    zalo_window: str  # Zalo only, as a handoff starts: an answer can reach them only within 48 h of their last message
    # The texts with numbers, for a conversation that shows the person is abroad: the consular line first.
    closed_abroad: str
    long_wait_abroad: str
    nobody_online_abroad: str
    handed_back: str  # the holder went off duty: the conversation is back in the queue, someone else will continue
    handed_back_note: str  # the case note about it (operators only)
    handover_line: str  # the transcript line of a transfer with its handover note (operators only)

    def for_place(self, name: str, abroad: bool) -> str:
        """The text `name` (closed, long_wait, nobody_online), in its abroad variant when the person is abroad."""
        return str(getattr(self, f"{name}_abroad" if abroad else name))


@dataclass(frozen=True)
class CannedReply:
    id: str
    title: str
    text: str
    group: str = ""  # the heading the console lists it under ("" = general)


@dataclass(frozen=True)
class CloseTag:
    """A tag an operator picks when closing a conversation (console/close_tags.yml): an id for the records, a label."""

    id: str
    label: str


def _read(path: Path) -> tuple[Any, list[Problem]]:
    try:
        return parse_yaml(path.read_text(encoding="utf-8")), []
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        return None, [Problem(path, f"cannot read: {error}")]


def parse_console_texts(path: Path) -> tuple[ConsoleTexts | None, list[Problem]]:
    raw, problems = _read(path)
    if problems:
        return None, problems
    if not isinstance(raw, dict):
        return None, [Problem(path, "must be a mapping of name: text")]
    names = [item.name for item in fields(ConsoleTexts)]
    problems = [Problem(path, f"lacks {name} (a non-empty text)") for name in names
                if not (isinstance(raw.get(name), str) and raw[name].strip())]
    problems += [Problem(path, f"{name} is not a text the console uses") for name in raw if name not in names]
    for name, placeholder in (("joined", "{alias}"), ("oncall_alert", "{link}"), ("oncall_realert", "{link}"),
                              ("handed_back_note", "{operator}"), ("handover_line", "{note}")):
        if isinstance(raw.get(name), str) and placeholder not in raw[name]:
            problems.append(Problem(path, f"{name} must contain {placeholder}"))
    if problems:
        return None, problems
    return ConsoleTexts(**{name: raw[name].strip() for name in names}), []


def parse_canned_replies(path: Path) -> tuple[tuple[CannedReply, ...], list[Problem]]:
    raw, problems = _read(path)
    if problems:
        return (), problems
    items = raw.get("replies") if isinstance(raw, dict) else None
    if not isinstance(items, list):
        return (), [Problem(path, "must hold replies: [{id, title, text}, ...]")]
    replies: list[CannedReply] = []
    for number, item in enumerate(items, start=1):
        values = {name: item.get(name) if isinstance(item, dict) else None for name in ("id", "title", "text")}
        if not all(isinstance(value, str) and value.strip() for value in values.values()):
            problems.append(Problem(path, f"reply {number}: needs id, title and text"))
            continue
        group = item.get("group", "") if isinstance(item, dict) else ""
        reply = CannedReply(str(values["id"]).strip(), str(values["title"]).strip(), str(values["text"]).strip(),
                            group.strip() if isinstance(group, str) else "")
        if not CANNED_ID.fullmatch(reply.id):
            problems.append(Problem(path, f"reply {number}: id {reply.id!r} must be a-z, 0-9 and -"))
        elif any(existing.id == reply.id for existing in replies):
            problems.append(Problem(path, f"reply {number}: id {reply.id!r} is used twice"))
        elif len(reply.text) > CANNED_TEXT_LIMIT:
            problems.append(Problem(path, f"reply {reply.id}: text longer than {CANNED_TEXT_LIMIT} characters"))
        else:
            replies.append(reply)
    return tuple(replies), problems


def parse_close_tags(path: Path) -> tuple[tuple[CloseTag, ...], list[Problem]]:
    raw, problems = _read(path)
    if problems:
        return (), problems
    items = raw.get("tags") if isinstance(raw, dict) else None
    if not isinstance(items, list) or not items:
        return (), [Problem(path, "must hold tags: [{id, label}, ...]")]
    tags: list[CloseTag] = []
    for number, item in enumerate(items, start=1):
        tag_id, label = (item.get(name) if isinstance(item, dict) else None for name in ("id", "label"))
        if not (isinstance(tag_id, str) and CANNED_ID.fullmatch(tag_id) and isinstance(label, str) and label.strip()):
            problems.append(Problem(path, f"tag {number}: needs an id (a-z, 0-9, -) and a label"))
        elif any(tag.id == tag_id for tag in tags):
            problems.append(Problem(path, f"tag {number}: id {tag_id!r} is used twice"))
        else:
            tags.append(CloseTag(tag_id, label.strip()))
    return tuple(tags), problems


def console_problems(content_dir: Path) -> list[Problem]:
    """Everything wrong with the console's texts (for `caunoi content check`)."""
    _, problems = parse_console_texts(content_dir / "console" / "messages.yml")
    _, more = parse_canned_replies(content_dir / "canned_replies.yml")
    _, tags = parse_close_tags(content_dir / "console" / "close_tags.yml")
    return problems + more + tags


@functools.lru_cache(maxsize=4)
def close_tags(content_dir: Path) -> tuple[CloseTag, ...]:
    tags, problems = parse_close_tags(content_dir / "console" / "close_tags.yml")
    if problems:
        raise ContentError("\n".join(str(problem) for problem in problems))
    return tags


@functools.lru_cache(maxsize=4)
def console_texts(content_dir: Path) -> ConsoleTexts:
    texts, problems = parse_console_texts(content_dir / "console" / "messages.yml")
    if texts is None:
        raise ContentError("\n".join(str(problem) for problem in problems))
    return texts


@functools.lru_cache(maxsize=4)
def canned_replies(content_dir: Path) -> tuple[CannedReply, ...]:
    replies, problems = parse_canned_replies(content_dir / "canned_replies.yml")
    if problems:
        raise ContentError("\n".join(str(problem) for problem in problems))
    return replies
