"""Abroad first: every text that gives a domestic short code (111, 113, 115 …) also gives the consular line.

The short codes are Vietnamese and cannot be dialled from abroad (vn-facts §1), and the people writing may be locked
in a compound in Cambodia. The consular line is what the directory holds as a verified `embassy` entry for every
country (directory/abroad.yml: Bảo hộ công dân, Bộ Ngoại giao, 24/7), so the check follows the directory rather
than a number written here. A text known to be read only in Vietnam may give a short code alone: each one is listed
in `DOMESTIC_ONLY` with the reason, and an entry that no longer matches any text is itself a problem (a renamed text
must not keep an exemption it was never given).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import MappingProxyType

from bot.content.directory import Directory
from bot.content.models import Problem
from bot.content.phones import SHORT_CODES, canonical, phones_in

# (file relative to the content folder, text path as `caunoi content check` names it; "" = the whole file) -> why
# the text is only ever read by someone in Vietnam.
DOMESTIC_ONLY: Mapping[tuple[str, str], str] = MappingProxyType({
    ("responses/escalation.yml", "responses.utter_safety_vietnam"):
        "sent only when the conversation places the person in Vietnam (actions/escalate.py picks "
        "utter_safety_abroad or utter_safety_unknown otherwise)",
    **{("responses/safety.yml", f"responses.{name}"):
       "sent only when the conversation places the person in Vietnam (actions/escalate.py and safety_answer.py "
       "pick the _abroad or _unknown variant otherwise)"
       for name in ("utter_safety_medical_vietnam", "utter_safety_minor_vietnam", "utter_safety_labour_vietnam",
                    "utter_safety_police_fear_vietnam", "utter_police_fear_vietnam")},
    ("articles/danger-in-vietnam.md", ""):
        "the guide for someone in danger in Vietnam (its title says so); danger-abroad.md is the guide abroad",
    ("dialogue.yml", "outreach.poster.emergency"):
        "printed on the outreach poster, which is put up in Vietnam (schools, communes)",
    ("articles/check-agency.md", ""): "checking a labour-export agency before departure (vn-facts §7: 111 for advice)",
    ("articles/legal-fees.md", ""): "labour-export fees paid in Vietnam before departure (vn-facts §3, §7)",
    ("articles/fake-job-signs.md", ""): "an offer checked before departure (vn-facts §7)",
    ("articles/safe-migration.md", "section lead"): "preparing to go abroad, read before departure (vn-facts §7)",
    ("articles/victim-rights.md", "section nguoi-nuoc-ngoai"):
        "support for foreign victims who are in Vietnam (Law 53/2024 Art. 37(4)); Vietnamese abroad read the others",
    ("responses/job_offer.yml", "responses.utter_job_next_steps_domestic"):
        "the job-offer check's next steps for work inside Vietnam (actions/job_verdict.py picks it only for a "
        "domestic offer, read before leaving); every other scope's next steps carry the consular line",
})

# Parts of an article that never give a number to call: a source's title names a news story ("Số điện thoại 111
# thêm chức năng…"), and the summary is for the people who keep the content (no answer shows it).
NOT_DIALLED = frozenset({"summary", "source title"})

# Texts only operators read: a canned reply's id and title are its button on the console (the text goes to people).
OPERATOR_ONLY: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("canned_replies.yml", re.compile(r"replies\[\d+\]\.(?:id|title)")),
)


def consular_phones(directory: Directory) -> frozenset[str]:
    """The canonical numbers of the lines that serve Vietnamese citizens in every country."""
    return frozenset(canonical(phone) for entry in directory.verified()
                     if entry.type == "embassy" and entry.country is None and entry.province is None
                     for phone in entry.phones)


def _exempt(relative: str, where: str) -> tuple[str, str] | None:
    for file, prefix in DOMESTIC_ONLY:
        if file == relative and (not prefix or where == prefix or where.startswith((prefix + ".", prefix + "["))):
            return file, prefix
    return None


def abroad_problems(texts: Iterable[tuple[Path, str, str]], directory: Directory,
                    content_dir: Path) -> list[Problem]:
    """Every text (path, where, text) that gives a domestic short code without the consular line.

    An article's sections are shown one at a time, so each section must carry its own numbers; its title, summary
    and buttons are checked together as one unit.
    """
    consular = consular_phones(directory)
    if not consular:
        return [Problem(content_dir / "directory", "no verified consular line (a verified embassy entry with no "
                                                   "country): people abroad would have no number that works")]
    units: dict[tuple[Path, str], list[str]] = {}
    for path, where, text in texts:
        if path.suffix == ".md" and where in NOT_DIALLED:
            continue
        unit = where if path.suffix != ".md" or where.startswith("section") else ""
        units.setdefault((path, unit), []).append(text)
    problems: list[Problem] = []
    used: set[tuple[str, str]] = set()
    for (path, where), parts in units.items():
        numbers = {canonical(phone) for text in parts for phone in phones_in(text)}
        domestic = sorted(numbers & SHORT_CODES)
        if not domestic or numbers & consular:
            continue
        relative = path.relative_to(content_dir).as_posix() if path.is_relative_to(content_dir) else path.name
        if any(file == relative and pattern.fullmatch(where) for file, pattern in OPERATOR_ONLY):
            continue
        exemption = _exempt(relative, where)
        if exemption is not None:
            used.add(exemption)
            continue
        problems.append(Problem(path, f"{where or 'the article'}: gives {', '.join(domestic)} without the consular "
                                      "line (Bảo hộ công dân +84 981 84 84 84): short codes cannot be dialled from "
                                      "abroad; add the line, or list the text in bot/content/abroad.py "
                                      "DOMESTIC_ONLY with why only people in Vietnam read it"))
    problems += [Problem(content_dir / file, f"{prefix or 'the article'}: listed in DOMESTIC_ONLY (bot/content/"
                                             "abroad.py) but gives no short code without the consular line: remove "
                                             "the exemption")
                 for file, prefix in DOMESTIC_ONLY if (file, prefix) not in used]
    return problems
