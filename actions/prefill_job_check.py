from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.job_check import picture_entities, prefill
from actions.job_rules import JOB_SLOTS


class ActionPrefillJobCheck(Action):
    """Starts a fresh check, filling in what the person's message already said so the form does not ask it.

    A job ad sent as a picture arrives as `/check_job_offer` with the words the gateway read in the metadata
    (`picture`, bot/gateway/attachments.py): the check starts with what the picture says."""

    def name(self) -> str:
        return "action_prefill_job_check"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        text = str(tracker.latest_message.get("text") or "")
        picture = (tracker.latest_message.get("metadata") or {}).get("picture")
        answers: dict[str, Any] = {slot: None for slot in JOB_SLOTS}
        if isinstance(picture, str) and picture.strip():
            answers.update(prefill(picture, picture_entities(picture)))
        elif not text.startswith("/"):
            answers.update(prefill(text, tracker.latest_message.get("entities") or []))
        dispatcher.utter_message(response="utter_job_check_intro")
        known = sorted(slot for slot, value in answers.items() if value is not None)
        return [*(SlotSet(slot, value) for slot, value in answers.items()),
                SlotSet("job_volunteered", known), SlotSet("job_check_stopped", False)]
