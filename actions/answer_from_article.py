from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.common import answered_for_campaign, content, dialogue, latest_intent


class ActionAnswerFromArticle(Action):
    """Answers a question from the guidance article made for it, naming its sources."""

    def name(self) -> str:
        return "action_answer_from_article"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        slug = dialogue()["article_for_intent"].get(latest_intent(tracker))
        article = content().articles.get(slug) if slug else None
        if article is None:
            dispatcher.utter_message(response="utter_always_111")
            return []
        dispatcher.utter_message(text=f"{article.title}\n\n{article.body.strip()}")
        sources = "; ".join(f"{source.title} ({source.url})" for source in article.sources)
        dispatcher.utter_message(response="utter_article_sources", sources=sources)
        await answered_for_campaign(tracker)
        return []
