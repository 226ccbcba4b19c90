"""Outreach campaigns and their daily counts, kept in Redis.

Campaigns are data, not content files: a supervisor creates one at run time (`caunoi campaign create`, or
`POST /api/campaigns` in the console) and every gateway worker and the action server see it at once, because they
all read the same Redis. A campaign's code is the `start` parameter of its Telegram link (`t.me/<bot>?start=CODE`).

Counts are aggregates only: one hash per campaign per day (Vietnam time), metric -> count. They never hold a
conversation id, a user id or any text, so exporting them identifies no one; exports still show counts from 1 to 4
as "<5" (`shown`), because a tiny count in a small place can point at a person.

The metrics, per campaign per day (Vietnam time):
- `started`: conversations that began through the campaign's link while it ran (actions/welcome.py).
- `answered` ("reached an answer"): conversations that got at least one substantive answer: a guidance article,
  a list of services (or the consular line abroad), a job-offer verdict, or an operator's reply that reached the
  person. Counted at most once per conversation per campaign (`count_once`), on the day of the first answer. Safety
  lines, greetings, "not understood" and questions back do not count.
- `job_check`, `service_search`, `escalated`: each job verdict, service list and escalation (actions/).
- `referred`: handoffs closed in the console with the outcome "referred" (bot/console/handoff.py).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta, timezone

import redis.asyncio

from bot.state import keys

CODE = re.compile(r"[A-Za-z0-9_-]{1,64}")
METRICS = ("started", "answered", "job_check", "service_search", "escalated", "referred")
SMALL = 5  # counts from 1 to SMALL - 1 are exported as "<5"
NAME_MAX_CHARS = 120
GREETING_MAX_CHARS = 1000
VIETNAM = timezone(timedelta(hours=7), "ICT")
Shown = int | str


_COUNT_ONCE = """
if redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then
  redis.call('HINCRBY', KEYS[2], ARGV[2], 1)
  redis.call('SADD', KEYS[3], ARGV[3])
  return 1
