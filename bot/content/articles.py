"""Guidance articles: `articles/<slug>.md`, YAML front matter between `---` lines, then the text a person reads."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from bot.content.directory import ID, is_http_url
from bot.content.files import parse_yaml
from bot.content.models import Article, Source

FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)\n---[ \t]*\n?(.*)\Z", re.DOTALL)
FIELDS = ("title", "summary", "sources", "verified_at", "related")


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
    if reasons or not isinstance(verified_at, date):
        return None, reasons
    return Article(slug=slug, title=title, summary=summary, sources=sources, verified_at=verified_at, body=body,
                   related=tuple(related)), []


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
        if not isinstance(item, dict) or set(item) != {"title", "url"}:
            reasons.append(f"source {number} must have exactly title and url")
            continue
        title, url = item["title"], item["url"]
        if not (isinstance(title, str) and title.strip()):
            reasons.append(f"source {number} has no title")
        elif not (isinstance(url, str) and is_http_url(url)):
            reasons.append(f"source {number} url {url!r} must be an http(s):// address")
        else:
            sources.append(Source(title.strip(), url.strip()))
    return tuple(sources)
