"""Zalo campaigns by typed code: a person's first typed message that is exactly a running campaign's code.

No Zalo OA link parameter that reaches the webhook could be verified (bot/outreach/material.py says what was
checked), so a Zalo poster says "nhắn mã CODE" instead of carrying a link with the code. When the first thing a
person types in a Zalo conversation is a running campaign's code (the whole message, any case), the gateway turns
it into what Telegram's `/start CODE` becomes: a greeting with the campaign attached, so the campaign's greeting
and counts work the same way. Anything else (a later message, a code that is disabled, ended or unknown, a code
inside a sentence) goes to the bot as the text it is.
"""

from __future__ import annotations

import logging
from dataclasses import replace

import redis
import redis.asyncio

from bot.messages import Inbound
from bot.state.campaigns import CampaignStore, today
from bot.state.transcript import Transcript

log = logging.getLogger(__name__)
LOOKED_AT = 50  # transcript entries read to decide "first": the code arrives early or not at all


def may_be_typed_code(inbound: Inbound) -> bool:
    """Whether `with_typed_campaign` has anything to look up for this message (a Zalo person's typed text)."""
    return inbound.channel == "zalo" and not inbound.intent and not inbound.button and inbound.location is None \
        and not inbound.attachment and bool(inbound.text.strip())


async def with_typed_campaign(client: redis.asyncio.Redis, transcript: Transcript, inbound: Inbound) -> Inbound:
    """`inbound` as a campaign greeting when it is a Zalo person's first typed message and a running campaign's code;
    else unchanged. Call it after the message is in the transcript."""
    if not may_be_typed_code(inbound):
        return inbound
    try:
        campaign = await CampaignStore(client).running_by_typed_code(inbound.text, today())
        if campaign is None or not await first_typed(transcript, inbound.conversation_id):
            return inbound
    except redis.RedisError as error:  # the message still reaches the bot, as text
        log.warning("typed campaign lookup failed reason=%s", type(error).__name__)
        return inbound
    return replace(inbound, intent="/greet", campaign=campaign.code)


async def first_typed(transcript: Transcript, conversation_id: str) -> bool:
    """Whether the message just recorded is the first the person typed or sent here (a Zalo `follow` is recorded as
    a command and does not count)."""
    entries = await transcript.read(conversation_id, 0, LOOKED_AT)
    if len(entries) > LOOKED_AT:
        return False
    return sum(1 for entry in entries if entry.get("from") == "person" and entry.get("kind") != "command") == 1
