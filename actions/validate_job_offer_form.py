from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecutionRejected, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import conversation_risk, dialogue, user_texts
from actions.job_check import NO, UNKNOWN, YES, answer, is_stop
from actions.job_rules import JOB_SLOTS, questions
from bot.content.dialogue import QUESTIONS

REQUESTED = "requested_slot"
FORM = "job_offer_form"


class ValidateJobOfferForm(Action):
    """Takes every answer in the person's own words, whatever intent the NLU saw: the asked question gets a value
    ("unknown" when the words answer nothing), anything else the answer says fills its question too, and the next
    question is chosen here — never one already answered, at most six in all. "Thôi" ends the check.

    Danger is the one thing it does not take as an answer: words that show it (triage), or a danger intent the
    classifier is sure of, reject the form so the escalation policy and rules act as they would outside it."""

    def name(self) -> str:
        return "validate_job_offer_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        slots: dict[str, Any] = {slot: tracker.get_slot(slot) for slot in JOB_SLOTS}
        asked = tracker.get_slot(REQUESTED)
        events: list[EventType] = []
        volunteered = list(tracker.get_slot("job_volunteered") or [])
        if asked in QUESTIONS:
            text = str(tracker.latest_message.get("text") or "")
            if is_stop(text):
                return [SlotSet("job_check_stopped", True), SlotSet(REQUESTED, None)]
            if shows_danger(tracker):
                # The raw text the slot mapping put in the asked slot goes; the question stays asked.
                return [SlotSet(asked, None), ActionExecutionRejected(FORM)]
            intent = str((tracker.latest_message.get("intent") or {}).get("name") or "")
            for slot, value in answer(asked, text, intent, tracker.latest_message.get("entities") or []).items():
                # The asked question takes the answer; others only fill a gap, or learn of a warning sign.
                if slot == asked or slots.get(slot) in (None, UNKNOWN) or (slots.get(slot) == NO and value == YES):
                    slots[slot] = value
                    events.append(SlotSet(slot, value))
                    if slot != asked and slot not in volunteered:
                        volunteered.append(slot)
            if volunteered != (tracker.get_slot("job_volunteered") or []):
                events.append(SlotSet("job_volunteered", volunteered))
        remaining = questions(slots, volunteered)
        # job_check_stopped tells the rules a finished check (verdict) from one the person left (goodbye).
        return [*events, SlotSet("job_check_stopped", False), SlotSet(REQUESTED, remaining[0] if remaining else None)]


def shows_danger(tracker: Tracker) -> bool:
    if tracker.get_slot("escalated"):
        return False
    rules = dialogue().job_check
    intent = tracker.latest_message.get("intent") or {}
    sure = float(intent.get("confidence") or 0.0) >= rules.interrupt_confidence
    return (sure and intent.get("name") in rules.interrupt_intents) or \
        conversation_risk().of(user_texts(tracker)).level == "high"
