from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import content
from actions.fallback import ActionFallback
from actions.find_service import ActionFindService, service_type_buttons
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
    assert [m["response"] for m in dispatcher.messages] == ["utter_services_kind", "utter_always_111"]
    assert dispatcher.messages[0]["where"] == "ở Hà Nội"
    assert dispatcher.messages[0]["reach"] == content().service_types["shelter"].reach
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


def search(text: str, service_type: str, province: str | None = None, **slots: Any) -> Tracker:
    """A find_service message naming the kind of help (and perhaps the province), as the NLU would give it."""
    entities = [{"entity": "service_type", "value": service_type, "start": 0, "end": 1}]
    if province:
        entities.append({"entity": "province", "value": province, "start": 2, "end": 3})
    tracker = tracker_before("find", "action_find_service", text=text, entities=entities,
                             intent={"name": "find_service", "confidence": 0.9}, metadata={})
    tracker.slots.update({"province": None, "location": None, "country": None, "service_type": None, **slots})
    return tracker


async def run_search(tracker: Tracker) -> tuple[list[dict[str, Any]], list[Any]]:
    dispatcher = CollectingDispatcher()
    events = await ActionFindService().run(dispatcher, tracker, domain())
    return dispatcher.messages, events


async def test_legal_aid_in_nghe_an_without_diacritics_names_the_centre_and_the_national_line() -> None:
    messages, events = await run_search(search("o nghe an co cho nao tro giup phap ly khong", "legal_aid", "Nghệ An"))
    assert [m["response"] for m in messages] == ["utter_services_kind", "utter_services_national", "utter_always_111"]
    kind, national, _ = messages
    assert kind["where"] == "ở Nghệ An"
    assert "Trung tâm Trợ giúp pháp lý nhà nước" in kind["reach"] and "Sở Tư pháp" in kind["reach"]
    assert "☎ 1800 1233" in national["lines"]
    assert "8:00–17:00, thứ Hai–thứ Sáu, miễn phí" in national["lines"]
    assert events == [SlotSet("service_type", "legal_aid"), SlotSet("awaiting_location", False)]


async def test_the_police_in_a_province_without_entries_gives_113_and_the_commune_police() -> None:
    messages, _ = await run_search(search("tôi cần gặp công an ở Thanh Hóa", "police", "Thanh Hóa"))
    assert [m["response"] for m in messages] == ["utter_services_kind", "utter_services_national", "utter_always_111"]
    assert "công an xã/phường" in messages[0]["reach"]
    assert messages[1]["lines"].startswith("• Công an — gọi khẩn cấp (Công an)\n  ☎ 113")


async def test_local_entries_come_with_the_national_line_of_their_kind() -> None:
    messages, _ = await run_search(search("o sai gon co luat su khong", "legal_aid", "Hồ Chí Minh"))
    assert [m.get("response") for m in messages] == ["utter_services_found", None, "utter_services_national",
                                                     "utter_always_111"]
    assert "Trung tâm Trợ giúp pháp lý nhà nước Thành phố Hồ Chí Minh" in messages[1]["text"]
    assert "1800 1233" in messages[2]["lines"]


@pytest.mark.parametrize(("text", "kind", "national"), [
    ("toi bi thuong can di vien", "medical", "☎ 115"),
    ("can vay von lam an", "loan", None),
    ("con toi muon di hoc lai", "schooling", None),
    ("tôi cần trợ cấp khó khăn ban đầu", "hardship_allowance", None),
    ("cần chỗ ở tạm", "shelter", None),
    ("muốn học nghề", "vocational_training", None),
    ("tim viec lam", "employment", None),
    ("can tu van tam ly", "psychological", None),
    ("so bao ho cong dan", "embassy", "☎ +84 981 84 84 84"),
])
async def test_every_kind_of_help_gets_its_way_to_reach_it_never_no_address_alone(
        text: str, kind: str, national: str | None) -> None:
    messages, _ = await run_search(search(text, kind, "Lai Châu"))
    responses = [m["response"] for m in messages]
    assert responses[0] == "utter_services_kind" and responses[-1] == "utter_always_111"
    assert messages[0]["reach"] == content().service_types[kind].reach
    assert "utter_services_none" not in responses
    if national:
        assert responses[1] == "utter_services_national" and national in messages[1]["lines"]
    else:
        assert responses == ["utter_services_kind", "utter_always_111"]


