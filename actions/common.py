"""What the actions share: the loaded content, Redis, and reading the tracker. Actions never open files themselves."""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Iterator
from typing import Any

import redis
import redis.asyncio
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.content import Content, load_content
from bot.content.directory import Directory
from bot.content.models import Dialogue
from bot.messages import Location
from bot.settings import get_settings
from bot.state import store
from bot.state.campaigns import CampaignStore, today
from bot.state.directory import DirectoryStore
from bot.state.sealed import Sealer
from nlu.conversation import ConversationRisk

log = logging.getLogger(__name__)
CAMPAIGN_CODE = re.compile(r"[A-Za-z0-9_-]{1,64}")


def dialogue() -> Dialogue:
    """What the actions say and weigh beyond whole responses (content/vi/dialogue.yml), loaded with the content."""
    return content().dialogue


@functools.lru_cache(maxsize=1)
def conversation_risk() -> ConversationRisk:
    return ConversationRisk(content().triage, content().teencode)


_redis: redis.asyncio.Redis | None = None


def redis_client() -> redis.asyncio.Redis:
    """One client per action-server process (connections are made lazily, per event loop use)."""
    global _redis
    if _redis is None:
        _redis = store.connect(get_settings())
    return _redis


_directory: DirectoryStore | None = None
_last_directory: Directory | None = None


def directory_store() -> DirectoryStore:
    """The live directory (bot/state/directory.py), one reader per action-server process."""
    global _directory
    client = redis_client()
    if _directory is None or _directory.client is not client:
        _directory = DirectoryStore(client, content(), Sealer.from_settings(get_settings()))
    return _directory


async def live_directory() -> Directory:
    """The directory as editors left it, read at the start of a search. With Redis unreachable: the last one read,
    or the verified entries of the content files (a search still answers; the numbers were checked)."""
    global _last_directory
    try:
        _last_directory = await directory_store().current()
    except (redis.RedisError, OSError) as error:
        log.warning("directory unavailable, answering from the last one read reason=%s", type(error).__name__)
        return _last_directory or content().directory
    return _last_directory


def response_text(domain: dict[str, Any], name: str, **values: Any) -> str:
    """The first variant of a response from the domain, with its {placeholders} filled."""
    text = str(domain["responses"][name][0]["text"])
    return text.format(**values) if values else text


def send(dispatcher: CollectingDispatcher, domain: dict[str, Any], name: str, *, request_location: bool = False,
         protect: bool = False, buttons: list[dict[str, str]] | None = None, **values: Any) -> None:
    """Sends a response; with channel hints (a location button, no forwarding) it goes as one custom message."""
    if not (request_location or protect):
        dispatcher.utter_message(response=name, buttons=buttons or [], **values)
        return
    message: dict[str, Any] = {"text": response_text(domain, name, **values)}
    if buttons or domain["responses"][name][0].get("buttons"):
        message["buttons"] = buttons or domain["responses"][name][0]["buttons"]
    if request_location:
        message["request_location"] = True
    if protect:
        message["protect_content"] = True
    dispatcher.utter_message(json_message=message)


def user_turns(tracker: Tracker) -> Iterator[dict[str, Any]]:
    for event in tracker.events:
        if event.get("event") == "user":
            yield event


def user_texts(tracker: Tracker) -> list[str]:
    return [str(event.get("text") or "") for event in user_turns(tracker)]


def user_intents(tracker: Tracker) -> list[str]:
    return [str(((event.get("parse_data") or {}).get("intent") or {}).get("name") or "")
            for event in user_turns(tracker)]


def latest_intent(tracker: Tracker) -> str:
    return str((tracker.latest_message.get("intent") or {}).get("name") or "")


# The intent of a report about someone else: the places it names are theirs, not the writer's.
REPORT_INTENT = "report_suspected_trafficking"
JOB_FORM = "job_offer_form"
# A country named under these intents is someone else's or a job's, not where the person is.
ELSEWHERE_INTENTS = frozenset({REPORT_INTENT, "check_job_offer"})


def latest_entity(tracker: Tracker, entity: str) -> str | None:
    value = next(tracker.get_latest_entity_values(entity), None)
    return str(value) if value else None


def shared_location(tracker: Tracker) -> Location | None:
    """A GPS point the person shared with this message (the gateway puts it in the metadata)."""
    metadata = tracker.latest_message.get("metadata") or {}
    point = metadata.get("location") if isinstance(metadata, dict) else None
    if not isinstance(point, dict):
        return None
    try:
        latitude, longitude = float(point["latitude"]), float(point["longitude"])
    except (KeyError, TypeError, ValueError):
        return None
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return None
    return Location(latitude, longitude)


def stored_location(tracker: Tracker) -> Location | None:
    value = tracker.get_slot("location")
    if isinstance(value, dict) and "latitude" in value and "longitude" in value:
        return Location(float(value["latitude"]), float(value["longitude"]))
    return None


