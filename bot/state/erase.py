"""Deleting everything stored about one conversation, when the person asks ("xóa dữ liệu", /xoa).

The delete action cannot do it itself: Rasa saves the whole tracker again at the end of that very turn. So the
action says it in its answer (`ERASE_PAYLOAD`, a custom payload Rasa passes on to the gateway and no channel shows),
and the gateway erases right after that turn's replies are out (bot/gateway/dispatch.py): no turn asks Redis whether
an erase was requested. The action also notes the request here, with its time: if the gateway never sees the answer
(it gave up waiting for Rasa, or died mid-turn), the scheduled purge (bot/state/retention.py) erases the
conversation once that turn is long over (`unanswered_requests`); only the Telegram chat's own messages stay then,
as deleting them needs the gateway's bot.
"""

from __future__ import annotations

import time

import redis.asyncio

from bot.state import keys
from bot.state.followups import cancel_conversation as cancel_follow_ups

ERASE_PAYLOAD = {"erase": True}
UNANSWERED_AFTER_SECONDS = 300  # far beyond any turn: Rasa has saved the tracker for the last time by then


async def request_erase(client: redis.asyncio.Redis, conversation_id: str) -> None:
    await client.zadd(keys.ERASE_REQUESTS, {conversation_id: time.time()})


async def unanswered_requests(client: redis.asyncio.Redis, now: float, limit: int = 500) -> list[str]:
    """Conversations whose erase was requested more than `UNANSWERED_AFTER_SECONDS` before `now` and not done."""
    found: list[str] = await client.zrangebyscore(keys.ERASE_REQUESTS, "-inf", now - UNANSWERED_AFTER_SECONDS,
                                                  start=0, num=limit)
    return found


def conversation_keys(conversation_id: str) -> list[str]:
    """Every key that can hold something about the conversation (the channel modules add theirs to bot.state.keys)."""
    return [
        keys.rasa_tracker(conversation_id),
        keys.rasa_lock(conversation_id),
        keys.transcript(conversation_id),
        keys.attachments(conversation_id),
        keys.case(conversation_id),
        keys.conversation_mode(conversation_id),
        keys.dev_outbox(conversation_id),
        keys.buttons(conversation_id),
        keys.choices(conversation_id),
        *(keys.noted(conversation_id, note) for note in keys.NOTES),
        keys.assignee(conversation_id),
        keys.case_notes(conversation_id),
        keys.handoffs(conversation_id),
        keys.notices(conversation_id),
        keys.answered(conversation_id),
        keys.follow_ups(conversation_id),
        keys.follow_up_asked(conversation_id),
        keys.referral_pending(conversation_id),
    ]


# Messages still waiting to be processed and the lock of the worker processing them: they are the turn under way
# (or newer messages), not stored history, and the worker needs them to finish in order.
IN_FLIGHT = frozenset({"inbox", "inbox-lock"})


async def erase(client: redis.asyncio.Redis, conversation_id: str) -> int:
    """Deletes the conversation's data; returns how many keys held something.

    Besides the keys this module knows, every key under the conversation's prefix goes, so a key added later by
    another module is never left behind.
    """
    prefix = keys.conversation_prefix(conversation_id)
    pattern = "".join("\\" + char if char in "*?[]\\" else char for char in prefix) + "*"
    found = {key async for key in client.scan_iter(match=pattern, count=500)
             if key[len(prefix):] not in IN_FLIGHT}
    await cancel_follow_ups(client, conversation_id)  # their due times are in a set shared by every conversation
    # The conversation's referrals (bot/state/referrals.py) go with it, and so do their ids in the indexes.
    referrals = [key[len(prefix) + len(keys.REFERRAL_KEY_PART):] for key in found
                 if key[len(prefix):].startswith(keys.REFERRAL_KEY_PART)]
    async with client.pipeline(transaction=True) as pipe:
        if referrals:
            pipe.zrem(keys.REFERRALS, *referrals)
            pipe.hdel(keys.REFERRAL_HOME, *referrals)
            pipe.zrem(keys.REFERRAL_CONSENT_DUE, *referrals)
        pipe.zrem(keys.QUEUE, conversation_id)
        pipe.zrem(keys.HELD, conversation_id)
        pipe.zrem(keys.RETENTION, conversation_id)  # nothing left to purge later
        pipe.zrem(keys.ERASE_REQUESTS, conversation_id)  # done
        pipe.delete(*found.union(conversation_keys(conversation_id)))
        *_, removed_from_queue, removed_from_held, _, _, deleted = await pipe.execute()
    return int(deleted) + int(removed_from_queue) + int(removed_from_held)
