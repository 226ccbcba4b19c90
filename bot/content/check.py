"""`check_content(dir)`: every rule content must meet before it reaches a person; the build fails on any problem.

Beyond what the loader refuses (malformed entries, articles, texts), it checks what can go stale or slip in by
hand: dates in the future, articles too long for a chat message or with formatting a phone shows as symbols,
agency names and numbers that no longer exist since the 2025 restructuring, any phone number in a text a person
can be shown that is not the phone of a verified directory entry — a wrong number sends a victim nowhere —, known
false claims (checks/false_claims.yml) in any text a person can be shown, sources cited by a bare home page, and
articles nobody can reach (no intent, button or related link leads to them).
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from bot.content.abroad import abroad_problems
from bot.content.console import console_problems
from bot.content.dialogue import PLACES, placed
from bot.content.followup import follow_up_problems
from bot.content.loader import Content, read_content
from bot.content.models import Problem
from bot.content.phones import OUTDATED, canonical, phone_problem, phones_in
from bot.content.referrals import referral_problems
from nlu.tables import parse_yaml
from nlu.text import fold

ARTICLE_BODY_LIMIT = 1200  # characters of what one answer shows (an article, or one section): 1–2 chat messages
SUMMARY_LIMIT = 140
# Folders that hold what people TYPE (NLU examples, gazetteer phrases, teencode, triage cues): people will keep
# writing "công an huyện" or "LĐTBXH", and the bot must understand them, so those words belong there.
INPUT_SIDE = frozenset({"nlu", "gazetteer", "normalise", "triage"})
TEXT_SUFFIXES = frozenset({".yml", ".yaml", ".md", ".txt", ".csv", ".json"})
# Folders whose files are shown to people, and so may only carry verified phone numbers; with the articles and the
# dialogue texts at the top of the content folder (dialogue.yml: labels the actions fill in; canned_replies.yml).
SHOWN = ("responses", "gateway", "console")
FALSE_CLAIMS = "checks/false_claims.yml"
# A button payload as Rasa writes it: /intent{"entity": "value", …}
PAYLOAD = re.compile(r"\A/(\w+)(\{.*\})?\Z", re.DOTALL)

_W = r"\s+"
# Matched on text folded to ASCII, lower case, punctuation turned to spaces (same length as the original, so a match
# points at its line). Sources: vn-facts §2 (2025 restructuring) and §1 (old numbers).
OUTDATED_NAMES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(rf"\blao{_W}dong{_W}thuong{_W}binh\b"),
     "names the Ministry/Department/Office of Labour, Invalids and Social Affairs (Lao động - Thương binh và Xã hội), "
     "which no longer exists since 1/3/2025: labour and overseas work → Bộ Nội vụ / Sở Nội vụ; victim support → "
     "Bộ Y tế / Sở Y tế"),
    (re.compile(r"\bld\s*tb\s*(?:va\s+)?xh\b"),
     "names LĐ-TB&XH / LĐTBXH, which no longer exists since 1/3/2025 (Bộ Nội vụ / Sở Nội vụ for labour, "
     "Bộ Y tế / Sở Y tế for victim support)"),
    (re.compile(rf"\bcuc{_W}phong{_W}chong{_W}te{_W}nan{_W}xa{_W}hoi\b"),
     "names the Cục Phòng, chống tệ nạn xã hội, merged into the Cục Bảo trợ xã hội (Bộ Y tế) on 1/3/2025"),
    (re.compile(rf"\bcong{_W}an{_W}(?:huyen|quan|thi{_W}xa)\b"),
     "names district police (công an huyện/quận/thị xã), which no longer exist since 1/3/2025: "
     "say công an xã/phường or công an tỉnh"),
)
_PUNCTUATION = re.compile(r"[^\w\s]")


def check_content(content_dir: Path, today: date | None = None) -> list[Problem]:
    """Every problem in `content_dir`, in a stable order; empty when the content may ship."""
    today = today or date.today()
    content, problems = read_content(content_dir)
    if content is not None:
        problems += _dates(content, content_dir, today)
        problems += _article_form(content, content_dir)
        problems += _shown_phones(content, content_dir)
        problems += abroad_problems(_shown_texts(content, content_dir), content.directory, content_dir)
        problems += _false_claims(content, content_dir)
        problems += _unreachable(content, content_dir)
        problems += _dialogue_responses(content, content_dir)
    problems += console_problems(content_dir)
    problems += follow_up_problems(content_dir)
    problems += referral_problems(content_dir)
    problems += _outdated(content_dir)
    return problems


def _dates(content: Content, content_dir: Path, today: date) -> list[Problem]:
    problems = [Problem(content_dir / entry.file, f"{entry.id}: verified_at {entry.verified_at} is in the future")
                for entry in content.directory if entry.verified_at and entry.verified_at > today]
    problems += [Problem(content_dir / "articles" / f"{a.slug}.md", f"verified_at {a.verified_at} is in the future")
                 for a in content.articles.values() if a.verified_at > today]
    return problems


def _article_form(content: Content, content_dir: Path) -> list[Problem]:
    problems: list[Problem] = []
    for article in content.articles.values():
        path = content_dir / "articles" / f"{article.slug}.md"

        def problem(message: str, file: Path = path) -> None:
            problems.append(Problem(file, message))

        for section in article.sections:
            name = f"section {section.id!r}" if section.id else ("the lead" if article.parts else "body")
            if len(section.text) > ARTICLE_BODY_LIMIT:
                problem(f"{name} is {len(section.text)} characters; keep it within {ARTICLE_BODY_LIMIT} "
                        "(1–2 chat messages)")
        if len(article.summary) > SUMMARY_LIMIT:
            problem(f"summary is {len(article.summary)} characters; one short line is at most {SUMMARY_LIMIT}")
        for number, source in enumerate(article.sources, start=1):
            if urlsplit(source.url).path.strip("/") == "" and not urlsplit(source.url).query:
                problem(f"source {number} is a home page ({source.url}); cite the page the facts are on")
        # Telegram and Zalo show Markdown as the symbols themselves: the text must read well unrendered.
        for number, line in enumerate(article.body.splitlines(), start=1):
            where = f"body line {number}"
            if line.startswith("## "):
                continue  # a section heading: the loader checks it, and people see it as plain text
            if line.lstrip().startswith("|"):
                problem(f"{where}: no tables (they cannot be read on a phone)")
            if re.match(r"\s+([-*+•]|\d+[.)])\s", line):
                problem(f"{where}: no nested lists (keep one level of - bullets)")
            if re.search(r"</?[a-zA-Z][^>]*>", line):
                problem(f"{where}: no raw HTML")
            if "**" in line or "__" in line or re.match(r"\s*#", line) or "](" in line:
                problem(f"{where}: no Markdown emphasis, headings or links (shown as symbols in chat)")
    return problems


def _strings(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """(where, text) for every string in a YAML document."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for name, item in value.items():
            if name != "verified_at":
                yield from _strings(item, f"{path}.{name}" if path else str(name))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, f"{path}[{index}]")


