from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import (
    answered_for_campaign,
    content,
    count_for_campaign,
    dialogue,
    latest_entity,
    live_directory,
    send,
    shared_location,
    user_turns,
)
from actions.service_search import reply_abroad, reply_in_vietnam, suggestions


def kind_named_just_before(tracker: Tracker) -> bool:
    """The person's previous message named a kind of help ("trợ giúp pháp lý", read as a question about rights):
    a place or point sent right after it asks for that help there, not for a menu."""
    turns = list(user_turns(tracker))
    if len(turns) < 2 or not tracker.get_slot("service_type"):
        return False
    entities = (turns[-2].get("parse_data") or {}).get("entities") or []
    return any(entity.get("entity") == "service_type" for entity in entities)


class ActionHandleLocation(Action):
    """A place name or a shared GPS point: remembered, and used at once when the bot was waiting for it.

    A point outside Vietnam means the person is abroad: the consular line comes first. A name the gazetteer does
    not know gets suggestions, or a request to type it again.
    """

    def name(self) -> str:
        return "action_handle_location"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        point = shared_location(tracker)
        province = latest_entity(tracker, "province")
        country = latest_entity(tracker, "country")
        events: list[EventType] = []
        if point is not None:
            events.append(SlotSet("location", {"latitude": point.latitude, "longitude": point.longitude}))
            if not content().directory.in_vietnam(point.latitude, point.longitude):
                reply_abroad(dispatcher, domain, country, await live_directory())
                await answered_for_campaign(tracker)  # the consular line is the answer abroad
                return [*events, SlotSet("awaiting_location", False)]
            province = content().directory.province_of(point.latitude, point.longitude) or province
        if country and not province and point is None:
            reply_abroad(dispatcher, domain, country, await live_directory())
            await answered_for_campaign(tracker)
            return [SlotSet("awaiting_location", False)]
        if province is None and point is None:
            return self._unknown_place(dispatcher, domain, tracker.latest_message.get("text") or "")
        if tracker.get_slot("awaiting_location") or kind_named_just_before(tracker):
            reply_in_vietnam(dispatcher, domain, service_type=tracker.get_slot("service_type"), province=province,
                             location=point, directory=await live_directory())
            await count_for_campaign(tracker, "service_search")  # the search the person started with find_service
            await answered_for_campaign(tracker)
            return [*events, SlotSet("province", province), SlotSet("awaiting_location", False)]
        place = province or dialogue().entry_lines.shared_point
        dispatcher.utter_message(response="utter_location_noted", place=place)
        return [*events, SlotSet("province", province)]

    @staticmethod
    def _unknown_place(dispatcher: CollectingDispatcher, domain: dict[str, Any], text: str) -> list[EventType]:
        found = [] if text.startswith("/") else suggestions(text)
        if found:
            buttons = [{"title": name, "payload": f'/inform_location{{"province": "{name}"}}'} for name in found]
            dispatcher.utter_message(response="utter_location_suggestions", buttons=buttons)
        else:
            send(dispatcher, domain, "utter_location_unknown", request_location=True)
        return []
