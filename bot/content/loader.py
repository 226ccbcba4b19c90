"""The one way into `content/<language>/`: `load_content(dir)` reads and validates it all, once per process.

Actions, the gateway, the console and outreach get typed models from here and never open a content file themselves.
`read_content` is the same reading without raising, for `caunoi content check`, which wants every problem rather
than the first. The language tables the NLU is built from (teencode, the gazetteer, the triage rules) are read by
nlu/tables, which the components inside Rasa use too; here they join the rest, so there is one reader per file.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from bot.content.articles import parse_article
from bot.content.dialogue import dialogue_problems, parse_dialogue
from bot.content.directory import Directory, Vocabulary, parse_entry, service_type_problems, unverified_phones
from bot.content.gateway import parse_gateway
from bot.content.geo import Geography
from bot.content.models import EXTRA_TYPES, Article, Dialogue, Entry, GatewayTexts, Problem, ServiceType
from nlu.tables import GAZETTEER, TEENCODE, TRIAGE, GazetteerTables, Teencode, TriageRules, parse_yaml


class ContentError(RuntimeError):
    """Content is missing or malformed; the message names each file and what is wrong with it."""


@dataclass(frozen=True)
class Content:
    directory: Directory
    articles: Mapping[str, Article]
    gateway: GatewayTexts
    provinces: tuple[str, ...]  # the 34 current names, in gazetteer order
    service_labels: Mapping[str, str]  # service type -> short Vietnamese label for buttons
    service_types: Mapping[str, ServiceType]  # in file order: the order of the "which kind of help?" buttons
    countries: tuple[str, ...]  # Vietnamese country names the directory and the NLU share
    gazetteer: GazetteerTables  # what the NLU finds places and kinds of help by (nlu/tables/places.py)
    teencode: Teencode
    triage: TriageRules
    dialogue: Dialogue


def load_content(content_dir: Path) -> Content:
    """Everything under `content_dir`, validated; raises ContentError listing every problem."""
    return _load(content_dir.resolve())


@functools.lru_cache(maxsize=4)
def _load(content_dir: Path) -> Content:
    content, problems = read_content(content_dir)
    if problems or content is None:
        raise ContentError("\n".join(str(problem) for problem in problems) or f"{content_dir}: cannot load")
    return content


def gateway_texts(content_dir: Path) -> GatewayTexts:
    return load_content(content_dir).gateway


def vocabulary_of(content: Content) -> Vocabulary:
    """What a directory entry's fields may hold in this content (the same the loader checked the files with)."""
    provinces = content.gazetteer.provinces
    return Vocabulary({p.name: p for p in provinces}, frozenset(content.countries),
                      frozenset((*content.service_labels, *EXTRA_TYPES)))


def _yaml(path: Path, problems: list[Problem]) -> Any:
    try:
        return parse_yaml(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        problems.append(Problem(path, f"cannot read: {error}"))
        return None


def _directory_entries(folder: Path, vocabulary: Vocabulary, problems: list[Problem]) -> list[Entry]:
    entries: list[Entry] = []
    seen: dict[str, str] = {}
    for path in sorted(folder.rglob("*.yml")):
        relative = path.relative_to(folder.parent).as_posix()
        raw = _yaml(path, problems)
        items = raw.get("entries") if isinstance(raw, dict) else None
        if raw is None or items is None:
            if raw is not None or path.stat().st_size:
                problems.append(Problem(path, "must hold entries: [...] (an empty file may say entries: [])"))
            continue
        if not isinstance(items, list):
            problems.append(Problem(path, "entries must be a list"))
            continue
        for number, item in enumerate(items, start=1):
            label = f"entry {number}" + (f" ({item['id']})" if isinstance(item, dict) and item.get("id") else "")
            entry, reasons = parse_entry(item, relative, vocabulary)
            problems += [Problem(path, f"{label}: {reason}") for reason in reasons]
            if entry is None:
                continue
            if entry.id in seen:
                problems.append(Problem(path, f"{label}: id {entry.id!r} is already used in {seen[entry.id]}"))
                continue
            seen[entry.id] = relative
            entries.append(entry)
    return entries


def read_content(content_dir: Path) -> tuple[Content | None, list[Problem]]:
    """Reads everything; gives the content (None if a part could not be built) and every problem found."""
    problems: list[Problem] = []
    gazetteer, found = GAZETTEER.read(content_dir)
    problems += found
    teencode, found = TEENCODE.read(content_dir)
    problems += found
    triage, found = TRIAGE.read(content_dir)
    problems += found
    provinces = gazetteer.provinces if gazetteer else ()
    countries = tuple(country.name for country in gazetteer.countries) if gazetteer else ()
    kinds = gazetteer.service_types if gazetteer else ()
    labels = {kind.name: kind.label for kind in kinds}
    services_path = content_dir / "gazetteer" / "service_types.yml"
    service_types: dict[str, ServiceType] = {}
    for kind in kinds:
        reasons = service_type_problems(kind)
        problems += [Problem(services_path, reason) for reason in reasons]
        if not reasons:
            service_types[kind.name] = kind

    vocabulary = Vocabulary({p.name: p for p in provinces}, frozenset(countries), frozenset((*labels, *EXTRA_TYPES)))
    entries = _directory_entries(content_dir / "directory", vocabulary, problems)

    articles: dict[str, Article] = {}
    for path in sorted((content_dir / "articles").glob("*.md")):
        article, reasons = parse_article(path)
        problems += [Problem(path, reason) for reason in reasons]
        if article is not None:
            articles[article.slug] = article
    for article in articles.values():
        path = content_dir / "articles" / f"{article.slug}.md"
        problems += [Problem(path, f"related article {slug!r} does not exist")
                     for slug in article.related if slug not in articles]

    gateway_path = content_dir / "gateway" / "messages.yml"
    gateway, reasons = parse_gateway(gateway_path)
    problems += [Problem(gateway_path, reason) for reason in reasons]

    dialogue_path = content_dir / "dialogue.yml"
    dialogue, reasons = parse_dialogue(dialogue_path)
    problems += [Problem(dialogue_path, reason) for reason in reasons]
    if dialogue is not None and triage is not None:
        problems += [Problem(dialogue_path, reason) for reason in dialogue_problems(dialogue, triage, articles)]

    if gateway is None or gazetteer is None or teencode is None or triage is None or dialogue is None:
        return None, problems
    directory = Directory(entries, Geography(provinces))
    problems += [Problem(services_path, f"{kind.name}: reach gives {phone}, which no verified directory entry holds")
                 for kind in service_types.values() for phone in unverified_phones(kind.reach, directory)]
    content = Content(
        directory=directory,
        articles=MappingProxyType(articles),
        gateway=gateway,
        provinces=tuple(p.name for p in provinces),
        service_labels=MappingProxyType(labels),
        service_types=MappingProxyType(service_types),
        countries=countries,
        gazetteer=gazetteer,
        teencode=teencode,
        triage=triage,
        dialogue=dialogue,
    )
    return content, problems