async def test_the_kind_of_help_chosen_before_a_shared_location_survives_it() -> None:
    """"Trợ giúp pháp lý" pressed, the bot asks where, the person shares a point in Hồ Chí Minh."""
    chosen = tracker_before("find", "action_find_service", text='/find_service{"service_type": "legal_aid"}',
                            entities=[{"entity": "service_type", "value": "legal_aid"}],
                            intent={"name": "find_service", "confidence": 1.0}, metadata={})
    chosen.slots.update({"province": None, "location": None, "service_type": "legal_aid"})
    _, events = await run_search(chosen)
    assert events == [SlotSet("service_type", "legal_aid"), SlotSet("awaiting_location", True)]

    shared = tracker_before("find", "action_handle_location", metadata={"location": {"latitude": 10.78,
                                                                                   "longitude": 106.70}})
    shared.slots.update({"province": None, "location": None, "service_type": "legal_aid", "awaiting_location": True})
    dispatcher = CollectingDispatcher()
    events = await ActionHandleLocation().run(dispatcher, shared, domain())
    assert [m.get("response") for m in dispatcher.messages] == ["utter_services_found", None,
                                                                "utter_services_national", "utter_always_111"]
    assert dispatcher.messages[0]["where"] == "ở Hồ Chí Minh"
    assert dispatcher.messages[1]["text"].startswith("• Trung tâm Trợ giúp pháp lý nhà nước Thành phố Hồ Chí Minh")
    assert "Trang web: http://www.sotuphap.hochiminhcity.gov.vn/" in dispatcher.messages[1]["text"]
    assert "1800 1233" in dispatcher.messages[2]["lines"]
    assert SlotSet("awaiting_location", False) in events


async def test_a_search_after_a_point_shared_from_abroad_gives_the_consular_line_not_113() -> None:
    tracker = search("tôi cần công an", "police", location={"latitude": 10.63, "longitude": 103.52})  # Sihanoukville
    messages, _ = await run_search(tracker)
    assert messages[0]["custom"]["text"] == domain()["responses"]["utter_services_abroad_unknown"][0]["text"]
    assert all("113" not in str(message) for message in messages)


async def test_someone_in_malaysia_asking_for_help_gets_the_consular_line_first() -> None:
    tracker = search("toi dang o malaysia can giup do", "legal_aid")
    tracker.latest_message["entities"].append({"entity": "country", "value": "Malaysia", "start": 11, "end": 19})
    messages, _ = await run_search(tracker)
    assert messages[0]["custom"]["text"] == \
        domain()["responses"]["utter_services_abroad"][0]["text"].format(country="Malaysia")
    assert "+84 981 84 84 84" in messages[0]["custom"]["text"]
    assert all("1800 1233" not in str(message) and "☎ 113" not in str(message) for message in messages)


async def test_a_mother_whose_daughter_is_in_china_is_not_taken_for_someone_abroad() -> None:
    # The country was named in a report about someone else: it is the daughter's, not the mother's.
    tracker = search("toi can bao cong an", "police", country="Trung Quốc")
    report = {"event": "user", "text": "con gai toi sang trung quoc lay chong, gio mat lien lac",
              "parse_data": {"intent": {"name": "report_suspected_trafficking"},
                             "entities": [{"entity": "country", "value": "Trung Quốc", "start": 16, "end": 27}]}}
    tracker.events = [*tracker.events, report]
    messages, _ = await run_search(tracker)
    # Asked where she is (then the police of her province and 113), not sent to the consular line alone.
    [asked] = messages
    assert asked["custom"]["request_location"] is True
    assert "+84 981 84 84 84" not in asked["custom"]["text"]


def test_the_which_kind_buttons_cover_every_type_in_the_gazetteer() -> None:
    buttons = service_type_buttons()
    assert [b["title"] for b in buttons] == [kind.label for kind in content().service_types.values()]
    assert [b["payload"] for b in buttons] == [f'/find_service{{"service_type": "{name}"}}'
                                               for name in content().service_types]
    assert {"Trợ giúp pháp lý", "Đi học lại", "Trợ cấp khó khăn", "Vay vốn", "Công an"} <= {b["title"] for b in buttons}


async def test_the_which_kind_question_carries_the_buttons() -> None:
    tracker = tracker_before("find", "action_find_service", entities=[], text="/find_service",
                             intent={"name": "find_service"})
    tracker.slots["service_type"] = None
    messages, _ = await run_search(tracker)
    assert messages[0]["buttons"] == service_type_buttons()


