"""What a console password must be: long enough, not too long, and not one that attackers try first.

Length: at least 12 characters for every account (OWASP ASVS 4.0.3 2.1.1, level 1; it asks no less when a second
factor is enrolled, and the operator may not have enrolled yet when the password is set), 64 allowed and more than
128 refused (2.1.2); no composition rules (2.1.9); every character counts, spaces too (2.1.3, 2.1.4).
Common and breached passwords are refused (2.1.7), checked offline: the 30,000 most common passwords of the
leaked-password corpus that `zxcvbn` ships (its `passwords` frequency list, pinned with the package), and the
names of this service and of the account. Nothing goes over the network when a password is set.
`strength` is the console's meter (2.1.8): zxcvbn's guess-based score, 0 for a password that would be refused.
"""

from __future__ import annotations

import functools
import itertools
import unicodedata

PASSWORD_MIN = 12  # OWASP ASVS 4.0.3 2.1.1; no composition rules (2.1.9)
PASSWORD_MAX = 128  # ASVS 4.0.3 2.1.2: 64 characters allowed, more than 128 refused
SERVICE_WORDS = ("caunoi", "cau noi", "cầu nối", "caunoibot", "tongdaivien", "tổng đài viên", "operator",
                 "supervisor", "password", "matkhau", "mật khẩu")


@functools.lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The shipped list, loaded on first use (a few MB; the CLI's other commands never pay for it)."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


def _folded(text: str) -> str:
    return unicodedata.normalize("NFC", text).casefold()


def _stripped(text: str) -> str:
    """Without spaces, punctuation and a trailing run of digits: 'Password123!' and 'pass word' fold to the word."""
    letters = "".join(ch for ch in text if ch.isalnum())
    return letters.rstrip("0123456789") or letters


def _run(text: str) -> bool:
    """A keyboard-free run like '123456789012' or 'abcdefghijkl': each character one after the last (digits wrap)."""
    steps = {(ord(b) - ord(a)) % (10 if a.isdigit() and b.isdigit() else 0x110000) for a, b in itertools.pairwise(text)}
    return len(steps) == 1 and steps <= {1, 9, 0x110000 - 1}


def password_problem(password: str, username: str = "") -> str | None:
    """Why `password` may not be used (in English: the API and CLI answer in it; the console translates), or None."""
    if len(password) < PASSWORD_MIN:
        return f"the password must have at least {PASSWORD_MIN} characters"
    if len(password) > PASSWORD_MAX:
        return f"the password must have at most {PASSWORD_MAX} characters"
    folded = _folded(password)
    if (folded in common_passwords() or _stripped(folded) in common_passwords() or len(set(folded)) < 4
            or _run(folded)):
        return "the password is too common (it is on a list of leaked passwords): choose another"
    context = {_folded(word) for word in SERVICE_WORDS} | ({_folded(username)} if username else set())
    if _stripped(folded) in {_stripped(word) for word in context}:
        return "the password is only the account's or the service's name: choose another"
    return None


def strength(password: str, username: str = "") -> tuple[int, str | None]:
    """The meter's score, 0 (refused or guessed at once) to 4 (very hard to guess), from zxcvbn's estimate of the
    guesses needed, with the account's and the service's names as words an attacker would try first; and why the
    password would be refused, if it would (`password_problem`, checked once for both)."""
    problem = password_problem(password, username)
    if problem:
        return 0, problem
    from zxcvbn import zxcvbn

    score: int = zxcvbn(password, user_inputs=[username, *SERVICE_WORDS])["score"]
    return score, None
