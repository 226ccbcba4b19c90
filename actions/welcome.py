from __future__ import annotations

import logging
from typing import Any

import redis
from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import campaign_code, campaigns
from bot.campaigns import Campaign, today

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
    """First contact gets the full welcome (with a campaign's own greeting first); later greetings a short one."""

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
        dispatcher.utter_message(response="utter_welcome" if first_contact or campaign else "utter_greet")
        return events
