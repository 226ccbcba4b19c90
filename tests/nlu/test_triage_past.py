"""Past, not present (triage/indicators.yml `past`): "it happened, I am home now" is not present danger, on the real
rules, with and without diacritics; anything that says it goes on, a cry for help or a child keeps the danger."""

from __future__ import annotations

import dataclasses

import pytest

from nlu import tables
from nlu.conversation import ConversationRisk
from nlu.text import normalise
from nlu.triage import Triage
from tests.nlu.real_content import TABLE, TEENCODE, TRIAGE_RULES

RULES = TRIAGE_RULES
TRIAGE = Triage(RULES)
PAST = RULES.past.indicator


def risk_of(text: str) -> tuple[str, frozenset[str]]:
    risk = TRIAGE.assess(normalise(text, TABLE), None)
    return risk.level, risk.indicators


@pytest.mark.parametrize("message", [
    "toi tung bi ban sang TQ, gio da ve nha, co duoc boi thuong khong",
    "tôi từng bị bán sang Trung Quốc, giờ đã về nhà, có được bồi thường không",
    "toi bi giu ho chieu o cam 1 nam, da ve nuoc roi, muon duoc ho tro",
    "Em bị lừa sang Myanmar bắt làm lừa đảo, em đã được giải cứu rồi, giờ em cần học nghề",
    "hoi truoc bi danh dap o campuchia, gio an toan roi, co duoc ho tro tam ly ko",
])
def test_it_is_over_is_a_low_past_sign(message: str) -> None:
    assert risk_of(message) == ("low", frozenset({PAST}))


@pytest.mark.parametrize("message", [
    "tôi bị bán sang TQ, giờ đã về nhà nhưng em gái vẫn còn ở đó",     # someone is still there
    "toi da ve nha nhung ho van dang doa giet ca nha",                  # it goes on
    "bi danh, cuu toi voi, da ve nha",                                   # a cry for help
    "em 15 tuoi bi ban sang TQ, gio da ve nha",                          # a child: always a human
    "toi bi ban sang TQ, khong cho ve nha",                              # "về nhà" without it being over
    "họ giữ hộ chiếu của tôi",
])
def test_present_danger_keeps_its_level(message: str) -> None:
    level, indicators = risk_of(message)
    assert level == "high" and PAST not in indicators


def test_innocent_messages_get_nothing() -> None:
    assert risk_of("toi da ve nha roi, cam on ban") == ("none", frozenset())


def test_a_past_message_does_not_hide_later_danger_in_the_conversation() -> None:
    conversation = ConversationRisk(RULES, TEENCODE)
    earlier = "tôi từng bị bán sang TQ, giờ đã về nhà"
    assert conversation.of([earlier]).level == "low"
    assert conversation.of([earlier, "chồng cũ vừa tìm đến, họ đang đánh tôi"]).level == "high"


def test_without_a_past_section_the_rules_are_unchanged() -> None:
    rules = dataclasses.replace(RULES, past=tables.Past())
    text = "toi tung bi ban sang TQ, gio da ve nha"
    assert Triage(rules).assess(normalise(text, TABLE), None).level == "high"


def test_over_is_the_past_sign_without_danger_now() -> None:
    conversation = ConversationRisk(RULES, TEENCODE)
    home = conversation.of(["tôi từng bị bán sang TQ, giờ đã về nhà"], ["request_human"])
    assert conversation.over(home)
    assert not conversation.over(conversation.of(["tôi từng bị bán sang TQ, giờ đã về nhà", "họ đang đánh tôi"]))
    assert not conversation.over(conversation.of(["co duoc boi thuong khong"]))
