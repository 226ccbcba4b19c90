"""Who holds a conversation (the bot, the queue or a human) and the risk-ordered queue of people waiting.

State lives in Redis, never in Rasa: a paused Rasa tracker still parses messages and a new session silently
unpauses it. Each conversation is `bot`, `waiting` or `human`. The queue is one sorted set whose score puts higher
risk first and, within a risk level, whoever has waited longest. Escalating twice never loses a person's place;
it can only move them up when the risk grew.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Literal

import redis.asyncio

from bot import keys

Mode = Literal["bot", "waiting", "human"]
RISK_ORDER = ("none", "low", "medium", "high")
# Score = (3 - risk rank) * BAND + enqueue time in ms: high risk sorts first, then the longest wait.
BAND = 10**13

_ENQUEUE = """
local mode = redis.call('GET', KEYS[1])
if mode == 'human' then
  return {-1, mode}
end
redis.call('SET', KEYS[1], 'waiting')
local existing = redis.call('ZSCORE', KEYS[2], ARGV[1])
local score = tonumber(ARGV[2])
if existing then
  local since = tonumber(existing) % tonumber(ARGV[4])
  score = tonumber(ARGV[3]) * tonumber(ARGV[4]) + since
  if score < tonumber(existing) then
    redis.call('ZADD', KEYS[2], score, ARGV[1])
    redis.call('HSET', KEYS[3], 'risk', ARGV[5], 'reasons', ARGV[6], 'summary', ARGV[7])
  end
else
  redis.call('ZADD', KEYS[2], score, ARGV[1])
  redis.call('HSET', KEYS[3], 'channel', ARGV[8], 'risk', ARGV[5], 'reasons', ARGV[6], 'summary', ARGV[7],
             'campaign', ARGV[9], 'enqueued_at', ARGV[10])
end
return {redis.call('ZRANK', KEYS[2], ARGV[1]) + 1, 'waiting'}
"""


@dataclass(frozen=True)
class Case:
    """What an operator needs to pick a conversation from the queue, and nothing more."""

    conversation_id: str
    channel: str
    risk: str
    reasons: tuple[str, ...] = ()
    summary: str = ""
    campaign: str = ""
    enqueued_at: float = field(default_factory=time.time)


def score(risk: str, enqueued_at: float) -> int:
    return (3 - RISK_ORDER.index(risk)) * BAND + int(enqueued_at * 1000)


class HandoffQueue:
    def __init__(self, client: redis.asyncio.Redis):
        self._redis = client
        self._enqueue = client.register_script(_ENQUEUE)

    async def mode(self, conversation_id: str) -> Mode:
        value = await self._redis.get(keys.conversation_mode(conversation_id))
        if value == "waiting":
            return "waiting"
        return "human" if value == "human" else "bot"

    async def enqueue(self, case: Case) -> int | None:
        """Puts the conversation in the queue (or raises its priority); its 1-based place, None if a human holds it."""
        if case.risk not in RISK_ORDER:
            raise ValueError(f"unknown risk level {case.risk!r}")
        place, _ = await self._enqueue(
            keys=[keys.conversation_mode(case.conversation_id), keys.QUEUE, keys.case(case.conversation_id)],
            args=[case.conversation_id, score(case.risk, case.enqueued_at), 3 - RISK_ORDER.index(case.risk), BAND,
                  case.risk, json.dumps(list(case.reasons), ensure_ascii=False), case.summary, case.channel,
                  case.campaign, f"{case.enqueued_at:.3f}"],
        )
        return None if int(place) < 0 else int(place)

    async def place(self, conversation_id: str) -> int | None:
        rank = await self._redis.zrank(keys.QUEUE, conversation_id)
        return None if rank is None else int(rank) + 1

    async def waiting(self) -> list[Case]:
        """Everyone waiting, highest priority first."""
        ids = await self._redis.zrange(keys.QUEUE, 0, -1)
        cases = []
        for conversation_id in ids:
            data = await self._redis.hgetall(keys.case(conversation_id))
            cases.append(Case(conversation_id, data.get("channel", ""), data.get("risk", "none"),
                              tuple(json.loads(data.get("reasons") or "[]")), data.get("summary", ""),
                              data.get("campaign", ""), float(data.get("enqueued_at") or 0)))
        return cases

    async def forget(self, conversation_id: str) -> bool:
        """Removes the conversation from the queue and its case; it goes back to the bot. True if it was queued."""
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.zrem(keys.QUEUE, conversation_id)
            pipe.delete(keys.case(conversation_id), keys.conversation_mode(conversation_id))
            removed, _ = await pipe.execute()
        return bool(removed)
