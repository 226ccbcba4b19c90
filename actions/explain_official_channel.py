from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.common import operated_by
from bot.outreach.material import LinkUnavailable, official_bot
from bot.settings import get_settings


class ActionExplainOfficialChannel(Action):
    """"Is this the real channel?", "whose bot is this?", "are you the police?": what the bot is and who runs it
    (CAUNOI_ORG_NAME, or whom to ask), that it is not the police and rescues nobody itself, the signs of a fake; then,
    on Telegram, the official username to compare with the name at the top of the chat (as on outreach material)."""

    def name(self) -> str:
        return "action_explain_official_channel"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        dispatcher.utter_message(response="utter_bot_challenge", operated_by=operated_by(domain, ask=True))
        metadata = tracker.latest_message.get("metadata") or {}
        if isinstance(metadata, dict) and metadata.get("channel") == "telegram":
            try:
                bot = official_bot(get_settings().telegram_bot_username)
            except LinkUnavailable:  # no username configured: the signs of a fake are the whole answer
                return []
            dispatcher.utter_message(response="utter_official_channel", bot=bot)
        return []
