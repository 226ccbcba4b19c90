from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.job_check import NO, UNKNOWN, YES, answer, is_stop
from actions.job_rules import JOB_SLOTS, QUESTIONS, questions

REQUESTED = "requested_slot"


class ValidateJobOfferForm(Action):
    """Takes every answer in the person's own words, whatever intent the NLU saw: the asked question gets a value
    ("unknown" when the words answer nothing), anything else the answer says fills its question too, and the next
    question is chosen here — never one already answered, at most six in all. "Thôi" ends the check."""

    def name(self) -> str:
        return "validate_job_offer_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        slots: dict[str, Any] = {slot: tracker.get_slot(slot) for slot in JOB_SLOTS}
        asked = tracker.get_slot(REQUESTED)
        events: list[EventType] = []
        if asked in QUESTIONS:
            text = str(tracker.latest_message.get("text") or "")
            if is_stop(text):
                return [SlotSet("job_check_stopped", True), SlotSet(REQUESTED, None)]
            intent = str((tracker.latest_message.get("intent") or {}).get("name") or "")
            for slot, value in answer(asked, text, intent, tracker.latest_message.get("entities") or []).items():
                # The asked question takes the answer; others only fill a gap, or learn of a warning sign.
                if slot == asked or slots.get(slot) in (None, UNKNOWN) or (slots.get(slot) == NO and value == YES):
                    slots[slot] = value
                    events.append(SlotSet(slot, value))
        remaining = questions(slots, tracker.get_slot("job_prefilled") or [])
        # job_check_stopped tells the rules a finished check (verdict) from one the person left (goodbye).
        return [*events, SlotSet("job_check_stopped", False), SlotSet(REQUESTED, remaining[0] if remaining else None)]
