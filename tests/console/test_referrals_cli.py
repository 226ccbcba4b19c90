"""`caunoi org add|list` and `caunoi partner add` against a real Redis: an organisation linked to directory entries,
and a partner account that belongs to it (off duty, never among the operators)."""

from __future__ import annotations

import pytest
import redis

from bot.state import keys
from tests.conftest import run_cli

PASSWORD = "mot-mat-khau-dai"
ENTRY = "tro-giup-phap-ly-1800-1233"  # a seed entry of content/vi/directory/national.yml


pytestmark = pytest.mark.usefixtures("cli_store")
run = run_cli  # `caunoi …` in this process


def test_an_organisation_is_added_with_its_entries_and_listed(monkeypatch: pytest.MonkeyPatch,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    assert run(monkeypatch, "org", "add", "tgpl", "Trợ giúp pháp lý", "--entry", ENTRY) == 0
    assert capsys.readouterr().out == "organisation tgpl added (1 directory entry)\n"
    assert run(monkeypatch, "org", "list") == 0
    assert capsys.readouterr().out == f"tgpl\tTrợ giúp pháp lý\t{ENTRY}\n"
    # An unknown entry, a bad id, an entry another organisation holds: refused with the reason.
    assert run(monkeypatch, "org", "add", "khac", "Khác", "--entry", "khong-co-entry-nay") == 1
    assert "not in the directory: khong-co-entry-nay" in capsys.readouterr().err
    assert run(monkeypatch, "org", "add", "X Y", "Khác") == 1
    assert "organisation id" in capsys.readouterr().err
    assert run(monkeypatch, "org", "add", "khac", "Khác", "--entry", ENTRY) == 1
    assert f"already linked to another organisation: {ENTRY} (tgpl)" in capsys.readouterr().err


def test_a_partner_account_belongs_to_an_existing_organisation(monkeypatch: pytest.MonkeyPatch,
                                                               capsys: pytest.CaptureFixture[str],
                                                               redis_url: str) -> None:
    assert run(monkeypatch, "partner", "add", "tgpl", "lan", "--password-stdin", stdin=PASSWORD + "\n") == 1
    assert "no organisation 'tgpl'" in capsys.readouterr().err
    assert run(monkeypatch, "org", "add", "tgpl", "Trợ giúp pháp lý", "--entry", ENTRY) == 0
    assert run(monkeypatch, "partner", "add", "tgpl", "lan", "--password-stdin", stdin=PASSWORD + "\n") == 0
    out, err = capsys.readouterr()
    assert out.endswith("partner lan added to tgpl (Trợ giúp pháp lý)\n") and PASSWORD not in out + err
    stored = redis.Redis.from_url(redis_url, decode_responses=True).hgetall(keys.operator("lan"))
    assert stored["role"] == "partner" and stored["org"] == "tgpl"
    assert run(monkeypatch, "operator", "list") == 0
    assert capsys.readouterr().out.splitlines()[-1].startswith("lan\tpartner (tgpl)\t-\tactive")
    # A partner is not made with `caunoi operator add` (it would have no organisation).
    with pytest.raises(SystemExit):
        run(monkeypatch, "operator", "add", "mai", "--role", "partner", "--password-stdin", stdin=PASSWORD + "\n")
