"""The console's directory API (bot/console/directory.py) for every role: editors and supervisors add, edit, verify and
re-check entries; operators read and search; a directory editor sees no conversation; anonymous callers get nothing.
Every change is audited with the fields before and after; a confidential address reaches editors only."""

from __future__ import annotations

import json
import time
from datetime import date, timedelta
from typing import Any

import pytest

from bot.console.clock import vietnam_day
from bot.state.queue import Case
from tests.console.harness import Console

ENTRY = {"id": "tgpl-quang-ninh", "name": "Trung tâm Trợ giúp pháp lý nhà nước tỉnh Quảng Ninh", "type": "legal_aid",
         "province": "Quảng Ninh", "phone": "0203 3 835 000", "address": "Số 1 đường Thử, Hạ Long"}
SHELTER = {"id": "nha-tam-lanh-thu", "name": "Nhà tạm lánh Thử", "type": "shelter", "province": "Quảng Ninh",
           "phone": "0901 234 567", "address": "Ngõ bí mật 7", "confidential": True}
SOURCE = "https://stp.quangninh.gov.vn/tro-giup-phap-ly"


def today() -> date:
    return date.fromisoformat(vietnam_day(time.time()))


async def audited(console: Console, action: str) -> list[dict[str, Any]]:
    return [entry async for entry in console.services.audit.export() if entry["action"] == action]


async def test_anonymous_callers_get_nothing(console: Console) -> None:
    http = console.client()
    for path in ("/api/directory", "/api/directory/entries", "/api/directory/recheck", "/api/directory/coverage"):
        response = await http.get(path)
        assert response.status_code == 401 and "log in" in response.json()["error"]
    refused = await http.post("/api/directory/entries", json=ENTRY)
    assert refused.status_code == 401
    assert await console.services.directory.get(ENTRY["id"]) is None


async def test_an_editor_adds_verifies_and_the_audit_keeps_before_and_after(console: Console) -> None:
    editor = await console.login("lan", role="directory_editor")
    added = await editor.post("/api/directory/entries", ENTRY)
    assert added.status_code == 201, added.text
    entry = added.json()["entry"]
    assert entry["status"] == "unverified" and entry["file"] == "directory/provinces/quang-ninh.yml"
    assert entry["updated_by"] == "lan" and entry["verified_by"] is None
    # Unverified: the bot's directory does not answer with it, operators' search does not offer it.
    live = await console.services.directory.current()
    assert live.in_province("Quảng Ninh", "legal_aid") == ()
    assert ENTRY["id"] not in [e["id"] for e in (await editor.get("/api/directory")).json()["entries"]]

    [add] = await audited(console, "directory_add")
    assert add["actor"] == "lan" and add["entry"] == ENTRY["id"]
    assert json.loads(add["before"]) == {}
    assert json.loads(add["after"])["phone"] == ENTRY["phone"]

    checked = (today() - timedelta(days=2)).isoformat()
    verified = await editor.post(f"/api/directory/entries/{ENTRY['id']}/verify",
                                 {"source_url": SOURCE, "verified_at": checked})
    assert verified.status_code == 200, verified.text
    assert verified.json()["entry"]["status"] == "verified" and verified.json()["entry"]["verified_by"] == "lan"
    [verify] = await audited(console, "directory_verify")
    assert json.loads(verify["before"]) == {"status": "unverified"}
    assert json.loads(verify["after"]) == {"source_url": SOURCE, "verified_at": checked,
                                                      "status": "verified"}
    # The same store object the actions' reader uses answers at once, with no reload.
    [found] = (await console.services.directory.current()).in_province("Quảng Ninh", "legal_aid")
    assert found.id == ENTRY["id"] and found.phone == ENTRY["phone"]