async def test_a_message_not_understood_that_names_a_kind_of_help_is_searched_not_asked_again() -> None:
    """"con tôi muốn đi học lại" can fall below the intent threshold; the schooling it names is still searched."""
    tracker = search("con tôi muốn đi học lại", "schooling", "Quảng Trị")
    tracker.latest_message["intent"] = {"name": "nlu_fallback", "confidence": 0.3}
    dispatcher = CollectingDispatcher()
    events = await ActionFallback().run(dispatcher, tracker, domain())
    assert [m["response"] for m in dispatcher.messages] == ["utter_services_kind", "utter_always_111"]
    assert "miễn học phí" in dispatcher.messages[0]["reach"]
    assert events == [SlotSet("service_type", "schooling"), SlotSet("awaiting_location", False)]


async def test_a_message_not_understood_without_a_kind_of_help_is_still_asked_again() -> None:
    tracker = search("abc xyz", "schooling")
    tracker.latest_message.update(intent={"name": "nlu_fallback", "confidence": 0.2}, entities=[])
    dispatcher = CollectingDispatcher()
    await ActionFallback().run(dispatcher, tracker, domain())
    assert [m["response"] for m in dispatcher.messages] == ["utter_default"]


def typed_kind_then_point(named: bool) -> Tracker:
    """"tro giup phap ly" typed (read as a question about rights, so the bot was not waiting for a place), then a
    point shared in Hồ Chí Minh."""
    tracker = tracker_before("find", "action_handle_location", metadata={"location": {"latitude": 10.78,
                                                                                    "longitude": 106.70}})
    earlier = [event for event in tracker.events if event.get("event") == "user"][-2]
    earlier["text"] = "tro giup phap ly"
    earlier["parse_data"] = {"intent": {"name": "ask_support_policy", "confidence": 0.44},
                             "entities": [{"entity": "service_type", "value": "legal_aid"}] if named else []}
    tracker.slots.update({"province": None, "location": None, "service_type": "legal_aid", "awaiting_location": False})
    return tracker


async def test_a_kind_of_help_typed_just_before_a_shared_point_is_searched_there() -> None:
    dispatcher = CollectingDispatcher()
    events = await ActionHandleLocation().run(dispatcher, typed_kind_then_point(named=True), domain())
    assert [m.get("response") for m in dispatcher.messages] == ["utter_services_found", None,
                                                                "utter_services_national", "utter_always_111"]
    assert "Trung tâm Trợ giúp pháp lý nhà nước Thành phố Hồ Chí Minh" in dispatcher.messages[1]["text"]
    assert SlotSet("province", "Hồ Chí Minh") in events


async def test_a_point_shared_after_something_else_is_noted_and_offers_the_menu() -> None:
    dispatcher = CollectingDispatcher()
    await ActionHandleLocation().run(dispatcher, typed_kind_then_point(named=False), domain())
    assert [m["response"] for m in dispatcher.messages] == ["utter_location_noted"]


async def test_the_country_of_a_job_checked_is_not_taken_for_where_the_person_is() -> None:
    # A job check about work in Cambodia ("Việc ở nước nào?" answered "campuchia"), then "Tìm nơi hỗ trợ": the person
    # asking is in Vietnam as far as anyone knows, so they are asked where they are, not sent to the consular line.
    tracker = search("/find_service", "shelter", country="Campuchia")
    offer = {"event": "user", "text": "co nguoi moi di lam o nuoc ngoai luong cao",
             "parse_data": {"intent": {"name": "check_job_offer"}, "entities": []}}
    answer = {"event": "user", "text": "campuchia",
              "parse_data": {"intent": {"name": "inform"},
                             "entities": [{"entity": "country", "value": "Campuchia", "start": 0, "end": 9}]}}
    tracker.events = [*tracker.events, offer, {"event": "active_loop", "name": "job_offer_form"}, answer,
                      {"event": "active_loop", "name": None}]
    messages, _ = await run_search(tracker)
    [asked] = messages
    assert asked["custom"]["request_location"] is True
    assert "+84 981 84 84 84" not in asked["custom"]["text"]


async def test_a_person_who_says_they_are_abroad_after_a_job_check_gets_the_consular_line() -> None:
    tracker = search("toi dang o campuchia", "shelter", country="Campuchia")
    tracker.latest_message["entities"] = [{"entity": "country", "value": "Campuchia", "start": 9, "end": 20}]
    answer = {"event": "user", "text": "thai lan",
              "parse_data": {"intent": {"name": "inform"},
                             "entities": [{"entity": "country", "value": "Thái Lan", "start": 0, "end": 8}]}}
    tracker.events = [*tracker.events, {"event": "active_loop", "name": "job_offer_form"}, answer,
                      {"event": "active_loop", "name": None}]
    messages, _ = await run_search(tracker)
    assert "+84 981 84 84 84" in messages[0]["custom"]["text"]
