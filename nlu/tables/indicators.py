"""The triage rules (`triage/indicators.yml`): risk levels per intent, the signs of trafficking and their phrases,
how signs combine, and which signs are urgent or answered on their own. nlu/triage.py applies them."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from nlu.tables.files import Documents, Problem, Reader

FILE = "triage/indicators.yml"
LEVELS = ("none", "low", "medium", "high")
# Keys an indicator may have (`ilo` names the ILO indicator it stands for; the matcher does not read it).
PATTERN_KEYS = ("regex", "minor_age_regex", "hours_regex")  # Python regexes on the folded text
INDICATOR_KEYS = frozenset({"id", "ilo", "level", "reason", "phrases", "phrases_accented_only", "exclude",
                            *PATTERN_KEYS})
ANY_EXPLOITATION = "any_exploitation"  # in a combination's all_of: any sign of `exploitation`


@dataclass(frozen=True)
class Graded:
    level: str
    reason: str  # shown to operators: short, neutral Vietnamese


@dataclass(frozen=True)
class Indicator:
    id: str
    level: str
    reason: str
    pattern: str | None = None
    phrases: tuple[str, ...] = ()
    phrases_accented_only: tuple[str, ...] = ()  # the unaccented form means something else
    exclude: tuple[str, ...] = ()  # longer phrases that cancel a match they cover


@dataclass(frozen=True)
class Combination:
    """Signs that together raise the level: all of `all_of`, or at least `count_at_least` signs of `of_level`."""

    level: str
    reason: str
    all_of: tuple[str, ...] = ()
    count_at_least: int = 0
    of_level: str = "medium"
    not_counting: tuple[str, ...] = ()


@dataclass(frozen=True)
class Past:
    """In one message that says it is over (`over`) and nothing of it going on (`still`), the signs found count as
    `indicator`, unless one of `unless` is among them."""

    indicator: str | None = None
    over: tuple[str, ...] = ()
    still: tuple[str, ...] = ()
    unless: tuple[str, ...] = ()


@dataclass(frozen=True)
class Answered:
    """A sign answered on its own when nobody is in danger, except after one of `unless_intents`."""

    sign: str
    unless_intents: tuple[str, ...] = ()


@dataclass(frozen=True)
class TriageRules:
    intents: Mapping[str, Graded]
    indicators: tuple[Indicator, ...]
    combinations: tuple[Combination, ...] = ()
    exploitation: tuple[str, ...] = ()
    past: Past = Past()
    urgent: tuple[str, ...] = ()  # ahead of every other high risk in the human queue
    answered: tuple[Answered, ...] = ()


class _Reader:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.problems: list[Problem] = []

    def problem(self, message: str) -> None:
        self.problems.append(Problem(self.path, message))

    def words(self, raw: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
        value = raw.get(key)
        if value is None:
            return ()
        if isinstance(value, list) and all(isinstance(item, str) for item in value):
            return tuple(value)
        self.problem(f"{where}{key} must be a list of texts")
        return ()

    def graded(self, raw: Any, where: str) -> Graded | None:
        if not isinstance(raw, dict) or not all(isinstance(raw.get(key), str) for key in ("level", "reason")):
            self.problem(f"{where}: needs level and reason")
            return None
        if raw["level"] not in LEVELS:
            self.problem(f"{where}: level {raw['level']!r} is not one of {', '.join(LEVELS)}")
            return None
        return Graded(raw["level"], raw["reason"])

    def indicator(self, raw: Any, number: int) -> Indicator | None:
        if not (isinstance(raw, dict) and isinstance(raw.get("id"), str) and raw["id"]):
            self.problem(f"indicator {number}: needs an id")
            return None
        name, where = raw["id"], f"indicator {raw['id']}"
        graded = self.graded(raw, where)
        if graded is None:
            return None
        self.problems += [Problem(self.path, f"{where}: {key} is not an indicator key") for key in raw
                          if key not in INDICATOR_KEYS]
        pattern = next((raw[key] for key in PATTERN_KEYS if raw.get(key)), None)
        if pattern is not None:
            try:
                re.compile(str(pattern))
            except re.error as error:
                self.problem(f"{where}: the regex does not compile ({error})")
                return None
        return Indicator(name, graded.level, graded.reason, str(pattern) if pattern is not None else None,
                         *(self.words(raw, key, f"{where}: ") for key in ("phrases", "phrases_accented_only",
                                                                           "exclude")))

    def combination(self, raw: Any, number: int) -> Combination | None:
        where = f"combination {number}"
        graded = self.graded(raw, where)
        if graded is None or not isinstance(raw, dict):
            return None
        all_of = self.words(raw, "all_of", f"{where}: ")
        count = raw.get("count_at_least")
        if bool(all_of) == (count is not None) or (count is not None and not isinstance(count, int)):
            self.problem(f"{where}: needs either all_of: [signs] or count_at_least: a number")
            return None
        of_level = raw.get("of_level", "medium")
        if of_level not in LEVELS:
            self.problem(f"{where}: of_level {of_level!r} is not one of {', '.join(LEVELS)}")
            return None
        return Combination(graded.level, graded.reason, all_of, int(count or 0), str(of_level),
                           self.words(raw, "not_counting", f"{where}: "))


def _section(raw: Mapping[str, Any], key: str, kind: type, reader: _Reader) -> Any:
    value = raw.get(key)
    if value is None:
        return kind()
    if not isinstance(value, kind):
        reader.problem(f"{key} must be a {'mapping' if kind is dict else 'list'}")
        return kind()
    return value


def parse_triage(documents: Documents, base: Path) -> tuple[TriageRules | None, list[Problem]]:
    raw = documents[FILE]
    reader = _Reader(base / FILE)
    if not isinstance(raw, dict) or not isinstance(raw.get("indicators"), list):
        return None, [Problem(base / FILE, "must hold indicators: [...] (and intents:, combinations:, ...)")]
    intents = {str(name): reader.graded(spec, f"intent {name}")
               for name, spec in _section(raw, "intents", dict, reader).items()}
    indicators = [reader.indicator(spec, number) for number, spec in enumerate(raw["indicators"], start=1)]
    combinations = [reader.combination(spec, number)
                    for number, spec in enumerate(_section(raw, "combinations", list, reader), start=1)]
    past_raw = _section(raw, "past", dict, reader)
    indicator = past_raw.get("indicator")
    past = Past(str(indicator) if indicator else None,
                *(reader.words(past_raw, key, "past: ") for key in ("over", "still", "unless")))
    answered: list[Answered] = []
    for spec in _section(raw, "answered", list, reader):
        if not (isinstance(spec, dict) and isinstance(spec.get("sign"), str)):
            reader.problem(f"answered: {spec!r} needs a sign")
            continue
        answered.append(Answered(spec["sign"], reader.words(spec, "unless_intents", f"answered {spec['sign']}: ")))
    rules = TriageRules(
        intents=MappingProxyType({name: graded for name, graded in intents.items() if graded is not None}),
        indicators=tuple(item for item in indicators if item is not None),
        combinations=tuple(item for item in combinations if item is not None),
        exploitation=reader.words(raw, "exploitation", ""), past=past, urgent=reader.words(raw, "urgent", ""),
        answered=tuple(answered))
    return rules, reader.problems + _unknown_signs(rules, reader.path)


def _unknown_signs(rules: TriageRules, path: Path) -> list[Problem]:
    """Every sign the rules name is an indicator: a misspelt one would silently never match."""
    known = [indicator.id for indicator in rules.indicators]
    problems = [Problem(path, f"indicator {name} is defined twice") for name in sorted(set(known))
                if known.count(name) > 1]
    named = [("exploitation", sign) for sign in rules.exploitation]
    named += [("urgent", sign) for sign in rules.urgent]
    named += [("answered", answer.sign) for answer in rules.answered]
    named += [("past", sign) for sign in rules.past.unless]
    named += [("past", rules.past.indicator)] if rules.past.indicator else []
    named += [(f"combination {number}", sign) for number, rule in enumerate(rules.combinations, start=1)
              for sign in (*rule.all_of, *rule.not_counting) if sign != ANY_EXPLOITATION]
    return problems + [Problem(path, f"{where}: {sign!r} is not an indicator") for where, sign in named
                       if sign not in known]


TRIAGE = Reader((FILE,), parse_triage)