async def test_verify_needs_a_source_and_a_date_that_has_come(console: Console) -> None:
    editor = await console.login("lan", role="directory_editor")
    assert (await editor.post("/api/directory/entries", ENTRY)).status_code == 201
    path = f"/api/directory/entries/{ENTRY['id']}/verify"
    cases = [({"verified_at": today().isoformat()}, "source_url"),
             ({"source_url": "stp.quangninh.gov.vn", "verified_at": today().isoformat()}, "source_url"),
             ({"source_url": SOURCE}, "verified_at"),
             ({"source_url": SOURCE, "verified_at": "7/12/2026"}, "verified_at"),
             ({"source_url": SOURCE, "verified_at": (today() + timedelta(days=3)).isoformat()}, "future")]
    for body, reason in cases:
        response = await editor.post(path, body)
        assert response.status_code == 400 and reason in response.json()["error"], (body, response.text)
    assert (await console.services.directory.get(ENTRY["id"])).entry.status == "unverified"  # type: ignore[union-attr]
    # Nor can status be set by an add or an edit.
    sneaky = await editor.post("/api/directory/entries", {**ENTRY, "id": "khac", "status": "verified"})
    assert sneaky.status_code == 400 and "verify" in sneaky.json()["error"]
    edit = await editor.post(f"/api/directory/entries/{ENTRY['id']}", {"status": "verified"})
    assert edit.status_code == 400


async def test_bad_entries_are_refused_with_every_reason(console: Console) -> None:
    editor = await console.login("lan", role="directory_editor")
    bad = await editor.post("/api/directory/entries", {**ENTRY, "province": "Bình Dương", "phone": "12345",
                                                       "type": "spa"})
    assert bad.status_code == 400
    reason = bad.json()["error"]
    assert "Bình Dương" in reason and "Hồ Chí Minh" in reason and "spa" in reason and "12345" in reason
    assert (await editor.post("/api/directory/entries", {**ENTRY, "id": ""})).status_code == 400
    assert (await editor.post("/api/directory/entries", {**ENTRY, "colour": "red"})).status_code == 400
    assert (await editor.post("/api/directory/entries", {**ENTRY, "name": 5 * ["x"] * 5})).status_code == 400
    assert (await editor.post("/api/directory/entries", ENTRY)).status_code == 201
    again = await editor.post("/api/directory/entries", ENTRY)
    assert again.status_code == 409 and "already used" in again.json()["error"]
    assert (await editor.post("/api/directory/entries/khong-co", {"name": "X"})).status_code == 404
    assert (await editor.post("/api/directory/entries", ENTRY, csrf=False)).status_code == 403
    assert await audited(console, "directory_add") and len(await audited(console, "directory_add")) == 1


async def test_editing_a_verified_fact_makes_the_entry_unverified_again(console: Console) -> None:
    boss = await console.login("boss", role="supervisor")
    assert (await boss.post("/api/directory/entries", ENTRY)).status_code == 201  # supervisors edit too
    await boss.post(f"/api/directory/entries/{ENTRY['id']}/verify",
                    {"source_url": SOURCE, "verified_at": today().isoformat()})
    note = await boss.post(f"/api/directory/entries/{ENTRY['id']}", {"note": "Gọi lại giờ hành chính"})
    assert note.status_code == 200 and note.json()["entry"]["status"] == "verified"
    assert not note.json()["unverified_again"]
    moved = await boss.post(f"/api/directory/entries/{ENTRY['id']}", {"phone": "0203 3 835 111"})
    assert moved.status_code == 200 and moved.json()["unverified_again"]
    assert moved.json()["entry"]["status"] == "unverified" and moved.json()["entry"]["verified_by"] is None
    edits = await audited(console, "directory_edit")
    assert json.loads(edits[-1]["before"]) == {"phone": ENTRY["phone"], "status": "verified"}
    assert json.loads(edits[-1]["after"]) == {"phone": "0203 3 835 111", "status": "unverified"}
    assert (await console.services.directory.current()).in_province("Quảng Ninh") == ()


