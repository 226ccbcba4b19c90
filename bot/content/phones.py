"""Phone numbers: which formats are valid in Vietnam, one canonical form to compare them, and finding them in text.

"+84 981 84 84 84", "0981.84.84.84" and "0981848484" are the same line; the check compares canonical forms so a text
can only show a number that a verified directory entry holds, however it is spaced.
"""

from __future__ import annotations

import re

# Emergency short codes: 111 trafficking/child line, 113 police, 114 fire, 115 ambulance.
SHORT_CODES = frozenset({"111", "113", "114", "115"})
# Numbers vn-facts §1 lists as "do not publish": the old child line replaced by 111 in 2017 and two 2016 provincial
# lines. A wrong number sends a victim nowhere, so they are refused wherever they appear.
OUTDATED = frozenset({"18001567", "18001282", "18008077"})

_ALLOWED = re.compile(r"\+?[\d .\-]+")
_TOLL = re.compile(r"1[89]00\d{4}(?:\d{2})?")  # 1800 free / 1900 charged lines: 8 or 10 digits
_DOMESTIC = re.compile(r"0(?:2\d{9}|[35789]\d{8})")  # landlines are 11 digits since 2017 (02x), mobiles 10
# The police's own network (069 …, 10 digits) kept its numbers in 2017; sources from 2025 still publish them.
_POLICE = re.compile(r"069\d{7}")
_OLD_LANDLINE = re.compile(r"0[2-8]\d{8}")  # 10-digit landlines from before the 2017 area-code change, e.g. 04 …
_INTERNATIONAL = re.compile(r"\+[1-9]\d{6,14}")  # E.164

_SEP = r"[ .\-]?"
# What a person would read as a phone number: anything starting with +, a 0 followed by 8–10 digits, a 1800/1900
# line or an emergency short code — possibly spaced with spaces, dots or dashes. Glued to a word or to more digits
# (ids, dates, amounts such as 16.700.000) it is not one.
PHONE_LIKE = re.compile(
    rf"(?<![\w+.,/-])(\+\d(?:{_SEP}\d){{6,14}}|0(?:{_SEP}\d){{8,10}}|1[89]00(?:{_SEP}\d){{4,6}}|11[1-9])"
    r"(?![\w/]|[.,\-]\d)"
)
_SHORT_PAIR = re.compile(r"\b(11\d)/(?=11\d\b)")
_URL = re.compile(r"https?://\S+|\b[\w.-]+\.(?:vn|com|org|net|tpo|htm|html|vnp)\S*", re.IGNORECASE)


def canonical(raw: str) -> str:
    """One form per line: +84 becomes the domestic 0, other countries keep their +, separators go."""
    digits = re.sub(r"\D", "", raw)
    if raw.strip().startswith("+"):
        return "0" + digits[2:] if digits.startswith("84") else "+" + digits
    return digits


def phone_problem(raw: str, abroad: bool = False) -> str | None:
    """Why `raw` is not a number to publish (None when it is). `abroad`: the entry is outside Vietnam."""
    if not _ALLOWED.fullmatch(raw.strip()):
        return f"phone {raw!r} has characters other than digits, spaces, dots, dashes and a leading +"
    number = canonical(raw)
    if number in OUTDATED:
        return f"phone {raw!r} is an out-of-date number (replaced or closed; vn-facts: do not publish)"
    if number in SHORT_CODES or _TOLL.fullmatch(number) or _DOMESTIC.fullmatch(number) or _POLICE.fullmatch(number):
        return None
    if _OLD_LANDLINE.fullmatch(number):
        return f"phone {raw!r} uses a pre-2017 area code (landlines have 11 digits since 2017)"
    if number.startswith("+"):
        if not _INTERNATIONAL.fullmatch(number):
            return f"phone {raw!r} is not a valid international number"
        if not abroad:
            return f"phone {raw!r} is a foreign number, allowed only for entries abroad (with a country)"
        return None
    return f"phone {raw!r} is not a Vietnamese number (111/113/114/115, 1800/1900 …, 0… or +84 …)"


def phones_in(text: str) -> list[str]:
    """The phone-number-like strings of a text a person may be shown (web addresses left out: they hold digits)."""
    cleaned = _URL.sub(" ", text)
    cleaned = re.sub(r"[\s()]+", " ", cleaned)  # "(024) 3824 9517", non-breaking spaces, line breaks
    cleaned = _SHORT_PAIR.sub(r"\1 ", cleaned)  # "111/113" is two numbers; "113/2024" (a decree) is none
    return [match.group(1) for match in PHONE_LIKE.finditer(cleaned)]
