from __future__ import annotations

import functools
import json
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.common import (
    answered_for_campaign,
    content,
    conversation_risk,
    dialogue,
    latest_entity,
    latest_intent,
    response_text,
)
from bot.content.models import Article, Section
from bot.content.questions import Questions

# "Xem thêm" buttons ask for an article the way a question does: this intent's rule runs this action, and the
# entities `article` and `section` say which one (domain/articles.yml).
READ_INTENT = "ask_support_policy"


def payload(slug: str, section_id: str = "") -> str:
    entities = {"article": slug, **({"section": section_id} if section_id else {})}
    return f"/{READ_INTENT}{json.dumps(entities, ensure_ascii=False)}"


@functools.lru_cache(maxsize=1)
def questions() -> Questions:
    return Questions(content().articles, content().teencode)


def article_parts(domain: dict[str, Any], article: Article, section: Section) -> list[str]:
    """A section as a person reads it: its heading, its text and its source in one line."""
    heading = article.title if section.id == "" else section.title
    return [heading, section.text,
            response_text(domain, "utter_article_sources", sources=article.source_of(section).line)]


def more_buttons(article: Article, shown: Section) -> list[dict[str, str]]:
    """The article's overview and other sections, then a "xem thêm" button for each related article."""
    articles = content().articles
    overview = [{"title": article.button, "payload": payload(article.slug)}] if shown.id else []
    buttons = overview + [{"title": section.title, "payload": payload(article.slug, section.id)}
                          for section in article.parts if section.id != shown.id]
    label = dialogue().articles.more
    buttons += [{"title": label.format(title=articles[slug].button), "payload": payload(slug)}
                for slug in article.related if slug in articles]
    return buttons


class ActionAnswerFromArticle(Action):
    """Answers a question with the section of a guidance article that answers it, its source in one line, and the
    other sections and related articles as buttons."""

    def name(self) -> str:
        return "action_answer_from_article"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        found = self._wanted(tracker)
        if found is None:
            dispatcher.utter_message(response="utter_always_111")
            return []
        article, section = found
        parts = article_parts(domain, article, section)
        buttons = more_buttons(article, section)
        if self._happened_before(tracker):
            # In the same message: Zalo and the web number only the last message's buttons, so a second message
            # with a button of its own would make the section buttons unreachable.
            parts.append(response_text(domain, "utter_article_offer_human"))
            buttons = [*domain["responses"]["utter_article_offer_human"][0]["buttons"], *buttons]
        dispatcher.utter_message(text="\n\n".join(parts), buttons=buttons)
        await answered_for_campaign(tracker)
        return []

    @staticmethod
    def _wanted(tracker: Tracker) -> tuple[Article, Section] | None:
        articles = content().articles
        asked = latest_entity(tracker, "article")
        if asked is not None and asked in articles:  # a button: exactly what it names
            article = articles[asked]
            return article, article.section(latest_entity(tracker, "section") or "") or article.lead
        mapped = dialogue().article_for_intent.get(latest_intent(tracker))
        place = questions().find(str(tracker.latest_message.get("text") or ""), prefer=mapped)
        if place is not None:
            article = articles[place[0]]
            return article, article.section(place[1]) or article.lead
        if mapped is not None and mapped in articles:
            return articles[mapped], articles[mapped].lead
        return None

    @staticmethod
    def _happened_before(tracker: Tracker) -> bool:
        """The person says it happened and is over ("giờ đã về nhà"): a human is offered, not the emergency text."""
        risk = conversation_risk()
        return risk.over(risk.of([str(tracker.latest_message.get("text") or "")]))
