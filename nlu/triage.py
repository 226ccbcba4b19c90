"""How urgent is this? Risk from the intent and from signs of trafficking in the words, as data-driven rules.

The rules are `content/vi/triage/indicators.yml` (typed by nlu/tables/indicators.py): levels per intent, indicator
phrases (ILO forced-labour indicators and the exploitation purposes of Law 53/2024), and combinations (a minor with
any exploitation sign, two medium signs together). Indicators found in earlier turns of a conversation can be
passed in, so that signs add up across turns ("passport kept" now, "can't leave" later).
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from nlu.phrases import PhraseIndex, Syllables
from nlu.tables import Combination, Indicator, Past, TriageRules
from nlu.tables.indicators import ANY_EXPLOITATION, LEVELS
from nlu.text import Normalised


def level_rank(level: str) -> int:
    return LEVELS.index(level)


@dataclass(frozen=True)
class Risk:
    level: str
    reasons: tuple[str, ...]
    indicators: frozenset[str]

    def as_dict(self) -> dict[str, Any]:
        return {"level": self.level, "reasons": list(self.reasons), "indicators": sorted(self.indicators)}


NO_RISK = Risk("none", (), frozenset())


@dataclass(frozen=True)
class PastMarkers:
    """Past, not present: in a message that says it is over ("giờ đã về nhà") and nothing says it still goes on,
    the signs found are one indicator of what happened (`indicator`), unless one of `unless` is among them."""

    indicator: str | None
    markers: PhraseIndex[bool]  # True: it is over; False: it still goes on
    unless: frozenset[str]

    @classmethod
    def of(cls, rule: Past) -> PastMarkers:
        markers = [(p, True, False) for p in rule.over]
        markers += [(p, False, False) for p in rule.still]
        return cls(rule.indicator, PhraseIndex(markers), frozenset(rule.unless))

    def recast(self, found: frozenset[str], message: Syllables) -> frozenset[str]:
        if self.indicator is None or not found or found & self.unless:
            return found
        said = {over for _, _, over in self.markers.everywhere(message)}
        return frozenset({self.indicator}) if said == {True} else found


class Triage:
    def __init__(self, rules: TriageRules):
        self._intents = {name: (graded.level, graded.reason) for name, graded in rules.intents.items()}
        self._indicators: dict[str, Indicator] = {spec.id: spec for spec in rules.indicators}
        self._patterns = {spec.id: re.compile(spec.pattern) for spec in rules.indicators if spec.pattern}
        phrases: list[tuple[str, tuple[str, bool], bool]] = []
        for spec in rules.indicators:
            phrases += [(p, (spec.id, False), False) for p in spec.phrases]
            phrases += [(p, (spec.id, False), True) for p in spec.phrases_accented_only]
            phrases += [(p, (spec.id, True), False) for p in spec.exclude]
        self._phrases: PhraseIndex[tuple[str, bool]] = PhraseIndex(phrases)
        self._exploitation = frozenset(rules.exploitation)
        self._past = PastMarkers.of(rules.past)
        self._combinations: tuple[Combination, ...] = rules.combinations
        self.urgent = frozenset(rules.urgent)  # the table checked that every sign it names is an indicator
        self._answered = [(answer.sign, frozenset(answer.unless_intents)) for answer in rules.answered]

    @property
    def past_indicator(self) -> str | None:
        """The indicator that stands for signs of something that happened and is over (`past` in the rules)."""
        return self._past.indicator

    def indicators_in(self, view: Normalised) -> frozenset[str]:
        message = Syllables.of(view)
        hits: list[tuple[int, int, str]] = []
        excluded: list[tuple[int, int, str]] = []
        for start, end, (indicator, is_exclusion) in self._phrases.everywhere(message):
            (excluded if is_exclusion else hits).append((start, end, indicator))
        found = {
            indicator for start, end, indicator in hits
            if not any(s <= start and end <= e and i == indicator for s, e, i in excluded)
        }
        found |= {name for name, pattern in self._patterns.items() if pattern.search(view.folded)}
        return self._past.recast(frozenset(found), message)

    def assess(self, view: Normalised, intent: str | None, earlier: Collection[str] = ()) -> Risk:
        """The risk of this message, counting indicators seen earlier in the conversation too."""
        return self.grade(self.indicators_in(view) | frozenset(earlier), [intent] if intent else [])

    def grade(self, indicators: Collection[str], intents: Collection[str] = ()) -> Risk:
        """The risk of a set of indicators and intents, however many messages they came from."""
        found = frozenset(indicators)
        graded = [self._intents[intent] for intent in dict.fromkeys(intents) if intent in self._intents]
        graded += [(self._indicators[i].level, self._indicators[i].reason) for i in sorted(found)
                   if i in self._indicators]
        graded += self._combined(found)
        if not graded:
            return Risk("none", (), found)
        graded.sort(key=lambda pair: -level_rank(pair[0]))
        return Risk(graded[0][0], tuple(dict.fromkeys(reason for _, reason in graded)), found)

    def answered(self, indicators: Collection[str], intent: str | None) -> str | None:
        """The first sign among `indicators` that has an answer of its own for this intent (rules `answered`)."""
        return next((sign for sign, unless in self._answered if sign in indicators and intent not in unless), None)

    def _combined(self, indicators: frozenset[str]) -> list[tuple[str, str]]:
        results = []
        for rule in self._combinations:
            if rule.all_of:
                holds = all(
                    bool(indicators & self._exploitation) if part == ANY_EXPLOITATION else part in indicators
                    for part in rule.all_of
                )
            else:
                floor = level_rank(rule.of_level)
                ignored = set(rule.not_counting)
                count = sum(1 for i in indicators if i in self._indicators and i not in ignored
                            and level_rank(self._indicators[i].level) >= floor)
                holds = count >= rule.count_at_least
            if holds:
                results.append((rule.level, rule.reason))
        return results
