"""How urgent is this? Risk from the intent and from signs of trafficking in the words, as data-driven rules.

The rules are `content/vi/triage/indicators.yml`: levels per intent, indicator phrases (ILO forced-labour
indicators and the exploitation purposes of Law 53/2024), and combinations (a minor with any exploitation sign,
two medium signs together). Indicators found in earlier turns of a conversation can be passed in, so that signs
add up across turns ("passport kept" now, "can't leave" later).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from nlu.phrases import PhraseIndex, Syllables
from nlu.text import Normalised

LEVELS = ("none", "low", "medium", "high")


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
class Indicator:
    id: str
    level: str
    reason: str
    regex: re.Pattern[str] | None


@dataclass(frozen=True)
class Past:
    """Past, not present: in a message that says it is over ("giờ đã về nhà") and nothing says it still goes on,
    the signs found are one indicator of what happened (`indicator`), unless one of `unless` is among them."""

    indicator: str | None
    markers: PhraseIndex[bool]  # True: it is over; False: it still goes on
    unless: frozenset[str]

    @classmethod
    def of(cls, spec: Mapping[str, Any]) -> Past:
        markers = [(p, True, False) for p in spec.get("over") or ()]
        markers += [(p, False, False) for p in spec.get("still") or ()]
        return cls(spec.get("indicator"), PhraseIndex(markers), frozenset(spec.get("unless") or ()))

    def recast(self, found: frozenset[str], message: Syllables) -> frozenset[str]:
        if self.indicator is None or not found or found & self.unless:
            return found
        said = {over for _, _, over in self.markers.everywhere(message)}
        return frozenset({self.indicator}) if said == {True} else found


class Triage:
    def __init__(self, rules: Mapping[str, Any]):
        self._intents = {name: (spec["level"], spec["reason"]) for name, spec in (rules.get("intents") or {}).items()}
        self._indicators: dict[str, Indicator] = {}
        phrases: list[tuple[str, tuple[str, bool], bool]] = []
        for spec in rules["indicators"]:
            pattern = spec.get("regex") or spec.get("minor_age_regex") or spec.get("hours_regex")
            self._indicators[spec["id"]] = Indicator(spec["id"], spec["level"], spec["reason"],
                                                     re.compile(pattern) if pattern else None)
            phrases += [(p, (spec["id"], False), False) for p in spec.get("phrases") or ()]
            phrases += [(p, (spec["id"], False), True) for p in spec.get("phrases_accented_only") or ()]
            phrases += [(p, (spec["id"], True), False) for p in spec.get("exclude") or ()]
        self._phrases: PhraseIndex[tuple[str, bool]] = PhraseIndex(phrases)
        self._exploitation = frozenset(rules.get("exploitation") or ())
        self._past = Past.of(rules.get("past") or {})
        self._combinations = list(rules.get("combinations") or ())
        self.urgent = frozenset(rules.get("urgent") or ())
        self._answered = [(spec["sign"], frozenset(spec.get("unless_intents") or ()))
                          for spec in rules.get("answered") or ()]
        unknown = (self.urgent | {sign for sign, _ in self._answered}) - self._indicators.keys()
        if unknown:
            raise ValueError(f"unknown indicators in urgent/answered: {sorted(unknown)}")
        for level, _ in [*self._intents.values(), *((i.level, None) for i in self._indicators.values())]:
            level_rank(level)  # an unknown level fails when the rules load, not on a person's message

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
        found |= {i.id for i in self._indicators.values() if i.regex is not None and i.regex.search(view.folded)}
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
            if "all_of" in rule:
                holds = all(
                    bool(indicators & self._exploitation) if part == "any_exploitation" else part in indicators
                    for part in rule["all_of"]
                )
            else:
                floor = level_rank(rule.get("of_level", "medium"))
                ignored = set(rule.get("not_counting") or ())
                count = sum(1 for i in indicators if i in self._indicators and i not in ignored
                            and level_rank(self._indicators[i].level) >= floor)
                holds = count >= int(rule["count_at_least"])
            if holds:
                results.append((rule["level"], rule["reason"]))
        return results