def own_country(tracker: Tracker) -> str | None:
    """The country the person said they are in: the latest one named, except where it is someone else's or a job's
    ("em gái tôi sang Trung Quốc…" puts the sister in China, not the mother who writes; "việc ở Campuchia lương cao"
    and the job check's "Việc ở nước nào?" put the job there, not the person who asks). With no country in what was
    said, the slot (set some other way), unless the country named was one of those."""
    elsewhere = False
    for parse, about_elsewhere in person_said(tracker):
        countries = [e.get("value") for e in parse.get("entities") or [] if e.get("entity") == "country"]
        if not countries:
            continue
        if not about_elsewhere:
            return str(countries[-1])
        elsewhere = True
    slot = tracker.get_slot("country")
    return None if elsewhere or not slot else str(slot)


def person_said(tracker: Tracker) -> list[tuple[dict[str, Any], bool]]:
    """What the person said, newest first: each parse, and whether it is about someone else or a job offer (a
    report, a job check's first message, an answer while the job check's form was open)."""
    loop: str | None = None
    turns: list[tuple[dict[str, Any], str | None]] = []
    for event in tracker.events:
        if event.get("event") == "active_loop":
            loop = event.get("name")
        elif event.get("event") == "user":
            turns.append((event.get("parse_data") or {}, loop))
    turns.append((tracker.latest_message, (tracker.active_loop or {}).get("name")))  # again if in events: harmless
    return [(parse, (parse.get("intent") or {}).get("name") in ELSEWHERE_INTENTS or active == JOB_FORM)
            for parse, active in reversed(turns)]


def whereabouts(tracker: Tracker) -> tuple[str, str | None]:
    """("abroad", country) / ("vietnam", province) / ("unknown", None), from what the conversation has said."""
    point = shared_location(tracker) or stored_location(tracker)
    directory = content().directory
    country = own_country(tracker)
    if point is not None:
        if not directory.in_vietnam(point.latitude, point.longitude):
            return "abroad", country
        return "vietnam", directory.province_of(point.latitude, point.longitude)
    province = latest_entity(tracker, "province") or tracker.get_slot("province")
    if country:
        return "abroad", country
    if province:
        return "vietnam", province
    return "unknown", None


def campaign_code(tracker: Tracker) -> str | None:
    metadata = tracker.latest_message.get("metadata") or {}
    code = metadata.get("campaign") if isinstance(metadata, dict) else None
    return code if isinstance(code, str) and CAMPAIGN_CODE.fullmatch(code) else None


def campaigns() -> CampaignStore:
    """The outreach campaigns (bot/state/campaigns.py), read from Redis at each use: supervisors add them at run
    time."""
    return CampaignStore(redis_client())


async def count_for_campaign(tracker: Tracker, metric: str) -> None:
    """One more `metric` for the campaign the conversation came from, if any. Counting never breaks an answer."""
    code = tracker.get_slot("campaign")
    if not isinstance(code, str) or not code:
        return
    try:
        await campaigns().count(code, metric, today())
    except (redis.RedisError, OSError) as error:
        log.warning("campaign count failed metric=%s reason=%s", metric, type(error).__name__)


async def answered_for_campaign(tracker: Tracker) -> None:
    """The conversation reached an answer (bot/state/campaigns.py, `answered`): counted once per conversation and
    campaign."""
    code = tracker.get_slot("campaign")
    if not isinstance(code, str) or not code:
        return
    try:
        await campaigns().count_once(code, "answered", today(), tracker.sender_id,
                                     get_settings().retention_days * 24 * 3600)
    except (redis.RedisError, OSError) as error:
        log.warning("campaign count failed metric=answered reason=%s", type(error).__name__)


def content() -> Content:
    """The directory, the guidance articles and the labels, loaded once per process (bot.content)."""
    return load_content(get_settings().content_dir)


def welcome_facts(domain: dict[str, Any]) -> dict[str, str]:
    """What the welcome fills in: who runs the deployment, and the days a conversation is kept after its last message
    (this deployment's CAUNOI_RETENTION_DAYS; a referral keeps it longer, which the welcome says in words)."""
    return {"operated_by": operated_by(domain), "kept_days": str(get_settings().retention_days)}


def operated_by(domain: dict[str, Any], ask: bool = False) -> str:
    """Who runs this deployment, as one sentence: CAUNOI_ORG_NAME, or one that names nobody (never a guess);
    `ask`: unnamed, it also says whom to ask."""
    org = get_settings().org_name
    if org:
        return response_text(domain, "utter_operated_by", org=org)
    unnamed = response_text(domain, "utter_operated_by_unnamed")
    whom_to_ask = response_text(domain, "utter_operated_by_ask")
    return f"{unnamed} {whom_to_ask}" if ask else unnamed
