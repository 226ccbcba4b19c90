from __future__ import annotations

import logging
from typing import Any

import redis
from rasa_sdk import Action, Tracker
from rasa_sdk.events import AllSlotsReset, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import dialogue, latest_intent, redis_client
from bot.privacy import log_id
from bot.state.erase import ERASE_PAYLOAD, request_erase
from bot.state.queue import HandoffQueue

log = logging.getLogger(__name__)


class ActionDeleteMyData(Action):
    """After the person's answer to "delete everything?": a yes erases it all and says what was deleted; a no keeps
    everything. The gateway erases, right after this turn's replies (bot/state/erase.py): the answer tells it so."""

    def name(self) -> str:
        return "action_delete_my_data"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        if latest_intent(tracker) != "affirm":
            dispatcher.utter_message(response="utter_delete_cancelled")
            return [SlotSet("confirming_delete", False)]
        labels = dialogue().deleted
        messages = sum(1 for event in tracker.events if event.get("event") in ("user", "bot"))
        what = [labels.messages.format(count=messages)] if messages else []
        if tracker.get_slot("location"):
            what.append(labels.location)
        if tracker.get_slot("campaign"):
            what.append(labels.campaign)
        try:
            client = redis_client()
            if await HandoffQueue(client).place(tracker.sender_id) is not None:
                what.append(labels.queue)
            await request_erase(client, tracker.sender_id)
        except (redis.RedisError, OSError) as error:
            log.error("erase request failed conversation=%s reason=%s", log_id(tracker.sender_id),
                      type(error).__name__)
            dispatcher.utter_message(response="utter_delete_failed")
            return [SlotSet("confirming_delete", False)]
        dispatcher.utter_message(response="utter_deleted", what=", ".join(what) or labels.nothing)
        dispatcher.utter_message(json_message=ERASE_PAYLOAD)
        return [AllSlotsReset(), SlotSet("confirming_delete", False)]
