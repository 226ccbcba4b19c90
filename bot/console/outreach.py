"""The console's campaign routes (supervisors): `GET /api/campaigns` lists every campaign with its counts (totals and
per day, 1-4 shown as "<5"); `POST /api/campaigns` creates one, as `caunoi campaign create` does."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from bot.campaigns import CampaignError, CampaignStore, shown_counts, totals, validated
from bot.console.api import Context
from bot.console.http import ApiError, json_body, ok

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
