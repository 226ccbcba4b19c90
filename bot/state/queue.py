"""Who holds a conversation (the bot, the queue or a human) and the risk-ordered queue of people waiting.

State lives in Redis, never in Rasa: a paused Rasa tracker still parses messages and a new session silently
unpauses it. Each conversation is `bot`, `waiting` or `human`. The queue is one sorted set whose score puts higher
risk first and, within a risk level, whoever has waited longest. Escalating twice never loses a person's place;
it can only move them up when the risk grew.

Operators move a conversation on (bot/console/): `claim` (atomic: one winner), `release` (back to its old place),
`transfer`, `close` (back to the bot). Every change is published on `events_channel` from inside the same script, so the
consoles of every gateway worker hear of it, whichever process made it (the action server enqueues too).
A case's reasons and summary (what happened, where) are sealed (bot/state/sealed.py); the scripts never read them.
A new case is routed to a team's queue first by the rules of bot/state/teams.py; the case keeps the team, not the
province or service type it was routed by.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Literal

import redis.asyncio

from bot.state import keys
from bot.state.sealed import Sealer, Unreadable, process_sealer
from bot.state.teams import Routing, Teams

Mode = Literal["bot", "waiting", "human"]
RISK_ORDER = ("none", "low", "medium", "high")
# Score = (3 - risk rank) * BAND + enqueue time in ms: high risk sorts first, then the longest wait. An urgent case
# (self-harm, a medical emergency: a life at stake in minutes) gets the band below high, -1, ahead of everyone.
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
    redis.call('PUBLISH', KEYS[4], cjson.encode({type='queue', change='raised', conversation_id=ARGV[1], risk=ARGV[5]}))
  end
  -- Queued first without knowing where or what (the gateway's own paths): the escalation's routing applies.
  if ARGV[11] ~= '' and (redis.call('HGET', KEYS[3], 'team') or '') == '' then
    redis.call('HSET', KEYS[3], 'team', ARGV[11], 'routed_by', ARGV[12])
  end
else
  redis.call('ZADD', KEYS[2], score, ARGV[1])
  redis.call('HSET', KEYS[3], 'channel', ARGV[8], 'risk', ARGV[5], 'reasons', ARGV[6], 'summary', ARGV[7],
             'campaign', ARGV[9], 'enqueued_at', ARGV[10], 'team', ARGV[11], 'routed_by', ARGV[12])
  redis.call('PUBLISH', KEYS[4], cjson.encode({type='queue', change='enqueued', conversation_id=ARGV[1], risk=ARGV[5],
                                               team=ARGV[11]}))
end
return {redis.call('ZRANK', KEYS[2], ARGV[1]) + 1, 'waiting'}
"""


# KEYS: mode, queue, case, assignee, held, events. ARGV: conversation, operator, now.
_CLAIM = """
local mode = redis.call('GET', KEYS[1])
if mode ~= 'waiting' then
  return {0, mode or 'bot', redis.call('GET', KEYS[4]) or ''}
end
local score = redis.call('ZSCORE', KEYS[2], ARGV[1])
redis.call('SET', KEYS[1], 'human')
redis.call('SET', KEYS[4], ARGV[2])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZADD', KEYS[5], ARGV[3], ARGV[1])
redis.call('HSET', KEYS[3], 'operator', ARGV[2], 'claimed_at', ARGV[3])
if score then
  redis.call('HSET', KEYS[3], 'score', score)
end
redis.call('PUBLISH', KEYS[6], cjson.encode({type='queue', change='claimed', conversation_id=ARGV[1],
                                             operator=ARGV[2]}))
return {1, 'human', ARGV[2]}
"""

# KEYS: mode, queue, case, assignee, held, events. ARGV: conversation, operator, force, BAND.
_RELEASE = """
local mode = redis.call('GET', KEYS[1])
local holder = redis.call('GET', KEYS[4]) or ''
if mode ~= 'human' or (holder ~= ARGV[2] and ARGV[3] ~= '1') then
  return {0, mode or 'bot', holder}
end
local score = tonumber(redis.call('HGET', KEYS[3], 'score') or '')
if not score then
  local ranks = {none=0, low=1, medium=2, high=3}
  local rank = ranks[redis.call('HGET', KEYS[3], 'risk') or 'none'] or 0
  local since = tonumber(redis.call('HGET', KEYS[3], 'enqueued_at') or '0') or 0
  score = (3 - rank) * tonumber(ARGV[4]) + math.floor(since * 1000)
end
redis.call('SET', KEYS[1], 'waiting')
redis.call('DEL', KEYS[4])
redis.call('ZREM', KEYS[5], ARGV[1])
redis.call('HDEL', KEYS[3], 'operator', 'claimed_at')
redis.call('ZADD', KEYS[2], score, ARGV[1])
redis.call('PUBLISH', KEYS[6], cjson.encode({type='queue', change='released', conversation_id=ARGV[1],
                                             operator=holder}))
return {1, 'waiting', ''}
"""

