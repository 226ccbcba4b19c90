"""`content/<language>/dialogue.yml` as a typed `Dialogue`: labels the actions fill in, the job-offer check's rules,
the operator summary, what outreach prints, the phrases that withdraw from the queue and the safety texts by sign.

Every part a consumer reads must be there with the right shape: a missing key, a list where a text belongs, a
{placeholder} the code does not fill (or a text that lacks the one it must show), a question or red flag the
job-offer check does not know — each is a problem, so `caunoi content check` fails before a person meets it.
References to other files (triage signs, articles) are checked by `dialogue_problems`; response names by the check.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import fields
from pathlib import Path
from string import Formatter
from types import MappingProxyType
from typing import Any

import yaml

from bot.content.models import (
    Article,
    ArticleLabels,
    DeletedLabels,
    Dialogue,
    EntryLines,
    JobCheck,
    Outreach,
    Poster,
    SafetyRule,
    SignAnswer,
    SummaryTexts,
)
from nlu.tables import TriageRules, parse_yaml

# The job-offer check's vocabulary, which dialogue.yml names and actions/job_rules.py weighs: the questions asked, in
# the order the domain's slots hold them; what is noticed in what people write but never asked; the kinds of offer;
# the red flags; the kinds of whole answer.
QUESTIONS = ("job_country", "job_channel", "job_fee", "job_papers", "job_passport_kept", "job_contract", "job_secrecy",
             "job_at_sea")
NOTICED = ("job_kind", "job_too_good", "job_transit")
SCOPES = ("abroad", "domestic", "marriage", "fishing")
FLAGS = ("scam_region", "thai_transit", "recruited_online", "too_good", "fee_upfront", "tourist_visa",
         "passport_kept", "no_licensed_contract", "contract_on_arrival", "marriage_broker", "kept_at_sea", "secrecy")
ANSWERS = ("stop", "unknown", "no", "yes")
# A safety response has one variant per place (content/vi/responses/safety.yml).
PLACES = ("vietnam", "abroad", "unknown")

# The {placeholders} each formatted text is filled with; a text must show each of them and use no other.
PLACEHOLDERS: Mapping[str, tuple[str, ...]] = MappingProxyType({
    "entry_lines.phone": ("phone",), "entry_lines.hours": ("hours",), "entry_lines.address": ("address",),
    "entry_lines.website": ("website",), "entry_lines.distance": ("km",),
    "entry_lines.where_province": ("province",), "articles.more": ("title",), "outreach.verification": ("bot",),
    "outreach.zalo": ("code",), "outreach.poster.scan": ("bot",), "deleted.messages": ("count",),
    "summary.where_abroad": ("country",), "summary.where_province": ("province",), "summary.signs": ("reasons",),
    "summary.turns": ("count", "channel"),
})


def placed(response: str, where: str) -> str:
    """The variant of a response for where the person is (actions' whereabouts): `_abroad`, `_vietnam` or
    `_unknown`."""
    return f"{response}_{where if where in ('abroad', 'vietnam') else 'unknown'}"


def _placeholder_problem(text: str, wanted: tuple[str, ...]) -> str | None:
    try:
        used = {name for _, name, _, _ in Formatter().parse(text) if name is not None}
    except ValueError as error:
        return f"is not a text with {{placeholders}} ({error}; write a brace that is shown as {{{{ or }}}})"
    unknown = sorted(used - set(wanted))
    if unknown:
        allowed = ", ".join(f"{{{name}}}" for name in wanted) or "none"
        return f"uses {{{unknown[0]}}}, which nothing fills in (it may use {allowed})"
    missing = [name for name in wanted if name not in used]
    return f"must contain {{{missing[0]}}}" if missing else None


class _Reader:
    """Typed fields of dialogue.yml, each problem noted as a sentence that names where it is."""

    def __init__(self) -> None:
        self.reasons: list[str] = []

    def problem(self, where: str, message: str) -> None:
        self.reasons.append(f"{where}: {message}" if where else message)

    def mapping(self, raw: Any, where: str) -> dict[str, Any]:
        if not isinstance(raw, dict):
            self.problem(where, "missing (a mapping)" if raw is None else "must be a mapping")
            return {}
        return raw

    def text(self, raw: Mapping[str, Any], key: str, where: str) -> str:
        name = f"{where}.{key}" if where else key
        value = raw.get(key)
        if not (isinstance(value, str) and value.strip()):
            self.problem(name, "missing (a text)" if value is None else "must be a non-empty text")
            return ""
        if name in PLACEHOLDERS:
            wrong = _placeholder_problem(value, PLACEHOLDERS[name])
            if wrong:
                self.problem(name, wrong)
        return value.strip()

    def texts(self, kind: type, raw: Any, where: str, elsewhere: Collection[str] = ()) -> dict[str, str]:
        """A section of texts, one per field of the dataclass `kind` (but those read `elsewhere`); a key nothing
        reads is a problem."""
        section = self.mapping(raw, where)
        names = [item.name for item in fields(kind)]
        for key in section:
            if key not in names:
                self.problem(f"{where}.{key}", "is not a text anything reads (misspelt?)")
        return {name: self.text(section, name, where) for name in names if name not in elsewhere}

    def words(self, raw: Mapping[str, Any], key: str, where: str, known: Collection[str] | None = None,
              empty: bool = False) -> tuple[str, ...]:
        name = f"{where}.{key}" if where else key
        value = raw.get(key)
        if not (isinstance(value, list) and all(isinstance(item, str) and item.strip() for item in value)):
            self.problem(name, "missing (a list of texts)" if value is None else "must be a list of texts")
            return ()
        if not value and not empty:
            self.problem(name, "must not be empty")
        if known is not None:
            for item in value:
                if item not in known:
                    self.problem(name, f"{item!r} is not one of {', '.join(known)}")
        return tuple(value)

    def number(self, raw: Mapping[str, Any], key: str, where: str, kind: type[int] | type[float],
               low: float, high: float) -> Any:
        value = raw.get(key)
        if isinstance(value, bool) or not isinstance(value, (int, float) if kind is float else int) \
                or not low <= value <= high:
            self.problem(f"{where}.{key}", f"must be a number from {low:g} to {high:g}")
            return kind(low)
        return kind(value)

    def labels(self, raw: Any, where: str, known: Collection[str] | None = None,
               every: Collection[str] = ()) -> Mapping[str, str]:
        """A mapping of name: text (names among `known`, if given; every name of `every` present)."""
        section = self.mapping(raw, where)
        result = {str(name): self.text(section, name, where) for name in section}
        if known is not None:
            for name in section:
                if name not in known:
                    self.problem(f"{where}.{name}", f"is not one of {', '.join(known)}")
        for name in every:
            if name not in section:
                self.problem(f"{where}.{name}", "missing (a text)")
        return MappingProxyType(result)


def _job_check(raw: Any, read: _Reader) -> JobCheck:
    where = "job_check"
    section = read.mapping(raw, where)
    slots = (*QUESTIONS, *NOTICED)
    questions = read.mapping(section.get("questions"), f"{where}.questions")
    for scope in SCOPES:
        if scope not in questions:
            read.problem(f"{where}.questions.{scope}", "missing (the questions for this kind of offer)")
    for scope in questions:
        if scope not in SCOPES:
            read.problem(f"{where}.questions.{scope}", f"is not a kind of offer ({', '.join(SCOPES)})")
    phrases: dict[str, Mapping[str, tuple[str, ...]]] = {}
    for slot, values in read.mapping(section.get("phrases"), f"{where}.phrases").items():
        if slot not in slots:
            read.problem(f"{where}.phrases.{slot}", f"is not a question or sign of the check ({', '.join(slots)})")
        values = read.mapping(values, f"{where}.phrases.{slot}")
        for value in values:
            if not isinstance(value, str):  # unquoted yes/no: YAML reads them as true/false
                read.problem(f"{where}.phrases.{slot}", f"value {value!r} must be a text (quote \"yes\" and \"no\")")
        phrases[str(slot)] = MappingProxyType({str(value): read.words(values, value, f"{where}.phrases.{slot}")
                                               for value in values})
    answers = read.mapping(section.get("answers"), f"{where}.answers")
    for kind in answers:
        if kind not in ANSWERS:
            read.problem(f"{where}.answers.{kind}", f"is not a kind of answer ({', '.join(ANSWERS)}; quote them)")
    # In the file's order: a phrase listed under two kinds is taken as the first.
    answered = {str(kind): read.words(answers, kind, f"{where}.answers")
                for kind in dict.fromkeys((*answers, *ANSWERS))}
    accented_only = read.words(section, "answers_accented_only", where, empty=True)
    for phrase in accented_only:
        if not any(phrase in listed for listed in answered.values()):
            read.problem(f"{where}.answers_accented_only", f"{phrase!r} is not an answer listed in answers")
    yes_no: dict[str, Mapping[str, str]] = {}
    for slot, meaning in read.mapping(section.get("yes_no"), f"{where}.yes_no").items():
        if slot not in QUESTIONS:
            read.problem(f"{where}.yes_no.{slot}", f"is not a question ({', '.join(QUESTIONS)})")
        yes_no[str(slot)] = read.labels(meaning, f"{where}.yes_no.{slot}", known=("yes", "no"), every=("yes", "no"))
    return JobCheck(
        scam_region=read.words(section, "scam_region", where), korea=read.text(section, "korea", where),
        thailand=read.text(section, "thailand", where), domestic=read.text(section, "domestic", where),
        questions=MappingProxyType({str(scope): read.words(questions, scope, f"{where}.questions", QUESTIONS)
                                    for scope in questions}),
        max_questions=read.number(section, "max_questions", where, int, 1, len(QUESTIONS)),
        phrases=MappingProxyType(phrases),
        when_negated=read.labels(section.get("when_negated"), f"{where}.when_negated", known=slots),
        negations=read.words(section, "negations", where), answers=MappingProxyType(answered),
        answers_accented_only=accented_only, yes_no=MappingProxyType(yes_no),
        open_questions=read.words(section, "open_questions", where, QUESTIONS, empty=True),
        interrupt_intents=read.words(section, "interrupt_intents", where),
        interrupt_confidence=read.number(section, "interrupt_confidence", where, float, 0.0, 1.0),
        offer_terms=read.words(section, "offer_terms", where, empty=True),
        strong_flags=read.words(section, "strong_flags", where, FLAGS),
        scam_at=read.number(section, "scam_at", where, int, 1, len(FLAGS)),
        unclear_at=read.number(section, "unclear_at", where, int, 1, len(QUESTIONS)),
        unknown_labels=read.labels(section.get("unknown_labels"), f"{where}.unknown_labels", known=QUESTIONS,
                                   every=QUESTIONS),
    )


def _safety_rules(raw: Any, read: _Reader) -> tuple[SafetyRule, ...]:
    if not isinstance(raw, list):
        read.problem("safety_for_sign", "must be a list of {signs: [...], response: ...}")
        return ()
    rules: list[SafetyRule] = []
    for number, item in enumerate(raw, start=1):
        where = f"safety_for_sign {number}"
        rule = read.mapping(item, where)
        for key in rule:
            if key not in ("signs", "response", "over_report"):
                read.problem(where, f"{key} is not signs, response or over_report")
        if not isinstance(rule.get("over_report", False), bool):
            read.problem(where, "over_report must be true or false")
        rules.append(SafetyRule(read.words(rule, "signs", where), read.text(rule, "response", where),
                                rule.get("over_report") is True))
    return tuple(rules)


def _sign_answers(raw: Any, read: _Reader) -> Mapping[str, SignAnswer]:
    answers: dict[str, SignAnswer] = {}
    for sign, item in read.mapping(raw, "answer_for_sign").items():
        where = f"answer_for_sign.{sign}"
        answer = read.mapping(item, where)
        if sorted(answer) not in (["response"], ["article"]):
            read.problem(where, "must hold either response: or article:")
            continue
        key = next(iter(answer))
        answers[str(sign)] = SignAnswer(**{key: read.text(answer, key, where)})
    return MappingProxyType(answers)


def parse_dialogue(path: Path) -> tuple[Dialogue | None, list[str]]:
    """The typed dialogue and every problem in it (None when there is any: each part is read by running code)."""
    try:
        raw = parse_yaml(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        return None, [f"cannot read: {error}"]
    read = _Reader()
    document = read.mapping(raw, "")
    known = {item.name for item in fields(Dialogue)}
    for key in document:
        if key not in known:
            read.problem(str(key), "is not a part of the dialogue anything reads (misspelt?)")
    outreach = read.mapping(document.get("outreach"), "outreach")
    dialogue = Dialogue(
        entry_lines=EntryLines(**read.texts(EntryLines, document.get("entry_lines"), "entry_lines")),
        article_for_intent=read.labels(document.get("article_for_intent"), "article_for_intent"),
        articles=ArticleLabels(**read.texts(ArticleLabels, document.get("articles"), "articles")),
        outreach=Outreach(verification=read.text(outreach, "verification", "outreach"),
                          zalo=read.text(outreach, "zalo", "outreach"),
                          poster=Poster(**read.texts(Poster, outreach.get("poster"), "outreach.poster"))),
        deleted=DeletedLabels(**read.texts(DeletedLabels, document.get("deleted"), "deleted")),
        summary=SummaryTexts(**read.texts(SummaryTexts, document.get("summary"), "summary", elsewhere=("intents",)),
                             intents=read.labels(read.mapping(document.get("summary"), "summary").get("intents"),
                                                 "summary.intents")),
        job_check=_job_check(document.get("job_check"), read),
        withdraw=read.words(document, "withdraw", ""),
        safety_for_sign=_safety_rules(document.get("safety_for_sign"), read),
        answer_for_sign=_sign_answers(document.get("answer_for_sign"), read),
    )
    for key in outreach:
        if key not in ("verification", "zalo", "poster"):
            read.problem(f"outreach.{key}", "is not a text anything reads (misspelt?)")
    return (None, read.reasons) if read.reasons else (dialogue, [])


def dialogue_problems(dialogue: Dialogue, triage: TriageRules, articles: Mapping[str, Article]) -> list[str]:
    """What dialogue.yml names in other files: the triage signs it answers and the articles it leads to. Every
    sign the escalation policy answers on its own (triage `answered`) needs its answer here."""
    signs = {indicator.id for indicator in triage.indicators}
    reasons = [f"safety_for_sign {number}: {sign!r} is not a sign of triage/indicators.yml"
               for number, rule in enumerate(dialogue.safety_for_sign, start=1) for sign in rule.signs
               if sign not in signs]
    reasons += [f"answer_for_sign.{sign}: not a sign of triage/indicators.yml" for sign in dialogue.answer_for_sign
                if sign not in signs]
    reasons += [f"answer_for_sign: lacks {answered.sign}, which triage/indicators.yml `answered` answers on its own"
                for answered in triage.answered if answered.sign not in dialogue.answer_for_sign]
    reasons += [f"job_check.offer_terms: {sign!r} is not a sign of triage/indicators.yml"
                for sign in dialogue.job_check.offer_terms if sign not in signs]
    mapped = [(f"article_for_intent.{intent}", slug) for intent, slug in dialogue.article_for_intent.items()]
    mapped += [(f"answer_for_sign.{sign}", answer.article) for sign, answer in dialogue.answer_for_sign.items()
               if answer.article]
    reasons += [f"{where}: no article {slug!r}" for where, slug in mapped if slug not in articles]
    return reasons
