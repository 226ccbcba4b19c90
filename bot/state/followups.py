"""Pending follow-ups: "Bạn đã liên hệ được với … chưa?", asked once, some days after a referral the person agreed to.

A follow-up lives in two places: its record in the conversation's hash (`keys.follow_ups`, sealed JSON, under the
conversation's prefix so that erasing the conversation finds it), and its due time in one sorted set shared by every
gateway worker (`keys.FOLLOW_UPS_DUE`, member "<conversation> <referral>"). Conversation ids never hold a space.

Claiming is one script: the due members are moved `LEASE_SECONDS` into the future in the same step that reads
them, so of two workers ticking at once only one gets each follow-up. The claimer then finishes it (`done`,
`asked`) or moves it on (`postpone`); a worker that dies in between leaves the lease to run out, and the follow-up
comes due again (at most once more per lease: a question sent just before a crash may be sent twice, never lost).

Once sent, the question waits for the person's next message in `keys.follow_up_asked` (`ASKED_TTL_SECONDS`): that
message answers it or drops it (bot/gateway/followups.py), so the person is never trapped in a question.

Retention: the record expires `KEEP_AFTER_DUE_SECONDS` after its due time; a conversation erased by /xoa or by the
retention purge takes its follow-ups with it (bot/state/erase.py calls `cancel_conversation`); a member whose
record is gone is dropped when it comes due.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

import redis.asyncio

from bot.messages import channel_of
from bot.state import keys
from bot.state.sealed import Sealer, Unreadable, process_sealer

Clock = Callable[[], float]
LEASE_SECONDS = 600  # a claimed follow-up not finished by then (its worker died) comes due again
KEEP_AFTER_DUE_SECONDS = 14 * 24 * 3600  # a record left behind expires this long after it was due
ASKED_TTL_SECONDS = 7 * 24 * 3600  # an unanswered question stops being read as asked after this

# KEYS: due set. ARGV: now, how many, lease end. Due members are read and leased in one step: one claimer each.
_CLAIM = """
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
for _, member in ipairs(due) do
  redis.call('ZADD', KEYS[1], 'XX', tonumber(ARGV[3]), member)
end
return due
"""

# KEYS: due set, the conversation's records, its asked question. ARGV: conversation.
_CANCEL = """
local referrals = {}
if redis.call('TYPE', KEYS[2]).ok == 'hash' then
  referrals = redis.call('HKEYS', KEYS[2])
end
for _, referral in ipairs(referrals) do
  redis.call('ZREM', KEYS[1], ARGV[1] .. ' ' .. referral)
end
redis.call('DEL', KEYS[2], KEYS[3])
return #referrals
"""


@dataclass(frozen=True)
class FollowUp:
    referral_id: str
    conversation_id: str
    due_at: float
    postponed: int = 0  # times it was moved on because an operator held the conversation (or a turn was running)

    @property
    def member(self) -> str:
        return f"{self.conversation_id} {self.referral_id}"


@dataclass(frozen=True)
class Asked:
    """The question that went out, waiting for the person's next message."""

    referral_id: str
    organisation: str
    asked_at: float