# KEYS: mode, assignee, case, events. ARGV: conversation, from, to, force.
_TRANSFER = """
local mode = redis.call('GET', KEYS[1])
local holder = redis.call('GET', KEYS[2]) or ''
if mode ~= 'human' or (holder ~= ARGV[2] and ARGV[4] ~= '1') then
  return {0, mode or 'bot', holder}
end
redis.call('SET', KEYS[2], ARGV[3])
redis.call('HSET', KEYS[3], 'operator', ARGV[3])
redis.call('PUBLISH', KEYS[4], cjson.encode({type='queue', change='transferred', conversation_id=ARGV[1],
                                             operator=ARGV[3], previous=holder}))
return {1, 'human', ARGV[3]}
"""

# KEYS: mode, queue, case, assignee, held, events, notices. ARGV: conversation, operator, force.
_CLOSE = """
local mode = redis.call('GET', KEYS[1])
local holder = redis.call('GET', KEYS[4]) or ''
local own = mode == 'human' and holder == ARGV[2]
local forced = ARGV[3] == '1' and (mode == 'human' or mode == 'waiting')
if not (own or forced) then
  return {0, mode or 'bot', holder, {}}
end
local case = redis.call('HGETALL', KEYS[3])
redis.call('DEL', KEYS[1], KEYS[3], KEYS[4], KEYS[7])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[5], ARGV[1])
redis.call('PUBLISH', KEYS[6], cjson.encode({type='queue', change='closed', conversation_id=ARGV[1],
                                             operator=holder}))
return {1, mode, holder, case}
"""

# KEYS: mode, case, events. ARGV: conversation, now. Once per wait (a case that still waits, not yet spilled).
_SPILL = """
if redis.call('GET', KEYS[1]) ~= 'waiting' or redis.call('HEXISTS', KEYS[2], 'spilled_at') == 1
   or (redis.call('HGET', KEYS[2], 'team') or '') == '' then
  return 0
end
redis.call('HSET', KEYS[2], 'spilled_at', ARGV[2])
redis.call('PUBLISH', KEYS[3], cjson.encode({type='queue', change='spilled', conversation_id=ARGV[1],
                                             team=redis.call('HGET', KEYS[2], 'team')}))
return 1
"""

# KEYS: mode, queue, case, events, notices, audit log. ARGV: conversation, now.
# The person's choice goes into the audit log in the same step, an entry shaped as bot/console/audit.py writes them.
_WITHDRAW = """
if redis.call('GET', KEYS[1]) ~= 'waiting' then
  return 0
end
redis.call('DEL', KEYS[1], KEYS[3], KEYS[5])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('PUBLISH', KEYS[4], cjson.encode({type='queue', change='withdrawn', conversation_id=ARGV[1]}))
redis.call('XADD', KEYS[6], '*', 'at', ARGV[2], 'actor', 'person', 'action', 'withdraw', 'conversation', ARGV[1],
           'details', '{}')
return 1
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
    operator: str = ""  # who holds it, while a human does
    claimed_at: float = 0.0
    urgent: bool = False  # ahead of every other case, high risk included (see BAND)
    # Routing (bot/state/teams.py): what the escalation knew, and the team the conversation waits for first.
    province: str = ""  # not kept: only the team it routed to is
    service_type: str = ""  # likewise
    team: str = ""  # "" for everyone
    routed_by: str = ""  # campaign, service or province: the rule that routed it
    spilled_at: float = 0.0  # when it opened to every team (bot/console/queue_view.py), 0 not yet


@dataclass(frozen=True)
class Transition:
    """What a claim, release, transfer or close did: `ok` False when the conversation was not in a state to allow it;
    `mode` and `operator` (the holder, "" for none) describe the conversation after the call."""

    ok: bool
    mode: Mode
    operator: str = ""


def _mode(value: object) -> Mode:
    return "waiting" if value == "waiting" else "human" if value == "human" else "bot"


def case_from(conversation_id: str, data: dict[str, str], sealer: Sealer | None = None) -> Case:
    """A `Case` from its Redis hash (reasons and summary sealed; left empty when no configured key opens them)."""
    sealer = sealer or process_sealer()

    def opened(name: str, default: str) -> str:
        try:
            return sealer.open(data.get(name) or default) or default
        except Unreadable:
            return default

    return Case(conversation_id, data.get("channel", ""), data.get("risk", "none"),
                tuple(json.loads(opened("reasons", "[]"))), opened("summary", ""), data.get("campaign", ""),
                float(data.get("enqueued_at") or 0), data.get("operator", ""), float(data.get("claimed_at") or 0),
                team=data.get("team", ""), routed_by=data.get("routed_by", ""),
                spilled_at=float(data.get("spilled_at") or 0))


def events_channel(client: redis.asyncio.Redis) -> str:
    """The consoles' pub/sub channel for the database this client uses."""
    return keys.events(int(client.connection_pool.connection_kwargs.get("db") or 0))


