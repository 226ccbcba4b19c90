"""The job-offer check's rules, from content/vi/dialogue.yml: what a first message already answers, and the verdict."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from actions.common import dialogue
from nlu import tables
from nlu.phrases import PhraseIndex, Syllables
from nlu.text import Table, fold, normalise

FLAG_SLOTS = {
    "recruited_online": "job_recruited_online",
    "too_good": "job_too_good",
    "fee_before": "job_fee_before",
    "tourist_visa": "job_tourist_visa",
    "passport_kept": "job_passport_kept",
}


@functools.lru_cache(maxsize=1)
def _matcher() -> tuple[PhraseIndex[str], Table, frozenset[str]]:
    rules = dialogue()["job_check"]
    entries = [(phrase, slot, False) for slot, phrases in rules["prefill"].items() for phrase in phrases]
    teencode = tables.teencode()
    negations = frozenset(fold(word) for word in rules["negations"])
    return PhraseIndex(entries), Table.build(teencode["words"], teencode["keep_doubles"]), negations


def prefill(text: str) -> dict[str, bool]:
    """Slots the text already answers: True when a phrase is there, False when "không"/"chưa" comes just before
    ("không đặt cọc", "không cần đặt cọc")."""
    index, table, negations = _matcher()
    message = Syllables.of(normalise(text, table))
    answers: dict[str, bool] = {}
    for start, _, slot in index.everywhere(message):
        negated = any(word in negations for word in message.folded[max(0, start - 2) : start])
        answers[slot] = answers.get(slot, False) or not negated
    return answers


def red_flags(slots: Mapping[str, Any]) -> list[str]:
    rules = dialogue()["job_check"]
    flags = ["scam_region"] if slots.get("job_country") in rules["scam_region"] else []
    flags += [flag for flag, slot in FLAG_SLOTS.items() if slots.get(slot) is True]
    if slots.get("job_licensed_contract") is False:
        flags.append("no_licensed_contract")
    return flags


def verdict(flags: list[str]) -> str:
    """"scam", "risky" or "legal"."""
    rules = dialogue()["job_check"]
    region_lure = "scam_region" in flags and ({"recruited_online", "too_good"} & set(flags))
    if set(rules["strong_flags"]) & set(flags) or region_lure or len(flags) >= int(rules["scam_at"]):
        return "scam"
    return "risky" if flags else "legal"
