"""Weighing a job-offer check (content/vi/dialogue.yml, `job_check`): which questions to ask for this kind of offer,
the red flags among the answers, and the verdict."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from actions.common import dialogue
from actions.job_check import UNKNOWN, YES
from bot.content.dialogue import FLAGS, NOTICED, QUESTIONS

# The questions, the signs noticed and the red flags are the vocabulary dialogue.yml is checked against
# (bot/content/dialogue.py); read from what the person writes, never asked: NOTICED.
JOB_SLOTS = [*QUESTIONS, *NOTICED]
VERDICTS = ("scam", "risky", "unclear", "no_sign")
ABROAD_ONLY = ("job_papers", "job_contract")


def scope(slots: Mapping[str, Any]) -> str:
    rules = dialogue().job_check
    if slots.get("job_kind") in ("marriage", "fishing"):
        return str(slots["job_kind"])
    return "domestic" if slots.get("job_country") == rules.domestic else "abroad"


def questions(slots: Mapping[str, Any], volunteered: Collection[str]) -> list[str]:
    """The questions still to ask, in order: those of this kind of offer not answered yet, as many as fit in
    `max_questions` once the ones already asked are counted (not what the person said without being asked)."""
    rules = dialogue().job_check
    order = list(rules.questions[scope(slots)])
    if slots.get("job_country") == rules.domestic:
        order = [slot for slot in order if slot not in ABROAD_ONLY]
    answered = [slot for slot in QUESTIONS if slots.get(slot) is not None and slot not in volunteered]
    room = max(rules.max_questions - len(answered), 0)
    return [slot for slot in order if slots.get(slot) is None][:room]


def red_flags(slots: Mapping[str, Any]) -> list[str]:
    rules = dialogue().job_check
    country = slots.get("job_country")
    found = {
        "scam_region": country in rules.scam_region,
        "thai_transit": country == rules.thailand or slots.get("job_transit") == YES,
        "recruited_online": slots.get("job_channel") in ("online", "acquaintance"),
        "too_good": slots.get("job_too_good") == YES,
        "fee_upfront": slots.get("job_fee") in ("upfront", "asked"),
        "tourist_visa": slots.get("job_papers") == YES,
        "passport_kept": slots.get("job_passport_kept") == YES,
        "no_licensed_contract": slots.get("job_contract") == "none" and scope(slots) in ("abroad", "fishing")
                                and country != rules.domestic,
        "contract_on_arrival": slots.get("job_contract") == "on_arrival",
        "marriage_broker": slots.get("job_kind") == "marriage",
        "kept_at_sea": slots.get("job_at_sea") == YES,
        "secrecy": slots.get("job_secrecy") == YES,
    }
    return [flag for flag in FLAGS if found[flag]]


def verdict(flags: list[str], unknown: int = 0) -> str:
    """"scam", "risky", "unclear" (no sign, but too much the person could not say) or "no_sign" (no warning sign
    among what was asked: never "this is legal")."""
    rules = dialogue().job_check
    region_lure = "scam_region" in flags and ({"recruited_online", "too_good"} & set(flags))
    if set(rules.strong_flags) & set(flags) or region_lure or len(flags) >= rules.scam_at:
        return "scam"
    if flags:
        return "risky"
    return "unclear" if unknown >= rules.unclear_at else "no_sign"


def unknowns(slots: Mapping[str, Any]) -> list[str]:
    """What the person could not say, as things to ask the recruiter."""
    labels = dialogue().job_check.unknown_labels
    return [labels[slot] for slot in QUESTIONS if slots.get(slot) == UNKNOWN]
