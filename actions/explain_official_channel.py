from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from bot.campaign_material import LinkUnavailable, official_bot
from bot.settings import get_settings


class ActionExplainOfficialChannel(Action):
    """"Is this the real channel?": what the bot is and the signs of a fake, then, on Telegram, the official username
    to compare with the name shown at the top of the chat (the one printed on outreach material)."""

    def name(self) -> str:
        return "action_explain_official_channel"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        dispatcher.utter_message(response="utter_bot_challenge")
        metadata = tracker.latest_message.get("metadata") or {}
        if isinstance(metadata, dict) and metadata.get("channel") == "telegram":
            try:
                bot = official_bot(get_settings().telegram_bot_username)
            except LinkUnavailable:  # no username configured: the signs of a fake are the whole answer
                return []
            dispatcher.utter_message(response="utter_official_channel", bot=bot)
        return []