def band(risk: str, urgent: bool = False) -> int:
    return -1 if urgent else 3 - RISK_ORDER.index(risk)


def score(risk: str, enqueued_at: float, urgent: bool = False) -> int:
    return band(risk, urgent) * BAND + int(enqueued_at * 1000)


def mode_of(value: str | None) -> Mode:
    """Who holds a conversation, from the value of its `keys.conversation_mode` key (None or '': nobody set it)."""
    if value == "waiting":
        return "waiting"
    return "human" if value == "human" else "bot"


class HandoffQueue:
    def __init__(self, client: redis.asyncio.Redis, sealer: Sealer | None = None):
        self._redis = client
        self._sealer = sealer or process_sealer()
        self._events = events_channel(client)
        self._enqueue = client.register_script(_ENQUEUE)
        self._claim = client.register_script(_CLAIM)
        self._release = client.register_script(_RELEASE)
        self._transfer = client.register_script(_TRANSFER)
        self._close = client.register_script(_CLOSE)
        self._withdraw = client.register_script(_WITHDRAW)
        self._spill = client.register_script(_SPILL)
        self._teams = Teams(client)

    async def mode(self, conversation_id: str) -> Mode:
        return mode_of(await self._redis.get(keys.conversation_mode(conversation_id)))

    async def enqueue(self, case: Case) -> int | None:
        """Puts the conversation in the queue (or raises its priority); its 1-based place, None if a human holds it.
        A new case waits for the team the routing rules name (bot/state/teams.py), unless `case.team` says."""
        if case.risk not in RISK_ORDER:
            raise ValueError(f"unknown risk level {case.risk!r}")
        routing = Routing(case.team, case.routed_by) if case.team else \
            await self._teams.routing(case.campaign, case.service_type, case.province)
        place, _ = await self._enqueue(
            keys=[keys.conversation_mode(case.conversation_id), keys.QUEUE, keys.case(case.conversation_id),
                  self._events],
            args=[case.conversation_id, score(case.risk, case.enqueued_at, case.urgent), band(case.risk, case.urgent),
                  BAND,
                  case.risk, self._sealer.seal(json.dumps(list(case.reasons), ensure_ascii=False)),
                  self._sealer.seal(case.summary), case.channel,
                  case.campaign, f"{case.enqueued_at:.3f}", routing.team, routing.by],
        )
        return None if int(place) < 0 else int(place)

    async def place(self, conversation_id: str) -> int | None:
        rank = await self._redis.zrank(keys.QUEUE, conversation_id)
        return None if rank is None else int(rank) + 1

    async def waiting(self) -> list[Case]:
        """Everyone waiting, highest priority first."""
        return await self._cases(await self._redis.zrange(keys.QUEUE, 0, -1))

    async def held(self) -> list[Case]:
        """Every conversation a human holds, longest held first."""
        return await self._cases(await self._redis.zrange(keys.HELD, 0, -1))

    async def _cases(self, ids: list[str]) -> list[Case]:
        async with self._redis.pipeline(transaction=False) as pipe:
            for conversation_id in ids:
                pipe.hgetall(keys.case(conversation_id))
            found = await pipe.execute() if ids else []
        return [case_from(conversation_id, data, self._sealer)
                for conversation_id, data in zip(ids, found, strict=True) if data]

    async def case(self, conversation_id: str) -> Case | None:
        """The conversation's case while it is waiting or held, None otherwise."""
        data = await self._redis.hgetall(keys.case(conversation_id))
        return case_from(conversation_id, data, self._sealer) if data else None

    async def holder(self, conversation_id: str) -> str | None:
        """The operator holding the conversation, None when no human does."""
        value = await self._redis.get(keys.assignee(conversation_id))
        return str(value) if value else None

    async def claim(self, conversation_id: str, operator: str) -> Transition:
        """Hands a waiting conversation to `operator`. Atomic: of any number of concurrent claims one is `ok`."""
        ok, mode, holder = await self._claim(keys=self._keys(conversation_id),
                                             args=[conversation_id, operator, f"{time.time():.3f}"])
        return Transition(bool(ok), _mode(mode), holder)

    async def release(self, conversation_id: str, operator: str, force: bool = False) -> Transition:
        """Puts a held conversation back in the queue at its old place (its original waiting time).
        Only its holder may, unless `force` (a supervisor)."""
        ok, mode, holder = await self._release(keys=self._keys(conversation_id),
                                               args=[conversation_id, operator, "1" if force else "0", BAND])
        return Transition(bool(ok), _mode(mode), holder)

    async def transfer(self, conversation_id: str, operator: str, to: str, force: bool = False) -> Transition:
        """Gives a held conversation to operator `to`; only its holder may, unless `force`."""
        ok, mode, holder = await self._transfer(
            keys=[keys.conversation_mode(conversation_id), keys.assignee(conversation_id),
                  keys.case(conversation_id), self._events],
            args=[conversation_id, operator, to, "1" if force else "0"])
        return Transition(bool(ok), _mode(mode), holder)

    async def close(self, conversation_id: str, operator: str, force: bool = False) -> tuple[Transition, Case | None]:
        """Returns a held conversation to the bot; with `force` (a supervisor) a waiting one too.
        Gives the transition (mode and holder before closing when it worked) and the case as it was."""
        ok, mode, holder, flat = await self._close(
            keys=[*self._keys(conversation_id), keys.notices(conversation_id)],
            args=[conversation_id, operator, "1" if force else "0"])
        data = dict(zip(flat[::2], flat[1::2], strict=True))
        case = case_from(conversation_id, data, self._sealer) if data else None
        return Transition(bool(ok), _mode(mode), holder), case

    async def withdraw(self, conversation_id: str) -> bool:
        """The person no longer wants a human ("thôi không cần nữa"): a waiting conversation leaves the queue, goes
        back to the bot, and the audit log says the person did it. False when it was not waiting (a human already
        holds it, or it never was queued). Sends nothing: the caller answers the person."""
        removed = await self._withdraw(
            keys=[keys.conversation_mode(conversation_id), keys.QUEUE, keys.case(conversation_id), self._events,
                  keys.notices(conversation_id), keys.AUDIT],
            args=[conversation_id, f"{time.time():.3f}"])
        return bool(removed)

    async def spill(self, conversation_id: str, at: float) -> bool:
        """Marks a waiting, routed conversation as open to every team (once: True for the one call that did)."""
        return bool(await self._spill(
            keys=[keys.conversation_mode(conversation_id), keys.case(conversation_id), self._events],
            args=[conversation_id, f"{at:.3f}"]))

    def _keys(self, conversation_id: str) -> list[str]:
        return [keys.conversation_mode(conversation_id), keys.QUEUE, keys.case(conversation_id),
                keys.assignee(conversation_id), keys.HELD, self._events]

    async def forget(self, conversation_id: str) -> bool:
        """Removes the conversation from the queue and its case; it goes back to the bot. True if it was queued."""
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.zrem(keys.QUEUE, conversation_id)
            pipe.delete(keys.case(conversation_id), keys.conversation_mode(conversation_id),
                        keys.assignee(conversation_id), keys.notices(conversation_id))
            pipe.zrem(keys.HELD, conversation_id)
            pipe.publish(self._events, json.dumps({"type": "queue", "change": "removed",
                                                  "conversation_id": conversation_id}))
            removed, *_ = await pipe.execute()
        return bool(removed)
