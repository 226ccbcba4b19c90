from __future__ import annotations

import logging
from typing import Any

import redis
from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import campaign_code, campaigns, welcome_facts, whereabouts
from bot.state.campaigns import Campaign, today

log = logging.getLogger(__name__)


async def running_campaign(code: str | None) -> Campaign | None:
    """The campaign of the link the person came through, while it runs; None for no, unknown or ended ones."""
    if code is None:
        return None
    try:
        campaign = await campaigns().get(code)
    except (redis.RedisError, OSError) as error:  # the welcome matters more than the campaign
        log.warning("campaign lookup failed reason=%s", type(error).__name__)
        return None
    return campaign if campaign and campaign.running(today()) else None


class ActionWelcome(Action):
    """First contact gets the full welcome (with a campaign's own greeting first); later greetings a short one.

    The welcome names who runs the deployment (CAUNOI_ORG_NAME), how long the conversation is kept
    (CAUNOI_RETENTION_DAYS, said up front: ASVS 8.3.3) and the numbers for both places; when the first
    message already shows the person is abroad (a country, a GPS point outside Vietnam) the consular line comes first.
    """

    def name(self) -> str:
        return "action_welcome"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        events: list[EventType] = []
        campaign = await running_campaign(campaign_code(tracker))
        if campaign:
            events.append(SlotSet("campaign", campaign.code))
            if campaign.greeting:
                dispatcher.utter_message(text=campaign.greeting)
            try:
                await campaigns().count(campaign.code, "started", today())
            except (redis.RedisError, OSError) as error:
                log.warning("campaign count failed metric=started reason=%s", type(error).__name__)
        first_contact = not any(event.get("event") == "bot" for event in tracker.events)
        if not (first_contact or campaign):
            dispatcher.utter_message(response="utter_greet")
            return events
        abroad = whereabouts(tracker)[0] == "abroad"
        dispatcher.utter_message(response="utter_welcome_abroad" if abroad else "utter_welcome",
                                 **welcome_facts(domain))
        return events
