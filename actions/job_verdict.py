from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import (
    answered_for_campaign,
    conversation_risk,
    count_for_campaign,
    dialogue,
    user_texts,
)
from actions.job_rules import JOB_SLOTS, red_flags, scope, unknowns, verdict


class ActionJobVerdict(Action):
    """The verdict with each red flag explained, what is still unknown, and where to check and complain; signs of
    trafficking already happening escalate."""

    def name(self) -> str:
        return "action_job_verdict"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        slots = {slot: tracker.get_slot(slot) for slot in JOB_SLOTS}
        flags = red_flags(slots)
        unknown = unknowns(slots)
        dispatcher.utter_message(response=f"utter_job_verdict_{verdict(flags, len(unknown))}")
        for flag in flags:
            dispatcher.utter_message(response=f"utter_flag_{flag}")
        if unknown:
            dispatcher.utter_message(response="utter_job_unknowns", items="\n".join(f"• {item}" for item in unknown))
        where = scope(slots)
        dispatcher.utter_message(response=f"utter_job_next_steps_{where}")
        if where == "abroad" and slots["job_country"] == dialogue().job_check.korea:
            dispatcher.utter_message(response="utter_job_next_steps_korea")
        await count_for_campaign(tracker, "job_check")
        await answered_for_campaign(tracker)
        # job_check_stopped stays false: the rules expect it as the form left it (reset at the next check's start).
        events: list[EventType] = [SlotSet(slot, None) for slot in [*JOB_SLOTS, "job_volunteered"]]
        # The words only: inside the check a short answer ("toi ko biet") can look like distress to the classifier.
        risk = conversation_risk().of(user_texts(tracker))
        if risk.level == "high" and not tracker.get_slot("escalated"):
            events.append(FollowupAction("action_escalate"))
        return events
