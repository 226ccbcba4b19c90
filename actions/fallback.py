from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.common import latest_entity, user_intents
from actions.find_service import ActionFindService


class ActionFallback(Action):
    """Not understood: ask to rephrase once; from the second time in a row, offer the menu and a human.

    A message that names a kind of help ("con tôi muốn đi học lại": schooling) is a search for it even when the
    classifier is unsure of the intent: asking such a person to say it again would lose them.
    """

    def name(self) -> str:
        return "action_fallback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        if latest_entity(tracker, "service_type"):
            return await ActionFindService().run(dispatcher, tracker, domain)
        in_a_row = 0
        for intent in reversed(user_intents(tracker)):
            if intent != "nlu_fallback":
                break
            in_a_row += 1
        dispatcher.utter_message(response="utter_default" if in_a_row <= 1 else "utter_offer_human")
        return []