async def test_operators_read_and_search_but_never_write(console: Console) -> None:
    editor = await console.login("lan", role="directory_editor")
    hoa = await console.login("hoa")
    await editor.post("/api/directory/entries", ENTRY)
    await editor.post(f"/api/directory/entries/{ENTRY['id']}/verify",
                      {"source_url": SOURCE, "verified_at": today().isoformat()})
    for path, body in (("/api/directory/entries", {**ENTRY, "id": "khac"}),
                       (f"/api/directory/entries/{ENTRY['id']}", {"name": "Khác"}),
                       (f"/api/directory/entries/{ENTRY['id']}/verify", {"source_url": SOURCE,
                                                                        "verified_at": today().isoformat()}),
                       (f"/api/directory/entries/{ENTRY['id']}/still-correct", {})):
        refused = await hoa.post(path, body)
        assert refused.status_code == 403 and "directory editors" in refused.json()["error"], path
    found = (await hoa.get("/api/directory?province=Quảng Ninh&type=legal_aid&q=tro giup")).json()["entries"]
    assert [e["id"] for e in found] == [ENTRY["id"]] and found[0]["phone"] == ENTRY["phone"]
    assert (await hoa.get("/api/directory?province=Quảng Ninh&type=police")).json()["entries"] == []
    assert (await hoa.get("/api/directory?province=Bình Dương")).status_code == 400
    assert (await hoa.get("/api/directory/entries?status=maybe")).status_code == 400
    listing = (await hoa.get("/api/directory/entries")).json()
    assert listing["can_edit"] is False and ENTRY["id"] in [e["id"] for e in listing["entries"]]


async def test_a_confidential_address_reaches_editors_only(console: Console) -> None:
    editor = await console.login("lan", role="directory_editor")
    hoa = await console.login("hoa")
    assert (await editor.post("/api/directory/entries", SHELTER)).status_code == 201
    await editor.post(f"/api/directory/entries/{SHELTER['id']}/verify",
                      {"source_url": SOURCE, "verified_at": today().isoformat()})
    mine = {e["id"]: e for e in (await editor.get("/api/directory/entries")).json()["entries"]}
    assert mine[SHELTER["id"]]["address"] == "Ngõ bí mật 7"
    theirs = {e["id"]: e for e in (await hoa.get("/api/directory/entries")).json()["entries"]}
    assert theirs[SHELTER["id"]]["address"] is None and theirs[SHELTER["id"]]["address_hidden"]
    [searched] = [e for e in (await hoa.get("/api/directory?province=Quảng Ninh")).json()["entries"]
                  if e["id"] == SHELTER["id"]]
    assert searched["address"] is None and "bí mật" not in json.dumps(searched, ensure_ascii=False)


async def test_a_confidential_shelter_s_coordinates_reach_editors_only(console: Console) -> None:
    """A shelter's point on the map gives its address away as surely as the address itself."""
    editor = await console.login("lan", role="directory_editor")
    hoa = await console.login("hoa")
    assert (await editor.post("/api/directory/entries", {**SHELTER, "lat": 20.95, "lon": 107.07})).status_code == 201
    mine = {e["id"]: e for e in (await editor.get("/api/directory/entries")).json()["entries"]}
    assert (mine[SHELTER["id"]]["lat"], mine[SHELTER["id"]]["lon"]) == (20.95, 107.07)
    theirs = {e["id"]: e for e in (await hoa.get("/api/directory/entries")).json()["entries"]}
    assert theirs[SHELTER["id"]]["lat"] is None and theirs[SHELTER["id"]]["lon"] is None
    assert "20.95" not in json.dumps(theirs[SHELTER["id"]]) and theirs[SHELTER["id"]]["address_hidden"]


async def test_a_directory_editor_sees_no_conversation(console: Console) -> None:
    editor = await console.login("lan", role="directory_editor")
    await console.gateway.queue.enqueue(Case("tg:777", "telegram", "high", (), "Tóm tắt", "", time.time()))
    for path in ("/api/queue", "/api/conversations/tg:777", "/api/stats", "/api/canned-replies", "/api/operators"):
        response = await editor.get(path)
        assert response.status_code == 403, path
    assert (await editor.post("/api/conversations/tg:777/claim")).status_code == 403
    assert (await editor.get("/api/me")).status_code == 200