class FollowUpStore:
    """`schedule` is the scheduler the referral's consent step calls; the gateway's tick claims and sends."""

    def __init__(self, client: redis.asyncio.Redis, sealer: Sealer | None = None, clock: Clock = time.time):
        self._redis = client
        self._sealer = sealer or process_sealer()
        self._clock = clock
        self._claim = client.register_script(_CLAIM)

    async def schedule(self, referral_id: str, conversation_id: str, due_at: float) -> None:
        """Asks the person about `referral_id` at `due_at` (epoch seconds). Scheduling it again moves it."""
        if not referral_id or " " in referral_id or " " in conversation_id:
            raise ValueError("a follow-up needs a referral id and a conversation id without spaces")
        channel_of(conversation_id)  # ValueError for anything but tg:…, zalo:…, web:…
        await self._write(FollowUp(referral_id, conversation_id, float(due_at)), float(due_at))

    async def _write(self, follow_up: FollowUp, due_at: float) -> None:
        key = keys.follow_ups(follow_up.conversation_id)
        ttl = max(1, int(due_at - self._clock() + KEEP_AFTER_DUE_SECONDS))
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(key, follow_up.referral_id, self._sealer.seal(json.dumps(asdict(follow_up))))
            pipe.expire(key, ttl, gt=True)
            pipe.expire(key, ttl, nx=True)
            pipe.zadd(keys.FOLLOW_UPS_DUE, {follow_up.member: due_at})
            await pipe.execute()

    async def due(self, now: float | None = None, limit: int = 100) -> list[FollowUp]:
        """Claims the follow-ups due at `now` (default: the clock): each is handed to one caller only, leased for
        `LEASE_SECONDS`. Members whose record is gone (expired, erased) are dropped on the way."""
        now = self._clock() if now is None else now
        members: list[str] = await self._claim(keys=[keys.FOLLOW_UPS_DUE], args=[f"{now:.3f}", limit,
                                                                                  f"{now + LEASE_SECONDS:.3f}"])
        found: list[FollowUp] = []
        for member in members:
            conversation_id, _, referral_id = member.rpartition(" ")
            follow_up = await self.get(conversation_id, referral_id) if conversation_id else None
            if follow_up is None:
                await self._redis.zrem(keys.FOLLOW_UPS_DUE, member)
            else:
                found.append(follow_up)
        return found

    async def get(self, conversation_id: str, referral_id: str) -> FollowUp | None:
        raw = await self._redis.hget(keys.follow_ups(conversation_id), referral_id)
        if not raw:
            return None
        try:
            return FollowUp(**json.loads(self._sealer.open(raw)))
        except (Unreadable, ValueError, TypeError):
            return None

    async def postpone(self, follow_up: FollowUp, until: float) -> FollowUp:
        """Not now (an operator holds the conversation, a turn is running): due again at `until`."""
        later = FollowUp(follow_up.referral_id, follow_up.conversation_id, follow_up.due_at, follow_up.postponed + 1)
        await self._write(later, until)
        return later

    async def done(self, follow_up: FollowUp) -> None:
        """Finished without asking (skipped, the referral gone): nothing more to do for it."""
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.zrem(keys.FOLLOW_UPS_DUE, follow_up.member)
            pipe.hdel(keys.follow_ups(follow_up.conversation_id), follow_up.referral_id)
            await pipe.execute()

    async def asked(self, follow_up: FollowUp, organisation: str) -> Asked:
        """The question is going out: the follow-up is done, and the person's next message may answer it."""
        asked = Asked(follow_up.referral_id, organisation, self._clock())
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.zrem(keys.FOLLOW_UPS_DUE, follow_up.member)
            pipe.hdel(keys.follow_ups(follow_up.conversation_id), follow_up.referral_id)
            pipe.set(keys.follow_up_asked(follow_up.conversation_id),
                     self._sealer.seal(json.dumps(asdict(asked), ensure_ascii=False)), ex=ASKED_TTL_SECONDS)
            await pipe.execute()
        return asked

    async def take_asked(self, conversation_id: str) -> Asked | None:
        """The question waiting for this message, if any; taken: whatever the message is, it is asked no more."""
        raw = await self._redis.getdel(keys.follow_up_asked(conversation_id))
        if not raw:
            return None
        try:
            return Asked(**json.loads(self._sealer.open(raw)))
        except (Unreadable, ValueError, TypeError):
            return None


async def cancel_conversation(client: redis.asyncio.Redis, conversation_id: str) -> int:
    """Every follow-up of the conversation, pending or asked, gone (erasure, bot/state/erase.py). Returns how many
    were pending."""
    script = client.register_script(_CANCEL)
    return int(await script(keys=[keys.FOLLOW_UPS_DUE, keys.follow_ups(conversation_id),
                                  keys.follow_up_asked(conversation_id)], args=[conversation_id]))