def _shown_texts(content: Content, content_dir: Path) -> Iterator[tuple[Path, str, str]]:
    shown = [path for folder in SHOWN for path in sorted((content_dir / folder).rglob("*.yml"))]
    for path in [*shown, *sorted(content_dir.glob("*.yml"))]:
        try:
            document = parse_yaml(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            continue  # the loader (gateway) or Rasa (responses) reports unreadable files
        for where, text in _strings(document):
            yield path, where, text
    for article in content.articles.values():
        path = content_dir / "articles" / f"{article.slug}.md"
        yield path, "title", article.title
        yield path, "summary", article.summary
        for section in article.sections:  # each section is shown on its own, so each must stand alone
            yield path, f"section {section.id or 'lead'}", section.text
        yield path, "button", article.button
        for source in article.sources:
            yield path, "source title", source.title


def _shown_phones(content: Content, content_dir: Path) -> list[Problem]:
    problems: list[Problem] = []
    for path, where, text in _shown_texts(content, content_dir):
        for phone in phones_in(text):
            if not content.directory.has_verified_phone(phone):
                problems.append(Problem(path, f"{where}: phone {phone!r} is not the phone of a verified directory "
                                              "entry (only verified numbers may be shown)"))
    return problems


def _false_claims(content: Content, content_dir: Path) -> list[Problem]:
    """Every text a person can be shown, against the claims known to be false (with and without diacritics)."""
    claims = _claims(content_dir)
    problems: list[Problem] = []
    for path, where, text in _shown_texts(content, content_dir):
        searchable = _searchable(text)
        problems += [Problem(path, f"{where}: says {phrase!r}, which is false: {why}")
                     for pattern, phrase, why in claims if pattern.search(searchable)]
    return problems


def _claims(content_dir: Path) -> list[tuple[re.Pattern[str], str, str]]:
    path = content_dir / FALSE_CLAIMS
    if not path.exists():
        return []
    claims = []
    for item in (parse_yaml(path.read_text(encoding="utf-8")) or {}).get("claims") or []:
        why = str(item["why"])
        for phrase in item["phrases"]:
            words = _searchable(str(phrase)).split()
            claims.append((re.compile(r"\b" + r"\s+".join(map(re.escape, words)) + r"\b"), str(phrase), why))
    return claims


def _unreachable(content: Content, content_dir: Path) -> list[Problem]:
    """Articles no intent (dialogue.yml article_for_intent), sign (answer_for_sign), button payload or chain of
    related: links reaches. (The loader reports the dialogue's links to articles that do not exist.)"""
    problems: list[Problem] = []
    dialogue = content.dialogue
    roots = [*dialogue.article_for_intent.values(),
             *(answer.article for answer in dialogue.answer_for_sign.values() if answer.article)]
    for path, where, slug, section in _button_articles(content_dir):
        roots.append(slug)
        article = content.articles.get(slug)
        if article is None:
            problems.append(Problem(path, f"{where}: a button names article {slug!r}, which does not exist"))
        elif section and article.section(section) is None:
            problems.append(Problem(path, f"{where}: a button names section {section!r}, not in {slug}"))
    reached: set[str] = set()
    waiting = [slug for slug in roots if slug in content.articles]
    while waiting:
        slug = waiting.pop()
        if slug not in reached:
            reached.add(slug)
            waiting += [related for related in content.articles[slug].related if related in content.articles]
    problems += [Problem(content_dir / "articles" / f"{slug}.md",
                         "unreachable: no intent in dialogue.yml article_for_intent, no sign in answer_for_sign, no "
                         "button in a response and no related: link of a reachable article leads to it")
                 for slug in sorted(set(content.articles) - reached)]
    return problems


def _dialogue_responses(content: Content, content_dir: Path) -> list[Problem]:
    """The safety responses dialogue.yml names (one variant per place) are responses of content/<language>/responses:
    Rasa refuses to send a response it does not have, at the moment someone in danger needs it."""
    defined: set[str] = set()
    for path in sorted((content_dir / "responses").rglob("*.yml")):
        try:
            document = parse_yaml(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            continue  # Rasa reports unreadable responses
        responses = document.get("responses") if isinstance(document, dict) else None
        defined |= set(responses) if isinstance(responses, dict) else set()
    dialogue = content.dialogue
    named = [(f"safety_for_sign {number}", rule.response)
             for number, rule in enumerate(dialogue.safety_for_sign, start=1)]
    named += [(f"answer_for_sign.{sign}", answer.response) for sign, answer in dialogue.answer_for_sign.items()
              if answer.response]
    return [Problem(content_dir / "dialogue.yml", f"{where}: response {placed(response, place)} is not in responses/")
            for where, response in named for place in PLACES if placed(response, place) not in defined]


def _button_articles(content_dir: Path) -> Iterator[tuple[Path, str, str, str]]:
    """(file, where, article, section) for every button payload in a response that names an article."""
    for path in sorted((content_dir / "responses").rglob("*.yml")):
        try:
            document = parse_yaml(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            continue
        for where, text in _strings(document):
            match = PAYLOAD.match(text) if where.endswith(".payload") else None
            if not match or not match.group(2):
                continue
            try:
                entities = json.loads(match.group(2))
            except ValueError:
                continue
            if isinstance(entities, dict) and entities.get("article"):
                yield path, where, str(entities["article"]), str(entities.get("section") or "")


def _searchable(text: str) -> str:
    """ASCII, lower case, punctuation as spaces — the same length as `text`, so offsets still point at lines."""
    return _PUNCTUATION.sub(" ", "".join(map(_fold_lower, text)))


@functools.lru_cache(maxsize=4096)
def _fold_lower(char: str) -> str:
    """One character folded and lower-cased (cached: every file goes through here character by character)."""
    return fold(char).lower()[:1] or char


def is_outdated(text: str) -> bool:
    """The text names an agency that no longer exists or holds a pre-2017 area code (what `_outdated` refuses)."""
    searchable = _searchable(text)
    if any(pattern.search(searchable) for pattern, _ in OUTDATED_NAMES):
        return True
    for phone in phones_in(text):
        reason = phone_problem(phone)
        if canonical(phone) in OUTDATED or (reason and "pre-2017" in reason):
            return True
    return False


def _outdated(content_dir: Path) -> list[Problem]:
    problems: list[Problem] = []
    for path in sorted(content_dir.rglob("*")):
        relative = path.relative_to(content_dir)
        if not path.is_file() or path.suffix not in TEXT_SUFFIXES or relative.parts[0] in INPUT_SIDE:
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        searchable = _searchable(text)
        for pattern, message in OUTDATED_NAMES:
            for match in pattern.finditer(searchable):
                problems.append(Problem(path, f"line {text.count(chr(10), 0, match.start()) + 1}: {message}"))
        for number, line in enumerate(text.splitlines(), start=1):
            for phone in phones_in(line):
                reason = phone_problem(phone)
                if canonical(phone) in OUTDATED or (reason and "pre-2017" in reason):
                    problems.append(Problem(path, f"line {number}: {reason}"))
    return problems
