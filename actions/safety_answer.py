from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.answer_from_article import article_parts, more_buttons, questions
from actions.common import (
    answered_for_campaign,
    content,
    conversation_risk,
    dialogue,
    latest_intent,
    send,
    whereabouts,
)
from bot.content.dialogue import placed


class ActionSafetyAnswer(Action):
    """Answers a sign that needs no human by itself (fear of the police, a watched phone, a question on labour
    trafficking; content/vi/dialogue.yml `answer_for_sign`), chosen by the escalation policy."""

    def name(self) -> str:
        return "action_safety_answer"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        text = str(tracker.latest_message.get("text") or "")
        signs = conversation_risk().of([text]).indicators
        sign = conversation_risk().triage.answered(signs, latest_intent(tracker))
        answer = dialogue().answer_for_sign.get(sign) if sign else None
        article = content().articles.get(answer.article) if answer and answer.article else None
        if answer and answer.response:
            send(dispatcher, domain, placed(answer.response, whereabouts(tracker)[0]), protect=True)
        elif article is not None:
            place = questions().find(text, prefer=article.slug)
            section = (article.section(place[1]) if place and place[0] == article.slug else None) or article.lead
            # Shown as a safety message: protected from forwarding, and deleted from the chat by /xoa.
            dispatcher.utter_message(json_message={"text": "\n\n".join(article_parts(domain, article, section)),
                                                   "buttons": more_buttons(article, section),
                                                   "protect_content": True})
        else:  # the policy and this action read the same rules: only stale content gets here
            dispatcher.utter_message(response="utter_always_111")
            return []
        await answered_for_campaign(tracker)
        return []