async def test_recheck_list_still_correct_and_the_supervisors_count(console: Console) -> None:
    editor = await console.login("lan", role="directory_editor")
    boss = await console.login("boss", role="supervisor")
    await editor.post("/api/directory/entries", ENTRY)
    old = (today() - timedelta(days=181)).isoformat()
    await editor.post(f"/api/directory/entries/{ENTRY['id']}/verify", {"source_url": SOURCE, "verified_at": old})
    due = (await editor.get("/api/directory/recheck")).json()
    assert due["recheck_days"] == 180 and ENTRY["id"] in [e["id"] for e in due["entries"]]
    assert (await boss.get("/api/stats")).json()["directory_due"] == len(due["entries"])
    unverified = await editor.post("/api/directory/entries", {**ENTRY, "id": "chua-kiem-tra"})
    refused = await editor.post("/api/directory/entries/chua-kiem-tra/still-correct")
    assert unverified.status_code == 201 and refused.status_code == 409

    confirmed = await editor.post(f"/api/directory/entries/{ENTRY['id']}/still-correct")
    assert confirmed.status_code == 200 and confirmed.json()["entry"]["verified_at"] == today().isoformat()
    [entry] = await audited(console, "directory_still_correct")
    assert json.loads(entry["before"]) == {"verified_at": old}
    assert ENTRY["id"] not in [e["id"] for e in (await editor.get("/api/directory/recheck")).json()["entries"]]
    assert (await boss.get("/api/stats")).json()["directory_due"] == len(due["entries"]) - 1


async def test_coverage_counts_each_province_and_type(console: Console) -> None:
    editor = await console.login("lan", role="directory_editor")
    await editor.post("/api/directory/entries", ENTRY)
    await editor.post("/api/directory/entries", SHELTER)
    await editor.post(f"/api/directory/entries/{SHELTER['id']}/verify",
                      {"source_url": SOURCE, "verified_at": (today() - timedelta(days=200)).isoformat()})
    body = (await editor.get("/api/directory/coverage")).json()
    rows = {(row["province"], row["type"]): row for row in body["rows"]}
    assert len({row["province"] for row in body["rows"]}) == 34 + 2
    assert rows[("Quảng Ninh", "legal_aid")] == {"province": "Quảng Ninh", "type": "legal_aid", "verified": 0,
                                                 "unverified": 1, "due": 0}
    assert rows[("Quảng Ninh", "shelter")]["verified"] == 1 and rows[("Quảng Ninh", "shelter")]["due"] == 1
    assert "Quảng Ninh" not in body["provinces_without_verified_entry"]
    assert rows[("(toàn quốc)", "hotline")]["verified"] >= 1  # 111, from the seed


@pytest.mark.parametrize("role", ["operator", "supervisor"])
async def test_closing_with_a_referral_takes_verified_entries_only(console: Console, role: str) -> None:
    editor = await console.login("lan", role="directory_editor")
    worker = await console.login("hoa", role=role)
    await editor.post("/api/directory/entries", ENTRY)
    await console.gateway.queue.enqueue(Case("tg:778", "telegram", "high", (), "Tóm tắt", "", time.time()))
    await worker.post("/api/conversations/tg:778/claim")
    refused = await worker.post("/api/conversations/tg:778/close",
                                {"outcome": "referred", "referral": {"entry_id": ENTRY["id"]}})
    assert refused.status_code == 400 and "not verified" in refused.json()["error"]
    await editor.post(f"/api/directory/entries/{ENTRY['id']}/verify",
                      {"source_url": SOURCE, "verified_at": today().isoformat()})
    closed = await worker.post("/api/conversations/tg:778/close",
                               {"outcome": "referred", "referral": {"entry_id": ENTRY["id"]}})
    assert closed.status_code == 200, closed.text
