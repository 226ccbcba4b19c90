"""`caunoi team` against a real Redis: add, assign, route, list, and clear refusals of what does not exist."""

from __future__ import annotations

import pytest

from tests.conftest import run_cli

PASSWORD = "mot-mat-khau-dai"


pytestmark = pytest.mark.usefixtures("cli_store")
run = run_cli  # `caunoi …` in this process


def test_add_assign_route_and_list(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(monkeypatch, "team", "list") == 0
    assert capsys.readouterr().out.startswith("no teams: every operator sees every conversation")
    assert run(monkeypatch, "operator", "add", "hoa", "--role", "operator", "--password-stdin",
               stdin=PASSWORD + "\n") == 0
    assert run(monkeypatch, "campaign", "create", "hyvong", "--name", "Hy Vọng") == 0
    capsys.readouterr()
    assert run(monkeypatch, "team", "add", "hanoi", "Trung tâm CTXH Hà Nội") == 0
    assert run(monkeypatch, "team", "add", "ngo", "Tổ chức Hy Vọng") == 0
    assert capsys.readouterr().out == "team hanoi added (Trung tâm CTXH Hà Nội)\nteam ngo added (Tổ chức Hy Vọng)\n"
    assert run(monkeypatch, "team", "assign", "hanoi", "Hoa") == 0
    assert run(monkeypatch, "team", "assign", "hanoi", "hoa") == 0
    assert capsys.readouterr().out == "hoa is now in team hanoi\nhoa was already in team hanoi\n"
    assert run(monkeypatch, "team", "route", "hanoi", "--province", "ha noi") == 0  # no diacritics: still Hà Nội
    assert run(monkeypatch, "team", "route", "ngo", "--service", "legal_aid") == 0
    assert run(monkeypatch, "team", "route", "ngo", "--campaign", "hyvong") == 0
    assert run(monkeypatch, "team", "route", "ngo", "--province", "Hà Nội") == 0
    assert capsys.readouterr().out.splitlines() == [
        "province Hà Nội -> team hanoi", "service legal_aid -> team ngo", "campaign hyvong -> team ngo",
        "province Hà Nội -> team ngo (was team hanoi)"]
    assert run(monkeypatch, "team", "list") == 0
    assert capsys.readouterr().out.splitlines() == [
        "hanoi\tTrung tâm CTXH Hà Nội\thoa", "ngo\tTổ chức Hy Vọng\t-",
        "rules (tried in this order; no match: for everyone):",
        "  campaign hyvong -> ngo", "  service legal_aid -> ngo", "  province Hà Nội -> ngo"]
    assert run(monkeypatch, "team", "unroute", "--province", "Hà Nội") == 0
    assert run(monkeypatch, "team", "unassign", "hanoi", "hoa") == 0
    assert capsys.readouterr().out.splitlines() == ["province Hà Nội: no longer routed (was team ngo)",
                                                    "hoa is now out of team hanoi"]
    assert run(monkeypatch, "team", "remove", "ngo") == 0
    assert run(monkeypatch, "team", "list") == 0
    assert capsys.readouterr().out.splitlines() == [
        "team ngo removed; its waiting conversations are for everyone now",
        "hanoi\tTrung tâm CTXH Hà Nội\t-", "no rules: nothing is routed"]


@pytest.mark.parametrize(("argv", "reason"), [
    (("team", "assign", "nowhere", "hoa"), "no team 'nowhere'"),
    (("team", "assign", "hanoi", "nobody"), "no account named 'nobody'"),
    (("team", "assign", "hanoi", "sach"), "sach is a directory_editor"),
    (("team", "route", "nowhere", "--province", "Hà Nội"), "no team 'nowhere'"),
    (("team", "route", "hanoi", "--province", "Hà Tây"), "'Hà Tây' is not one of the 34 current provinces; did "
                                                         "you mean 'Hà Nội'?"),
    (("team", "route", "hanoi", "--province", "Atlantis"), "'Atlantis' is not one of the 34 current provinces"),
    (("team", "route", "hanoi", "--service", "pizza"), "'pizza' is not a service type: one of shelter"),
    (("team", "route", "hanoi", "--campaign", "nope"), "no campaign with code 'nope'"),
    (("team", "unroute", "--campaign", "nope"), "no rule for campaign 'nope'"),
    (("team", "add", "Ha Noi", "x"), "a team id is 1-32 of a-z"),
    (("team", "add", "hanoi", "again"), "team 'hanoi' already exists"),
    (("team", "remove", "nowhere"), "no team 'nowhere'"),
])
def test_bad_input_is_refused_with_the_reason(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                                              argv: tuple[str, ...], reason: str) -> None:
    assert run(monkeypatch, "team", "add", "hanoi", "Hà Nội") == 0
    assert run(monkeypatch, "operator", "add", "sach", "--role", "directory_editor", "--password-stdin",
               stdin=PASSWORD + "\n") == 0
    capsys.readouterr()
    assert run(monkeypatch, *argv) == 2
    assert reason in capsys.readouterr().err


def test_route_needs_exactly_one_kind(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        run(monkeypatch, "team", "route", "hanoi", "--province", "Hà Nội", "--service", "shelter")
    assert "not allowed with argument" in capsys.readouterr().err
