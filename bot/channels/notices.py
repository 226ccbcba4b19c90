"""The gateway's own short messages (photos, old buttons, danger while waiting…), typed.

They live in `content/<language>/gateway/messages.yml` and arrive through the one content loader
(`bot.content.gateway_texts`); this only checks that every one the channels need is there, once, at start-up.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from bot.content import ContentError, GatewayTexts

# The event of a message from a person that the channel could not read (a shape python-telegram-bot or the Zalo
# parser refuses, content no adapter knows): the webhook answers it with `unreadable` (bot/gateway/webhooks.py).
UNREADABLE = "unreadable"


@dataclass(frozen=True)
class Notes:
    degraded: str
    empty: str
    emergency: str
    # The same two for a conversation that shows the person is abroad (bot/state/whereabouts.py): the consular line
    # first.
    degraded_abroad: str
    emergency_abroad: str
    # Rasa slow but answering (bot/gateway/dispatch.py): wait a little, and the numbers for someone in danger.
    holding: str
    holding_abroad: str
    text_only: str
    # Pictures and voice notes (bot/gateway/attachments.py).
    picture_read: str
    picture_unreadable: str
    picture_too_large: str
    voice_in_bot: str
    voice_queued: str
    voice_queued_abroad: str
    attachment_kept: str
    attachment_kept_voice: str
    attachment_failed: str
    private_only: str
    button_expired: str
    choose_by_number: str
    more_choices: str  # Zalo: the text over buttons beyond the first message's five
    location_button: str
    location_request: str
    location_hint_zalo: str
    location_hint_web: str
    location_unreadable: str
    # A message the gateway could not read at all: it says so, with the emergency numbers (the consular line first
    # for someone abroad), since nobody knows what it said.
    unreadable: str
    unreadable_abroad: str
    # Telegram, after an erase: what the bot deleted from the chat itself (bot/channels/telegram_cleanup.py).
    chat_deleted: str
    chat_deleted_bot: str
    chat_deleted_person: str
    chat_and: str
    chat_not_deleted: str
    chat_rest: str

    @classmethod
    def from_texts(cls, texts: GatewayTexts) -> Notes:
        values = {"degraded": texts.degraded, "empty": texts.empty, **texts.extra}
        missing = [item.name for item in fields(cls) if not str(values.get(item.name) or "").strip()]
        if missing:
            raise ContentError(f"gateway/messages.yml lacks {', '.join(missing)}")
        return cls(**{item.name: str(values[item.name]).strip() for item in fields(cls)})
