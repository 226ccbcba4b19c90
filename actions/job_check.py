"""Reading what a person writes during a job-offer check: the phrases of content/vi/dialogue.yml (`job_check`) found
anywhere in a message, and what an answer to one question means — whatever intent the NLU gave it."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from actions.common import content, dialogue
from nlu.gazetteer import Gazetteer
from nlu.phrases import PhraseIndex, Syllables
from nlu.text import Table, fold, normalise

YES, NO, UNKNOWN = "yes", "no", "unknown"
STOP = "stop"
# A stop is a short message that starts with "thôi"/"dừng": "thôi không hỏi nữa", not "thôi việc ở nhà máy rồi".
STOP_MAX_SYLLABLES = 5


@dataclass(frozen=True)
class Found:
    slot: str
    value: str
    rank: int  # the value's place in its slot's list: the first listed wins when several match


@dataclass(frozen=True)
class Tables:
    phrases: PhraseIndex[Found]
    answers: PhraseIndex[str]
    teencode: Table
    negations: frozenset[str]
    when_negated: Mapping[str, str]


@functools.lru_cache(maxsize=1)
def _tables() -> Tables:
    rules = dialogue().job_check
    phrases = [(phrase, Found(slot, value, rank), False)
               for slot, values in rules.phrases.items()
               for rank, (value, listed) in enumerate(values.items()) for phrase in listed]
    accented_only = set(rules.answers_accented_only)
    answers = [(phrase, kind, phrase in accented_only) for kind, listed in rules.answers.items() for phrase in listed]
    teencode = content().teencode
    return Tables(PhraseIndex(phrases), PhraseIndex(answers), Table.build(teencode.words, teencode.keep_doubles),
                  frozenset(fold(word) for word in rules.negations), rules.when_negated)


def _syllables(text: str) -> Syllables:
    return Syllables.of(normalise(text, _tables().teencode))


def found_in(text: str) -> dict[str, str]:
    """Every slot the text answers, wherever it says so: "qua facebook" anywhere is the channel. A negation just
    before a phrase ("không cần đặt cọc") turns a yes into no, and some values into their opposite."""
    found = _tables()
    message = _syllables(text)
    best: dict[str, tuple[int, bool, str]] = {}
    for start, _, item in found.phrases.everywhere(message):
        value = item.value
        if any(word in found.negations for word in message.folded[max(0, start - 2): start]):
            if value == YES:
                value = NO
            elif item.slot in found.when_negated:
                value = found.when_negated[item.slot]
            else:
                continue
        # The first listed value wins; between yes and no, a warning sign said anywhere wins.
        key = (item.rank, value != YES, value)
        if item.slot not in best or key < best[item.slot]:
            best[item.slot] = key
    return {slot: key[2] for slot, key in best.items()}


def _opening(message: Syllables) -> str | None:
    """What the message is as a whole answer, from how it starts: stop, unknown, yes or no (longest phrase wins)."""
    if not message.folded:
        return None
    return next((kind for _, kind in _tables().answers.at(message, 0)), None)


def is_stop(text: str) -> bool:
    message = _syllables(text)
    return len(message.folded) <= STOP_MAX_SYLLABLES and _opening(message) == STOP


def _says_unknown(message: Syllables) -> bool:
    return any(kind == UNKNOWN for _, _, kind in _tables().answers.everywhere(message))


def place(entities: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """The place of the job from the NLU's entities: a country (Thailand named beside another one is the route, not
    the place), or any province of Vietnam."""
    rules = dialogue().job_check
    countries = [str(e["value"]) for e in entities if e.get("entity") == "country" and e.get("value")]
    provinces = [e for e in entities if e.get("entity") == "province"]
    if countries:
        beyond = [country for country in countries if country != rules.thailand]
        if beyond and len(beyond) < len(countries):
            return {"job_country": beyond[0], "job_transit": YES}
        return {"job_country": countries[0]}
    return {"job_country": rules.domestic} if provinces else {}


@functools.lru_cache(maxsize=1)
def _gazetteer() -> Gazetteer:
    return Gazetteer(content().gazetteer)


def picture_entities(text: str) -> list[dict[str, Any]]:
    """The places the NLU would find in words read from a picture, which reach the actions without the NLU (the
    gateway sends them in the metadata, bot/gateway/attachments.py): the same gazetteer, on the same view."""
    view = normalise(text, _tables().teencode)
    return [{"entity": item.entity, "value": item.value, "start": item.start, "end": item.end}
            for item in _gazetteer().find(view) if item.entity in ("country", "province")]


def prefill(text: str, entities: Iterable[Mapping[str, Any]] = ()) -> dict[str, str]:
    """What a first message already answers, so that it is never asked."""
    return {**found_in(text), **place(entities)}


def answer(slot: str, text: str, intent: str, entities: Iterable[Mapping[str, Any]] = ()) -> dict[str, str]:
    """The asked slot's value from an answer in the person's own words, and whatever else the answer says.

    The asked slot always gets a value: what was said, else a plain yes/no where the question is a yes/no one, else
    "unknown" — free text that answers nothing is recorded as unknown and the check moves on.
    """
    rules = dialogue().job_check
    message = _syllables(text)
    values = {**found_in(text), **place(entities)}
    if slot in values:
        return values
    opening = _opening(message)
    if opening not in (YES, NO) and intent in ("affirm", "deny"):
        opening = YES if intent == "affirm" else NO  # a button payload ("/affirm") or a yes the table lacks
    if opening in (YES, NO) and slot not in rules.open_questions and not _says_unknown(message):
        values[slot] = rules.yes_no.get(slot, {}).get(opening, opening)
    else:
        values[slot] = UNKNOWN
    return values
