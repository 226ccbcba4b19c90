from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import latest_entity
from actions.job_check import FLAG_SLOTS, prefill

JOB_SLOTS = ["job_country", *FLAG_SLOTS.values(), "job_licensed_contract"]


class ActionPrefillJobCheck(Action):
    """Starts a fresh check, filling in what the person's message already said so the form does not ask it."""

    def name(self) -> str:
        return "action_prefill_job_check"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        text = str(tracker.latest_message.get("text") or "")
        answers: dict[str, Any] = {slot: None for slot in JOB_SLOTS}
        if not text.startswith("/"):
            answers.update(prefill(text))
        answers["job_country"] = latest_entity(tracker, "country")
        dispatcher.utter_message(response="utter_job_check_intro")
        return [SlotSet(slot, value) for slot, value in answers.items()]
