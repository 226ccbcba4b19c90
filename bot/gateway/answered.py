"""Per-message idempotency: a message's replies go out once, however often its turn is run.

The inbox runs a message at least once: a worker that dies, loses Redis or loses its lock mid-turn leaves the
message first in the inbox, and it is run again. Before a turn sends its replies it claims the message here (HSETNX
on the conversation's `answered` hash, one round trip); a turn that finds the message already claimed sends nothing,
and a turn that starts on a claimed message does not ask Rasa again. That is the fencing at the only write that
cannot be taken back (a message in the person's chat): two workers that both believe they hold a conversation (a
lock that expired under a stalled loop) cannot both answer the same message. The price: a worker that dies between
its claim and the Bot API call leaves that turn unanswered rather than answered twice (the transcript shows the
operator the message either way).

Entries are message ids only (no text), kept as long as the inbox's dedupe (48 h) and erased with the conversation.
"""

from __future__ import annotations

import redis.asyncio

from bot.state import keys

KEEP_SECONDS = 48 * 3600  # as long as a redelivered update is recognised (bot/gateway/inbox.py SEEN_TTL_SECONDS)

_CLAIM = """
if redis.call('HSETNX', KEYS[1], ARGV[1], '1') == 0 then return 0 end
redis.call('EXPIRE', KEYS[1], ARGV[2])
return 1
"""


class Answered:
    def __init__(self, client: redis.asyncio.Redis):
        self._redis = client
        self._claim = client.register_script(_CLAIM)

    async def already(self, conversation_id: str, message_id: str) -> bool:
        """The message's replies went out in an earlier run of its turn."""
        return bool(await self._redis.hexists(keys.answered(conversation_id), message_id))

    async def claim(self, conversation_id: str, message_id: str) -> bool:
        """True for the one run that may send the message's replies; False when another already did."""
        return bool(await self._claim(keys=[keys.answered(conversation_id)], args=[message_id, KEEP_SECONDS]))
