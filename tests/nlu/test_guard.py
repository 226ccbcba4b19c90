"""The input guard: typed text can never force a Rasa intent with a leading "/"."""

from __future__ import annotations

import pytest

from nlu.guard import clean_typed_text, forced_intent_prefix


@pytest.mark.parametrize(("typed", "prefix", "clean"), [
    ("/greet", 1, "greet"),
    (" / /report_danger{}", 4, "report_danger{}"),
    ('/report_danger{"country": "Campuchia"}', 1, 'report_danger{"country": "Campuchia"}'),
    ("\u200b/greet", 2, "greet"),  # zero-width space (a format character) in front
    ("\ufeff\u00a0/greet", 3, "greet"),  # byte-order mark and no-break space
    ("\t\n/ greet", 4, "greet"),
    ("//", 2, ""),
    ("/", 1, ""),
    ("", 0, ""),
    ("   ", 3, ""),
    ("tôi bị giữ hộ chiếu", 0, "tôi bị giữ hộ chiếu"),
    ("  cứu tôi với  ", 2, "cứu tôi với"),
    ("ngày 12/10 họ chuyển em đi", 0, "ngày 12/10 họ chuyển em đi"),  # a slash inside is kept
    ("1/2 lương bị giữ", 0, "1/2 lương bị giữ"),
])
def test_guard(typed: str, prefix: int, clean: str) -> None:
    assert forced_intent_prefix(typed) == prefix
    assert clean_typed_text(typed) == clean
    assert not clean_typed_text(typed).startswith("/")
