from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import campaign_code, dialogue


class ActionWelcome(Action):
    """First contact gets the full welcome (with a campaign's own greeting first); later greetings a short one."""

    def name(self) -> str:
        return "action_welcome"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        events: list[EventType] = []
        code = campaign_code(tracker)
        campaign = (dialogue().get("campaigns") or {}).get(code) if code else None
        if campaign and campaign.get("active", True):
            events.append(SlotSet("campaign", code))
            if campaign.get("greeting"):
                dispatcher.utter_message(text=str(campaign["greeting"]))
        first_contact = not any(event.get("event") == "bot" for event in tracker.events)
        dispatcher.utter_message(response="utter_welcome" if first_contact or campaign else "utter_greet")
        return events
