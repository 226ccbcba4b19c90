from __future__ import annotations

import logging
from typing import Any

import redis
from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import (
    REPORT_INTENT,
    conversation_risk,
    count_for_campaign,
    dialogue,
    latest_intent,
    redis_client,
    send,
    user_intents,
    user_texts,
    whereabouts,
)
from bot.content.dialogue import placed
from bot.privacy import log_id
from bot.settings import get_settings
from bot.state.queue import Case, HandoffQueue

log = logging.getLogger(__name__)
PHONE_SIGNS = frozenset({"phone_watched", "phone_hide"})
REPORT_TEXT = "utter_safety_third_party"
DANGER_TEXTS = {"abroad": "utter_safety_abroad", "vietnam": "utter_safety_vietnam"}


def summary(intents: list[str], where: tuple[str, str | None], reasons: tuple[str, ...], turns: int,
            channel: str) -> str:
    """One paragraph for the operator, from what the bot understood — never the person's own words."""
    text = dialogue().summary
    known = [text.intents[intent] for intent in dict.fromkeys(intents) if intent in text.intents]
    place, name = where
    parts = known or [text.default]
    if place == "abroad":
        parts.append(text.where_abroad.format(country=name or "?"))
    elif place == "vietnam" and name:
        parts.append(text.where_province.format(province=name))
    else:
        parts.append(text.where_unknown)
    if reasons:
        parts.append(text.signs.format(reasons="; ".join(reasons)))
    parts.append(text.turns.format(count=turns, channel=channel))
    return ". ".join(parts) + "."


def safety_response(signs: frozenset[str], where: str, report: bool) -> str:
    """The safety message the signs call for (content/vi/dialogue.yml `safety_for_sign`, first match), else the
    plain danger message for the place; for a report about someone else, its own message unless a sign overrides it."""
    for rule in dialogue().safety_for_sign:
        if signs & set(rule.signs) and (rule.over_report or not report):
            return placed(rule.response, where)
    return REPORT_TEXT if report else DANGER_TEXTS.get(where, "utter_safety_unknown")


class ActionEscalate(Action):
    """The safety message that fits where the person is, then a place in the human queue, ordered by risk."""

    def name(self) -> str:
        return "action_escalate"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        intent = latest_intent(tracker)
        where = whereabouts(tracker)
        intents = [i for i in user_intents(tracker) if i]
        risk = conversation_risk().of(user_texts(tracker), intents)
        # Someone who said it is over ("giờ đã về nhà") and asks for a person gets no emergency text (issue #16).
        safety = safety_response(risk.indicators, where[0], intent == REPORT_INTENT)
        if not conversation_risk().over(risk):
            send(dispatcher, domain, safety, protect=True)
        if PHONE_SIGNS & risk.indicators:
            send(dispatcher, domain, "utter_phone_tip", protect=True)

        level = risk.level if risk.level != "none" else "low"
        channel = tracker.get_latest_input_channel() or "web"
        case = Case(tracker.sender_id, channel, level, risk.reasons,
                    summary(intents, where, risk.reasons, len(intents), channel), tracker.get_slot("campaign") or "",
                    urgent=bool(risk.indicators & conversation_risk().triage.urgent),
                    # What the team routing rules read (bot/state/teams.py): where in Vietnam, what help was asked.
                    province=(where[1] or "") if where[0] == "vietnam" else "",
                    service_type=tracker.get_slot("service_type") or "")
        events: list[EventType] = [SlotSet("escalated", True)]
        if tracker.active_loop.get("name"):
            events += [ActiveLoop(None), SlotSet("requested_slot", None)]
        try:
            place = await HandoffQueue(redis_client()).enqueue(case)
        except (redis.RedisError, OSError) as error:
            log.error("escalation failed conversation=%s reason=%s", log_id(tracker.sender_id), type(error).__name__)
            dispatcher.utter_message(response="utter_escalation_failed")
            return events  # the person must call: no question after that
        if not tracker.get_slot("escalated"):  # once per handoff, however often the person asks again
            await count_for_campaign(tracker, "escalated")
        log.info("escalated conversation=%s risk=%s urgent=%s place=%s", log_id(tracker.sender_id), level,
                 case.urgent, place)
        if place is not None:
            minutes = place * get_settings().minutes_per_waiting  # a rough figure, said as such ("khoảng")
            # A child was spoken to as "em" by the safety text: the queue line keeps the same voice.
            queued = "utter_escalated_minor" if "minor_self" in risk.indicators else "utter_escalated"
            dispatcher.utter_message(response=queued, place=place, minutes=minutes)
        if safety == REPORT_TEXT:  # what would help, as the reporter's choice (not to a child writing of themself)
            dispatcher.utter_message(response="utter_third_party_ask")
        return events
