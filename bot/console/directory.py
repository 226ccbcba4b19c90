"""The console's directory API: editors keep the live directory (bot/state/directory.py); operators read and search it.

    GET  /api/directory?province=&type=&q=          verified entries, for an operator's reply or referral (everyone)
    GET  /api/directory/entries?province=&type=&status=&older_than_days=&q=
                                                    every entry, with who keeps it (everyone; confidential addresses
                                                    only for editors and supervisors)
    POST /api/directory/entries                     add an entry (unverified)                       editors
    POST /api/directory/entries/{id}                edit; a verified entry whose facts change is unverified again
    POST /api/directory/entries/{id}/verify         {source_url, verified_at}: verified, by whom
    POST /api/directory/entries/{id}/still-correct  "vẫn đúng": verified_at moves to today
    GET  /api/directory/recheck                     "cần kiểm tra lại": verified longer ago than the setting
    GET  /api/directory/coverage                    per province and type: verified / unverified / due

Editors are the `directory_editor` role and supervisors (routes.py checks the role before a handler runs). Every
change is written to the audit log with the fields that changed, before and after.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import date
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from bot.console.api import Context
from bot.console.clock import vietnam_day
from bot.console.http import ApiError, json_body, ok
from bot.content.directory import FIELDS, entry_text, is_http_url
from bot.content.models import EXTRA_TYPES, Entry
from bot.state.directory import DirectoryError, Record, due, home_file
from nlu.tables import iso_date
from nlu.text import fold

EDITORS = ("directory_editor", "supervisor")
EDITABLE = tuple(name for name in FIELDS if name not in ("id", "status", "verified_at"))
# Changing these on a verified entry makes it unverified again: what a person would be told is no longer checked.
FACTS = ("name", "type", "province", "country", "commune", "address", "phone", "email", "website", "hours", "lat",
         "lon", "source_url")
MAX_TEXT = 2000
NATIONAL, ABROAD = "(toàn quốc)", "(nước ngoài)"


def is_editor(ctx: Context) -> bool:
    return ctx.operator.role in EDITORS


def today(ctx: Context) -> date:
    return date.fromisoformat(vietnam_day(ctx.services.options.clock()))


def recheck_days(ctx: Context) -> int:
    return ctx.services.settings.directory_recheck_days


def shown(record: Record, ctx: Context) -> dict[str, Any]:
    """An entry for this caller: a confidential address (and the point on the map that gives it away) only for
    editors; `due` when it needs a re-check."""
    data = record.fields()
    if record.entry.confidential and not is_editor(ctx):
        data.update(address=None, lat=None, lon=None, address_hidden=True)
    data["due"] = due(record, today(ctx), recheck_days(ctx))
    return data


def _matches(entry: Entry, text: str) -> bool:
    wanted = fold(text).lower()
    haystack = " ".join(filter(None, (entry.name, entry.id, entry.commune, entry.hours, *entry.phones)))
    return wanted in fold(haystack).lower()


def _filtered(records: list[Record], request: Request, ctx: Context) -> list[Record]:
    params = request.query_params
    province, kind, status, text = (params.get(name, "").strip() for name in ("province", "type", "status", "q"))
    older = params.get("older_than_days", "").strip()
    if status and status not in ("verified", "unverified"):
        raise ApiError(400, "status must be verified or unverified")
    if older and not older.isdigit():
        raise ApiError(400, "older_than_days must be a whole number of days")
    if province and province not in ctx.services.directory.content.provinces and province not in (NATIONAL, ABROAD):
        raise ApiError(400, f"province must be one of the 34 provinces, {NATIONAL!r} or {ABROAD!r}")
    found = []
    for record in records:
        entry = record.entry
        if (province == NATIONAL and not entry.national) or (province == ABROAD and not entry.country):
            continue
        if province not in ("", NATIONAL, ABROAD) and entry.province != province:
            continue
        if (kind and entry.type != kind) or (status and entry.status != status):
            continue
        if text and not _matches(entry, text):
            continue
        if older and (entry.verified_at is None or (today(ctx) - entry.verified_at).days <= int(older)):
            continue
        found.append(record)
    return found


async def search(request: Request, ctx: Context) -> Response:
    """Verified entries only, filtered: what an operator may put in a reply or choose as the referral."""
    records = [r for r in await ctx.services.directory.records() if r.entry.verified]
    found = _filtered(records, request, ctx)
    content = ctx.services.directory.content
    labels = content.service_labels
    entries = []
    for record in found:
        entry = record.entry
        entries.append({"id": entry.id, "name": entry.name, "type": entry.type,
                        "type_label": labels.get(entry.type, entry.type), "province": entry.province,
                        "country": entry.country, "phone": entry.phone, "phones": list(entry.phones),
                        "hours": entry.hours, "website": entry.website, "address": entry.public_address,
                        # What "insert into the reply" puts in the operator's reply: the bot's own wording.
                        "reply_text": entry_text(entry, content.dialogue.entry_lines, labels)})
    return ok({"entries": entries})


async def entries(request: Request, ctx: Context) -> Response:
    found = _filtered(await ctx.services.directory.records(), request, ctx)
    return ok({"entries": [shown(record, ctx) for record in found], "recheck_days": recheck_days(ctx),
               "can_edit": is_editor(ctx)})


def _fields(data: dict[str, Any]) -> dict[str, Any]:
    """The editable fields sent, checked for shape (the entry validator checks their meaning)."""
    unknown = sorted(set(data) - set(EDITABLE) - {"id"})
    if "status" in data or "verified_at" in data:
        raise ApiError(400, "status and verified_at change only through verify (with source_url and verified_at)")
    if unknown:
        raise ApiError(400, f"unknown field(s) {', '.join(unknown)} (allowed: {', '.join(EDITABLE)})")
    fields: dict[str, Any] = {}
    for name in EDITABLE:
        if name not in data:
            continue
        value = data[name]
        if isinstance(value, str):
            if len(value) > MAX_TEXT:
                raise ApiError(413, f"{name} longer than {MAX_TEXT} characters")
            value = value.strip() or None
        elif isinstance(value, list):
            if not all(isinstance(item, str) for item in value) or len(value) > 20:
                raise ApiError(400, f"{name} must be text or a list of at most 20 texts")
            value = [item.strip() for item in value if item.strip()] or None
        elif value is not None and not isinstance(value, (bool, int, float)):
            raise ApiError(400, f"{name} must be text, a number, true/false or a list of texts")
        fields[name] = value
    return fields


def _raw(entry: Entry) -> dict[str, Any]:
    raw = entry.as_dict()
    if entry.verified_at:
        raw["verified_at"] = entry.verified_at.isoformat()
    return raw


def _parse(ctx: Context, raw: dict[str, Any], file: str) -> Entry:
    clean = {name: value for name, value in raw.items() if value is not None and value != []}
    try:
        return ctx.services.directory.parse(clean, file)
    except DirectoryError as failure:
        raise ApiError(400, "; ".join(failure.reasons)) from None


def _changes(before: Entry | None, after: Entry) -> tuple[dict[str, Any], dict[str, Any]]:
    """The fields that differ, as they were and as they are (the audit's before/after)."""
    old = _raw(before) if before else {}
    new = _raw(after)
    names = [name for name in FIELDS if old.get(name) != new.get(name)]
    return {n: old.get(n) for n in names if n in old}, {n: new.get(n) for n in names if n in new}


async def _audit(ctx: Context, action: str, before: Entry | None, after: Entry) -> None:
    old, new = _changes(before, after)
    await ctx.services.audit.record(ctx.operator.username, action, entry=after.id,
                                    before=json.dumps(old, ensure_ascii=False),
                                    after=json.dumps(new, ensure_ascii=False))


async def _write(ctx: Context, record: Record, *, new: bool) -> Record | None:
    try:
        return await ctx.services.directory.write(record, new=new)
    except DirectoryError as failure:
        raise ApiError(409 if new else 404, "; ".join(failure.reasons)) from None


async def _save(ctx: Context, action: str, before: Entry | None, entry: Entry,
                verified_by: str | None) -> dict[str, Any]:
    """Writes the entry (a new one when there is no `before`), audits the change, and answers the entry as stored."""
    store = ctx.services.directory
    await _write(ctx, store.stamped(entry, ctx.operator.username, verified_by), new=before is None)
    await _audit(ctx, action, before, entry)
    record = await store.get(entry.id)
    assert record is not None
    return shown(record, ctx)


async def add(request: Request, ctx: Context) -> Response:
    data = await json_body(request)
    entry_id = data.get("id")
    if not isinstance(entry_id, str) or not entry_id.strip():
        raise ApiError(400, "id must not be empty (lower-case letters, digits and dashes)")
    fields = _fields(data)
    raw = {**fields, "id": entry_id.strip(), "status": "unverified"}
    entry = _parse(ctx, raw, home_file(fields.get("province"), fields.get("country")))
    return ok({"entry": await _save(ctx, "directory_add", None, entry, None)}, status=201)


async def _existing(request: Request, ctx: Context) -> Record:
    entry_id = str(request.path_params.get("entry_id", ""))
    record = await ctx.services.directory.get(entry_id)
    if record is None:
        raise ApiError(404, f"no entry {entry_id!r}")
    return record


async def edit(request: Request, ctx: Context) -> Response:
    record = await _existing(request, ctx)
    data = await json_body(request)
    if "id" in data and data["id"] != record.entry.id:
        raise ApiError(400, "an entry's id cannot change (add a new entry instead)")
    fields = _fields(data)
    before = record.entry
    raw = {**_raw(before), **fields}
    entry = _parse(ctx, raw, before.file)
    changed = [name for name in FACTS if _raw(before).get(name) != _raw(entry).get(name)]
    verified_by = record.verified_by
    if before.verified and changed:
        entry = _parse(ctx, {**_raw(entry), "status": "unverified"}, before.file)
        verified_by = None
    saved = await _save(ctx, "directory_edit", before, entry, verified_by)
    return ok({"entry": saved, "unverified_again": before.verified and bool(changed)})


async def verify(request: Request, ctx: Context) -> Response:
    record = await _existing(request, ctx)
    data = await json_body(request)
    source = data.get("source_url")
    sources = [source] if isinstance(source, str) else source
    if not isinstance(sources, list) or not sources or not all(isinstance(s, str) and is_http_url(s.strip())
                                                                 for s in sources):
        raise ApiError(400, "verify needs source_url: the http(s):// address of the page the entry was checked on")
    checked = iso_date(data.get("verified_at"))
    if checked is None:
        raise ApiError(400, "verify needs verified_at: the date the entry was checked, YYYY-MM-DD")
    if checked > today(ctx):
        raise ApiError(400, "verified_at cannot be in the future")
    before = record.entry
    raw = {**_raw(before), "source_url": [s.strip() for s in sources], "verified_at": checked.isoformat(),
           "status": "verified"}
    entry = _parse(ctx, raw, before.file)
    return ok({"entry": await _save(ctx, "directory_verify", before, entry, ctx.operator.username)})


async def still_correct(request: Request, ctx: Context) -> Response:
    """"Vẫn đúng": the entry was checked again today and is unchanged."""
    record = await _existing(request, ctx)
    before = record.entry
    if not before.verified:
        raise ApiError(409, "only a verified entry can be confirmed; verify it with its source first")
    entry = _parse(ctx, {**_raw(before), "verified_at": today(ctx).isoformat()}, before.file)
    return ok({"entry": await _save(ctx, "directory_still_correct", before, entry, ctx.operator.username)})


async def recheck(request: Request, ctx: Context) -> Response:
    """"Cần kiểm tra lại": verified entries checked longer ago than the setting, oldest first."""
    records = await ctx.services.directory.due(today(ctx), recheck_days(ctx))
    return ok({"entries": [shown(r, ctx) for r in records], "recheck_days": recheck_days(ctx)})


def coverage_rows(records: list[Record], provinces: tuple[str, ...], types: tuple[str, ...], on: date,
                  days: int) -> list[dict[str, Any]]:
    """For every province (and national, abroad) and every service type: verified, unverified and due counts."""
    counts: Counter[tuple[str, str, str]] = Counter()
    for record in records:
        entry = record.entry
        where = entry.province or (ABROAD if entry.country else NATIONAL)
        counts[(where, entry.type, entry.status)] += 1
        if due(record, on, days):
            counts[(where, entry.type, "due")] += 1
    rows = []
    for place in (*provinces, NATIONAL, ABROAD):
        for kind in types:
            rows.append({"province": place, "type": kind, "verified": counts[(place, kind, "verified")],
                         "unverified": counts[(place, kind, "unverified")], "due": counts[(place, kind, "due")]})
    return rows


async def coverage(request: Request, ctx: Context) -> Response:
    content = ctx.services.directory.content
    types = (*content.service_labels, *sorted(set(EXTRA_TYPES) - set(content.service_labels)))
    rows = coverage_rows(await ctx.services.directory.records(), content.provinces, types, today(ctx),
                         recheck_days(ctx))
    missing = sorted({row["province"] for row in rows if row["province"] in content.provinces}
                     - {row["province"] for row in rows if row["verified"]}, key=content.provinces.index)
    return ok({"rows": rows, "types": [{"name": t, "label": content.service_labels.get(t, t)} for t in types],
               "provinces_without_verified_entry": missing, "recheck_days": recheck_days(ctx)})
