"""The console's campaign routes (supervisors only), the same things `caunoi campaign` does:

    GET  /api/campaigns                  every campaign with its counts (totals and per day, 1-4 shown as "<5")
    POST /api/campaigns                  create one (JSON: code, name, team, place, start, end, greeting)
    GET  /api/campaigns.csv              the counts export, as `caunoi campaign stats --csv`
    POST /api/campaigns/{code}/disable   no more greeting or counting
    GET  /api/campaigns/{code}/link      the Telegram link, the Zalo line, the official bot, the verification line
    GET  /api/campaigns/{code}/qr.png    the QR code of the Telegram link (also qr.svg), as a download
    GET  /api/campaigns/{code}/poster.pdf  a printable A5 poster with the QR code (bot/outreach/poster.py)

A malformed code is 400, an unknown one 404, a deployment without an official bot username 409; changes and
downloads of printed material go to the audit log. Links and QR codes come from bot/outreach/material.py.
"""

from __future__ import annotations

import csv
import io
from dataclasses import asdict
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from bot.console.api import Context
from bot.console.http import NO_STORE, ApiError, json_body, ok
from bot.outreach.material import (
    QR_FORMATS,
    ZALO_NOTE,
    LinkUnavailable,
    official_bot,
    qr_image,
    telegram_link,
    verification,
    zalo_line,
)
from bot.outreach.poster import FontMissing, poster_pdf
from bot.state.campaigns import (
    CODE,
    Campaign,
    CampaignError,
    CampaignStore,
    export_rows,
    shown_counts,
    totals,
    validated,
)

FIELDS = ("code", "name", "team", "place", "start", "end", "greeting")


async def campaigns(request: Request, ctx: Context) -> Response:
    store = CampaignStore(ctx.services.gateway.redis)
    found: list[dict[str, Any]] = []
    for campaign in await store.list():
        by_day = await store.counts(campaign.code)
        found.append({**asdict(campaign), "totals": shown_counts(totals(by_day)),
                      "days": [{"day": day, **shown_counts(counts)} for day, counts in by_day.items()]})
    return ok({"campaigns": found})


async def create(request: Request, ctx: Context) -> Response:
    data = await json_body(request)
    values = {name: data.get(name, "") for name in FIELDS}
    if not all(isinstance(value, str) for value in values.values()):
        raise ApiError(400, f"{', '.join(FIELDS)} must be strings")
    try:
        campaign = validated(**values)
        await CampaignStore(ctx.services.gateway.redis).create(campaign)
    except CampaignError as error:
        raise ApiError(409 if "already exists" in str(error) else 400, str(error)) from None
    await ctx.services.audit.record(ctx.operator.username, "campaign_create", target=campaign.code)
    return ok({"campaign": asdict(campaign)}, status=201)


async def known(request: Request, ctx: Context) -> Campaign:
    """The campaign named in the path: 400 for a code no campaign can have, 404 for one none has."""
    code = str(request.path_params.get("code", ""))
    if not CODE.fullmatch(code):
        raise ApiError(400, "the code must be 1-64 characters of A-Z, a-z, 0-9, _ and -")
    campaign = await CampaignStore(ctx.services.gateway.redis).get(code)
    if campaign is None:
        raise ApiError(404, f"no campaign with code {code}")
    return campaign


async def disable(request: Request, ctx: Context) -> Response:
    campaign = await known(request, ctx)
    await CampaignStore(ctx.services.gateway.redis).disable(campaign.code)
    await ctx.services.audit.record(ctx.operator.username, "campaign_disable", target=campaign.code)
    return ok({"campaign": {**asdict(campaign), "active": False}})


async def link(request: Request, ctx: Context) -> Response:
    campaign = await known(request, ctx)
    settings = ctx.services.settings
    username = settings.telegram_bot_username
    try:
        return ok({"code": campaign.code, "telegram": telegram_link(username, campaign.code),
                   "bot": f"@{official_bot(username)}", "verification": verification(username, settings.content_dir),
                   "zalo": zalo_line(campaign.code, settings.content_dir),
                   "zalo_note": ZALO_NOTE.format(code=campaign.code)})
    except LinkUnavailable as error:
        raise ApiError(409, str(error)) from None


async def qr(request: Request, ctx: Context) -> Response:
    kind = str(request.path_params.get("kind", ""))
    campaign = await known(request, ctx)
    if kind not in QR_FORMATS:
        raise ApiError(400, "the QR code comes as qr.png or qr.svg")
    try:
        target = telegram_link(ctx.services.settings.telegram_bot_username, campaign.code)
    except LinkUnavailable as error:
        raise ApiError(409, str(error)) from None
    image = qr_image(target, "png" if kind == "png" else "svg")
    await ctx.services.audit.record(ctx.operator.username, "campaign_qr", target=campaign.code, format=kind)
    return Response(image, media_type="image/png" if kind == "png" else "image/svg+xml", headers={
        **NO_STORE, "Content-Disposition": f'attachment; filename="caunoi-{campaign.code}.{kind}"'})


async def poster(request: Request, ctx: Context) -> Response:
    campaign = await known(request, ctx)
    settings = ctx.services.settings
    try:
        document = poster_pdf(settings.telegram_bot_username, campaign.code, settings.content_dir)
    except LinkUnavailable as error:
        raise ApiError(409, str(error)) from None
    except FontMissing as error:
        raise ApiError(503, str(error)) from None
    await ctx.services.audit.record(ctx.operator.username, "campaign_poster", target=campaign.code)
    return Response(document, media_type="application/pdf", headers={
        **NO_STORE, "Content-Disposition": f'attachment; filename="caunoi-{campaign.code}-a5.pdf"'})


async def export_csv(request: Request, ctx: Context) -> Response:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(await export_rows(CampaignStore(ctx.services.gateway.redis)))
    await ctx.services.audit.record(ctx.operator.username, "campaign_export")
    return Response(buffer.getvalue(), media_type="text/csv; charset=utf-8", headers={
        **NO_STORE, "Content-Disposition": 'attachment; filename="caunoi-campaigns.csv"'})
