from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import (
    answered_for_campaign,
    content,
    count_for_campaign,
    latest_entity,
    live_directory,
    own_country,
    send,
    stored_location,
)
from actions.service_search import reply_abroad, reply_in_vietnam


def service_type_buttons() -> list[dict[str, str]]:
    """One button per kind of help in gazetteer/service_types.yml, in its order: a new type gets its button there."""
    return [{"title": kind.label, "payload": f'/find_service{{"service_type": "{kind.name}"}}'}
            for kind in content().service_types.values()]


class ActionFindService(Action):
    """Asks for what is missing (the kind of help, then where), then lists at most three verified services."""

    def name(self) -> str:
        return "action_find_service"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        service_type = latest_entity(tracker, "service_type") or tracker.get_slot("service_type")
        named_province = latest_entity(tracker, "province")
        province = named_province or tracker.get_slot("province")
        country = own_country(tracker)  # not a country named in a report about someone else
        # A place named in this message beats a point shared earlier.
        location = None if named_province else stored_location(tracker)
        # A point shared from abroad (a compound in Cambodia) is not a place to search in Vietnam.
        shared_abroad = location is not None and not content().directory.in_vietnam(location.latitude,
                                                                                       location.longitude)
        if shared_abroad or (country and not province and location is None):
            reply_abroad(dispatcher, domain, country, await live_directory())
            await count_for_campaign(tracker, "service_search")
            await answered_for_campaign(tracker)
            return []
        if not service_type:
            dispatcher.utter_message(response="utter_ask_service_type", buttons=service_type_buttons())
            return []
        if not province and location is None:
            send(dispatcher, domain, "utter_ask_where", request_location=True)
            return [SlotSet("service_type", service_type), SlotSet("awaiting_location", True)]
        reply_in_vietnam(dispatcher, domain, service_type=service_type, province=province, location=location,
                         directory=await live_directory())
        await count_for_campaign(tracker, "service_search")
        await answered_for_campaign(tracker)
        return [SlotSet("service_type", service_type), SlotSet("awaiting_location", False)]
