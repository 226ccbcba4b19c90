from __future__ import annotations

from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.find_service import ActionFindService
from actions.handle_location import ActionHandleLocation
from actions.service_search import suggestions
from tests.actions.recorded import domain, tracker_before


async def test_a_shelter_search_without_a_place_asks_for_one_with_a_location_button() -> None:
    dispatcher = CollectingDispatcher()
    events = await ActionFindService().run(dispatcher, tracker_before("find", "action_find_service"), domain())
    assert [m["custom"] for m in dispatcher.messages] == [
        {"text": domain()["responses"]["utter_ask_where"][0]["text"], "request_location": True}]
    assert events == [SlotSet("service_type", "shelter"), SlotSet("awaiting_location", True)]


async def test_a_search_without_the_kind_of_help_asks_for_it_with_buttons() -> None:
    dispatcher = CollectingDispatcher()
    tracker = tracker_before("find", "action_find_service", entities=[], text="/find_service",
                             intent={"name": "find_service"})
    tracker.slots["service_type"] = None
    events = await ActionFindService().run(dispatcher, tracker, domain())
    assert [m["response"] for m in dispatcher.messages] == ["utter_ask_service_type"]
    assert events == []


async def test_a_shared_point_in_hanoi_searches_near_it_and_always_gives_111() -> None:
    dispatcher = CollectingDispatcher()
    events = await ActionHandleLocation().run(dispatcher, tracker_before("find", "action_handle_location"), domain())
    assert [m["response"] for m in dispatcher.messages] == ["utter_services_none", "utter_always_111"]
    assert dispatcher.messages[0]["where"] == "gần bạn"
    assert events == [SlotSet("location", {"latitude": 21.03, "longitude": 105.85}), SlotSet("province", "Hà Nội"),
                      SlotSet("awaiting_location", False)]


async def test_a_shared_point_abroad_gives_the_consular_line_first() -> None:
    dispatcher = CollectingDispatcher()
    events = await ActionHandleLocation().run(dispatcher, tracker_before("abroad", "action_handle_location"),
                                              domain())
    assert dispatcher.messages[0]["custom"]["text"] == \
        domain()["responses"]["utter_services_abroad_unknown"][0]["text"]
    assert dispatcher.messages[0]["custom"]["protect_content"] is True
    assert SlotSet("awaiting_location", False) in events


async def test_a_place_typed_in_words_in_cambodia_gives_the_consular_line() -> None:
    dispatcher = CollectingDispatcher()
    tracker = tracker_before("abroad", "action_handle_location", metadata={}, text="toi dang o sihanoukville",
                             entities=[{"entity": "country", "value": "Campuchia", "start": 11, "end": 24}])
    await ActionHandleLocation().run(dispatcher, tracker, domain())
    first = dispatcher.messages[0]["custom"]["text"]
    assert first == domain()["responses"]["utter_services_abroad"][0]["text"].format(country="Campuchia")


async def test_an_unknown_place_gets_suggestions_as_buttons() -> None:
    dispatcher = CollectingDispatcher()
    tracker = tracker_before("abroad", "action_handle_location", metadata={}, text="toi o quang ninhh", entities=[])
    await ActionHandleLocation().run(dispatcher, tracker, domain())
    assert dispatcher.messages[0]["response"] == "utter_location_suggestions"
    assert dispatcher.messages[0]["buttons"] == [
        {"title": "Quảng Ninh", "payload": '/inform_location{"province": "Quảng Ninh"}'}]


def test_suggestions_without_diacritics_and_misspelt() -> None:
    assert suggestions("o nghe an") == ["Nghệ An"]
    assert suggestions("tp ho chi min") == ["Hồ Chí Minh"]
    assert suggestions("xyz abc") == []


async def test_a_province_named_now_beats_a_point_shared_earlier() -> None:
    tracker = tracker_before("find", "action_find_service", text="o sai gon co luat su khong",
                             entities=[{"entity": "province", "value": "Hồ Chí Minh", "start": 2, "end": 9},
                                       {"entity": "service_type", "value": "legal_aid", "start": 13, "end": 19}])
    tracker.slots["location"] = {"latitude": 21.03, "longitude": 105.85}
    dispatcher = CollectingDispatcher()
    await ActionFindService().run(dispatcher, tracker, domain())
    assert dispatcher.messages[0]["response"] == "utter_services_found"
    assert dispatcher.messages[0]["where"] == "ở Hồ Chí Minh"
    assert "Trung tâm Trợ giúp pháp lý" in dispatcher.messages[1]["text"]
    assert dispatcher.messages[-1]["response"] == "utter_always_111"