end
return 0
"""


class CampaignError(ValueError):
    """Bad input for a campaign, or a clash with one that exists; the message says which."""


def today() -> str:
    """The calendar day in Vietnam, YYYY-MM-DD: campaigns start, end and are counted by it."""
    return datetime.now(VIETNAM).date().isoformat()


def shown(count: int) -> Shown:
    """A count as exports show it: 1-4 become "<5" (0 stays 0: it points at no one)."""
    return "<5" if 0 < count < SMALL else count


@dataclass(frozen=True)
class Campaign:
    code: str
    name: str
    team: str = ""
    place: str = ""
    start: str = ""  # YYYY-MM-DD, "" = from the start
    end: str = ""  # YYYY-MM-DD (inclusive), "" = no end
    greeting: str = ""
    active: bool = True

    def running(self, day: str) -> bool:
        """Active and `day` (YYYY-MM-DD) within its dates."""
        return self.active and (not self.start or self.start <= day) and (not self.end or day <= self.end)


def _date(value: str, what: str) -> str:
    value = value.strip()
    if not value:
        return ""
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise CampaignError(f"{what} must be a date YYYY-MM-DD, got {value!r}") from None


def _text(value: str, what: str, limit: int) -> str:
    value = value.strip()
    if len(value) > limit:
        raise CampaignError(f"{what} is longer than {limit} characters")
    return value


def validated(code: str, name: str, team: str = "", place: str = "", start: str = "", end: str = "",
              greeting: str = "") -> Campaign:
    """A new, active campaign from raw input; raises CampaignError saying what is wrong."""
    if not CODE.fullmatch(code):
        raise CampaignError("the code must be 1-64 characters of A-Z, a-z, 0-9, _ and -")
    name = _text(name, "the name", NAME_MAX_CHARS)
    if not name:
        raise CampaignError("a campaign needs a name")
    first, last = _date(start, "the start"), _date(end, "the end")
    if first and last and last < first:
        raise CampaignError("the end date is before the start date")
    return Campaign(code, name, _text(team, "the team", NAME_MAX_CHARS), _text(place, "the place", NAME_MAX_CHARS),
                    first, last, _text(greeting, "the greeting", GREETING_MAX_CHARS))


def _campaign(data: dict[str, str]) -> Campaign:
    return Campaign(data["code"], data.get("name", ""), data.get("team", ""), data.get("place", ""),
                    data.get("start", ""), data.get("end", ""), data.get("greeting", ""), data.get("active") == "1")


class CampaignStore:
    """The campaigns (one hash each, plus the set of codes) and their daily counts."""

    def __init__(self, client: redis.asyncio.Redis):
        self._redis = client
        self._count_once = client.register_script(_COUNT_ONCE)

    async def create(self, campaign: Campaign) -> None:
        """Stores a new campaign; CampaignError when the code is taken (never reused: old links stay out there)."""
        if not await self._redis.sadd(keys.CAMPAIGNS, campaign.code):
            raise CampaignError(f"a campaign with code {campaign.code!r} already exists")
        fields = {**asdict(campaign), "active": "1" if campaign.active else "0"}
        await self._redis.hset(keys.campaign(campaign.code), mapping=fields)

    async def get(self, code: str) -> Campaign | None:
        if not CODE.fullmatch(code):
            return None
        data = await self._redis.hgetall(keys.campaign(code))
        return _campaign(data) if data else None

    async def list(self) -> list[Campaign]:
        """Every campaign, by code."""
        codes = sorted(await self._redis.smembers(keys.CAMPAIGNS))
        async with self._redis.pipeline(transaction=False) as pipe:
            for code in codes:
                pipe.hgetall(keys.campaign(code))
            found = await pipe.execute() if codes else []
        return [_campaign(data) for data in found if data]

    async def disable(self, code: str) -> bool:
        """Stops the campaign's greeting and counting; False when there is no such campaign."""
        if await self.get(code) is None:
            return False
        await self._redis.hset(keys.campaign(code), "active", "0")
        return True

    async def active_greeting(self, code: str, day: str) -> str | None:
        """The campaign's greeting; None when the code is unknown, disabled, outside its dates or has none."""
        campaign = await self.get(code)
        return campaign.greeting or None if campaign and campaign.running(day) else None

    async def running_by_typed_code(self, text: str, day: str) -> Campaign | None:
        """The campaign running on `day` whose code is the whole of `text`, ignoring case and surrounding spaces
        (Zalo: people type the code from a poster); None when there is none, or when codes differing only by case
        make it ambiguous and none matches exactly."""
        typed = text.strip()
        if not CODE.fullmatch(typed):
            return None
        codes = await self._redis.smembers(keys.CAMPAIGNS)
        matches = [code for code in codes if code == typed] or [code for code in codes if code.lower() == typed.lower()]
        if len(matches) != 1:
            return None
        campaign = await self.get(matches[0])
        return campaign if campaign and campaign.running(day) else None

    async def count(self, code: str, metric: str, day: str) -> None:
        """One more `metric` for the campaign on `day`. Only the number changes: nothing about who."""
        if metric not in METRICS:
            raise ValueError(f"unknown campaign metric {metric!r}")
        if not CODE.fullmatch(code):
            return
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hincrby(keys.campaign_counts(code, day), metric, 1)
            pipe.sadd(keys.campaign_days(code), day)
            await pipe.execute()

    async def count_once(self, code: str, metric: str, day: str, conversation_id: str, ttl_seconds: int) -> bool:
        """`count`, unless this conversation was already counted for this campaign and metric; True when counted.

        The "already counted" mark is a key of the conversation's own (keys.campaign_once), with its retention TTL;
        the count stays a bare number. Mark and count change together (one script): a retry never counts twice.
        """
        if metric not in METRICS:
            raise ValueError(f"unknown campaign metric {metric!r}")
        if not CODE.fullmatch(code):
            return False
        counted = await self._count_once(
            keys=[keys.campaign_once(conversation_id, code, metric), keys.campaign_counts(code, day),
                  keys.campaign_days(code)],
            args=[max(1, ttl_seconds), metric, day])
        return bool(counted)

    async def counts(self, code: str) -> dict[str, dict[str, int]]:
        """Raw counts by day (oldest first), every metric present."""
        days = sorted(await self._redis.smembers(keys.campaign_days(code)))
        async with self._redis.pipeline(transaction=False) as pipe:
            for day in days:
                pipe.hgetall(keys.campaign_counts(code, day))
            found = await pipe.execute() if days else []
        return {day: {metric: int(data.get(metric, 0)) for metric in METRICS}
                for day, data in zip(days, found, strict=True)}


def totals(by_day: dict[str, dict[str, int]]) -> dict[str, int]:
    return {metric: sum(day.get(metric, 0) for day in by_day.values()) for metric in METRICS}


def shown_counts(counts: dict[str, int]) -> dict[str, Shown]:
    return {metric: shown(counts.get(metric, 0)) for metric in METRICS}


async def export_rows(store: CampaignStore) -> list[list[str]]:
    """The export (CSV in `caunoi campaign stats --csv` and the console): a header, then one row per campaign and day,
    counts from 1 to 4 as "<5". Codes, days and numbers only."""
    rows = [["campaign", "day", *METRICS]]
    for campaign in await store.list():
        for day, counts in (await store.counts(campaign.code)).items():
            rows.append([campaign.code, day, *map(str, shown_counts(counts).values())])
    return rows
