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
    user_intents,
    user_texts,
)
from actions.job_check import red_flags, verdict
from actions.prefill_job_check import JOB_SLOTS


class ActionJobVerdict(Action):
    """The verdict with each red flag explained and the next steps; signs of trafficking already happening escalate."""

    def name(self) -> str:
        return "action_job_verdict"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        slots = {slot: tracker.get_slot(slot) for slot in JOB_SLOTS}
        flags = red_flags(slots)
        dispatcher.utter_message(response=f"utter_job_verdict_{verdict(flags)}")
        for flag in flags:
            dispatcher.utter_message(response=f"utter_flag_{flag}")
        dispatcher.utter_message(response="utter_job_next_steps")
        await count_for_campaign(tracker, "job_check")
        await answered_for_campaign(tracker)
        if slots["job_country"] == dialogue()["job_check"]["korea"]:
            dispatcher.utter_message(response="utter_job_next_steps_korea")
        events: list[EventType] = [SlotSet(slot, None) for slot in JOB_SLOTS]
        risk = conversation_risk().of(user_texts(tracker), [i for i in user_intents(tracker) if i])
        if risk.level == "high" and not tracker.get_slot("escalated"):
            events.append(FollowupAction("action_escalate"))
        return events
