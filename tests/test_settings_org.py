"""CAUNOI_ORG_NAME: who runs the deployment, read once with the other settings and listed in .env.example."""

from __future__ import annotations

import re

import pytest

from bot.settings import PROJECT_ROOT, SettingsError, from_environment


def test_unset_means_no_name() -> None:
    assert from_environment({}).org_name == ""
    assert from_environment({"CAUNOI_ORG_NAME": "   "}).org_name == ""


def test_a_name_is_kept_on_one_line() -> None:
    settings = from_environment({"CAUNOI_ORG_NAME": "  Trung tâm Công tác xã hội\n tỉnh An Giang "})
    assert settings.org_name == "Trung tâm Công tác xã hội tỉnh An Giang"


@pytest.mark.parametrize(("value", "message"), [
    ("x" * 121, "at most 120 characters"),
    ("Tổ chức {org}", "no braces"),
    ("Tổ chức\x00A", "no braces or control characters"),
])
def test_a_bad_name_stops_the_process_with_a_reason(value: str, message: str) -> None:
    with pytest.raises(SettingsError, match=f"CAUNOI_ORG_NAME must .*{message}"):
        from_environment({"CAUNOI_ORG_NAME": value})


def test_listed_in_env_example_with_its_meaning() -> None:
    text = (PROJECT_ROOT / ".env.example").read_text(encoding="utf-8")
    assert re.search(r"^CAUNOI_ORG_NAME=$", text, re.M)
    assert "never an invented organisation" in text
