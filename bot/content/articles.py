"""Guidance articles: `articles/<slug>.md`, YAML front matter between `---` lines, then the text a person reads.

A long article is split into sections, each answering one question: a line `## Heading {#section-id}` starts one,
and the front matter's `sections:` says, per id, the phrases of the questions it answers (`asks`) and which of the
sources its facts come from (`source`, counted from 1). The text before the first heading is the lead, shown when
the question names no section. An article without headings is one section, its whole text.

    sections:
      boi-thuong: {asks: [bồi thường, đền bù], source: 2}
    ---
    Lead.

    ## Được bồi thường {#boi-thuong}
    …
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from bot.content.directory import ID, is_http_url
from bot.content.models import Article, Section, Source
from nlu.tables import parse_yaml

FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)\n---[ \t]*\n?(.*)\Z", re.DOTALL)
FIELDS = ("title", "summary", "sources", "verified_at", "related", "button", "sections")
SOURCE_FIELDS = frozenset({"title", "url", "publisher", "published"})
HEADING = re.compile(r"^##(?!#)[ \t]*(.*?)[ \t]*$", re.MULTILINE)
HEADING_ID = re.compile(r"(.+?)[ \t]*\{#([^}]*)\}")
LABEL_LIMIT = 40  # characters of a button label a phone shows on one line


def parse_article(path: Path) -> tuple[Article | None, list[str]]:
    """The article in `path`, or None and every reason it cannot be one."""
    slug = path.stem
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        return None, [f"cannot read: {error}"]
    match = FRONT_MATTER.match(text.replace("\r\n", "\n"))
    if not match:
        return None, ["must start with YAML front matter between two --- lines"]
    try:
        meta = parse_yaml(match.group(1))
    except yaml.YAMLError as error:
        return None, [f"front matter is not valid YAML: {error}"]
    if not isinstance(meta, dict):
        return None, ["front matter must be a mapping (title:, summary:, sources:, verified_at:)"]
    reasons: list[str] = []
    if not ID.fullmatch(slug):
        reasons.append(f"file name {slug!r} must be a slug: lower-case letters, digits and dashes")
    unknown = sorted(str(name) for name in meta if name not in FIELDS)
    if unknown:
        reasons.append(f"unknown front matter field(s) {', '.join(unknown)} (allowed: {', '.join(FIELDS)})")
    title, summary = _line(meta, "title", reasons), _line(meta, "summary", reasons)
    sources = _sources(meta.get("sources"), reasons)
    verified_at = meta.get("verified_at")
    if not isinstance(verified_at, date):
        reasons.append("verified_at must be a date, YYYY-MM-DD")
    related = meta.get("related") or []
    if not (isinstance(related, list) and all(isinstance(r, str) and ID.fullmatch(r) for r in related)):
        reasons.append("related must be a list of article slugs")
        related = []
    body = match.group(2).strip()
    if not body:
        reasons.append("the body (after the front matter) is empty")
    button = meta.get("button", title)  # a title that is already short needs no label of its own
    if "button" in meta and not (isinstance(button, str) and 0 < len(button.strip()) <= LABEL_LIMIT):
        reasons.append(f"button must be a label of at most {LABEL_LIMIT} characters")
        button = title
    sections = _sections(title, body, meta.get("sections"), len(sources), reasons) if body else ()
    if reasons or not isinstance(verified_at, date):
        return None, reasons
    return Article(slug=slug, title=title, summary=summary, sources=sources, verified_at=verified_at, body=body,
                   related=tuple(related), sections=sections, button=button.strip()), []


def _sections(title: str, body: str, spec: Any, source_count: int, reasons: list[str]) -> tuple[Section, ...]:
    """The lead and the `## ` sections of `body`, with what the front matter says about each."""
    spec = spec if spec is not None else {}
    if not isinstance(spec, dict):
        reasons.append("sections must map section ids to {asks: [...], source: n}")
        spec = {}
    headings = list(HEADING.finditer(body))
    lead = body[: headings[0].start()].strip() if headings else body
    if headings and not lead:
        reasons.append("an article with sections needs a lead: text before the first ## heading")
    found = [Section("", title, lead)]
    for number, heading in enumerate(headings):
        end = headings[number + 1].start() if number + 1 < len(headings) else len(body)
        text = body[heading.end():end].strip()
        named = HEADING_ID.fullmatch(heading.group(1))
        if not named or not ID.fullmatch(named.group(2)):
            reasons.append(f"heading {heading.group(0).strip()!r} must be '## Title {{#section-id}}' "
                           "(id: lower-case letters, digits and dashes)")
            continue
        section_id, label = named.group(2), named.group(1).strip()
        if any(section.id == section_id for section in found):
            reasons.append(f"section id {section_id!r} is used twice")
        if len(label) > LABEL_LIMIT:
            reasons.append(f"section {section_id!r}: heading is {len(label)} characters; it is a button label, "
                           f"at most {LABEL_LIMIT}")
        if not text:
            reasons.append(f"section {section_id!r} is empty")
        asks, source = _section_spec(section_id, spec.get(section_id), source_count, reasons)
        found.append(Section(section_id, label, text, asks, source))
    ids = {section.id for section in found}
    reasons += [f"sections: {name!r} is not the id of a ## heading in the body" for name in spec if name not in ids]
    return tuple(found)


def _section_spec(section_id: str, spec: Any, source_count: int, reasons: list[str]) -> tuple[tuple[str, ...], int]:
    if spec is None:
        return (), 0
    if not isinstance(spec, dict) or set(spec) - {"asks", "source"}:
        reasons.append(f"sections: {section_id!r} may hold only asks: [phrases] and source: n")
        return (), 0
    asks = spec.get("asks") or []
    if not (isinstance(asks, list) and all(isinstance(a, str) and a.strip() for a in asks)):
        reasons.append(f"sections: {section_id!r} asks must be a list of phrases")
        asks = []
    source = spec.get("source", 1)
    if not (isinstance(source, int) and 1 <= source <= source_count):
        reasons.append(f"sections: {section_id!r} source must be the number of one of the {source_count} sources")
        source = 1
    return tuple(a.strip() for a in asks), source - 1


def _line(meta: dict[Any, Any], name: str, reasons: list[str]) -> str:
    value = meta.get(name)
    if not isinstance(value, str) or not value.strip():
        reasons.append(f"missing {name}")
        return ""
    if "\n" in value.strip():
        reasons.append(f"{name} must be one line")
    return value.strip()


def _sources(value: Any, reasons: list[str]) -> tuple[Source, ...]:
    if not isinstance(value, list) or not value:
        reasons.append("sources must be a non-empty list of {title, url}")
        return ()
    sources: list[Source] = []
    for number, item in enumerate(value, start=1):
        if not isinstance(item, dict) or not {"title", "url"} <= set(item) or set(item) - SOURCE_FIELDS:
            reasons.append(f"source {number} must have title and url (and may have publisher, published)")
            continue
        title, url = item["title"], item["url"]
        extra = {name: item.get(name) for name in ("publisher", "published")}
        if not (isinstance(title, str) and title.strip()):
            reasons.append(f"source {number} has no title")
        elif not (isinstance(url, str) and is_http_url(url)):
            reasons.append(f"source {number} url {url!r} must be an http(s):// address")
        elif not all(value is None or (isinstance(value, str) and value.strip()) for value in extra.values()):
            reasons.append(f"source {number}: publisher and published must be text (published: \"7/2025\")")
        else:
            publisher, published = (str(v).strip() if v else None for v in extra.values())
            sources.append(Source(title.strip(), url.strip(), publisher, published))
    return tuple(sources)
