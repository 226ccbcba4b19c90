"""Inbound messages, deduplicated and processed in order per conversation, across any number of gateway workers.

Webhooks only check, dedupe and enqueue; workers do the rest. The shape:

- `submit` is one Lua script: `SET seen-key NX EX 48h`, and only if that succeeded `RPUSH` the message onto the
  conversation's list and add the conversation to the pending set. Atomic, so a redelivered update is dropped and
  a first delivery is never marked seen without being queued. The webhook's `submit_and_lock` also takes the
  conversation's lock in that script when it is free, and hands it to this process's worker with the message to
  start on.
- A worker drains a conversation while holding its lock (`SET NX PX` with a random token, renewed while it works).
  It peeks at the head, processes it, then pops it (only if it still holds the lock): a worker that dies mid-turn
  leaves the message in place and the lock expires, so another worker processes it again — at least once, never lost.
- Releasing the lock is a script that refuses while the list is non-empty; popping the last message releases it
  in the same script. A message pushed while the holder was finishing is therefore either seen by the holder or
  finds the lock free: nothing waits for a sweep.
- Every worker sweeps the pending set now and then, which recovers conversations whose worker died.

Why not Redis Streams with consumer groups: a group hands entries to whichever consumer asks, so two messages of
one conversation could be processed at once by two workers, out of order. Per-conversation order would need a
stream and a lock per conversation anyway; a list and a lock are the same guarantee with less machinery.
Different conversations are drained in parallel, up to `concurrency` at a time per worker.

Queued messages are sealed (bot/state/sealed.py): a message waiting in Redis reveals no text and no location.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import redis.asyncio

from bot.messages import Inbound
from bot.privacy import log_id
from bot.state import keys
from bot.state.deadletters import DeadLetters
from bot.state.sealed import Sealer, process_sealer

log = logging.getLogger(__name__)
Handler = Callable[[Inbound], Awaitable[None]]
SEEN_TTL_SECONDS = 48 * 3600

# 0: a redelivery, dropped; 1: queued; a list: queued, and the lock (ARGV[5], when given) taken: the oldest message.
_SUBMIT = """
if KEYS[1] ~= '' and not redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then
  return 0
end
redis.call('RPUSH', KEYS[2], ARGV[2])
redis.call('ZADD', KEYS[3], 'NX', ARGV[3], ARGV[4])
if ARGV[5] ~= '' and redis.call('SET', KEYS[4], ARGV[5], 'NX', 'PX', ARGV[6]) then
  return {redis.call('LINDEX', KEYS[2], 0)}
end
return 1
"""

# Taking the lock and reading the head in one round trip: '' for an empty inbox (no queued message is empty).
_LOCK_AND_HEAD = """
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return false end
return redis.call('LINDEX', KEYS[2], 0) or ''
"""

# Popping the processed message and reading the next one, or releasing the lock when none is left (''): false
# when the lock is no longer ours.
_POP_OR_RELEASE = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return false end
redis.call('LPOP', KEYS[2])
local next = redis.call('LINDEX', KEYS[2], 0)
if next then return next end
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[3], ARGV[2])
return ''
"""

_RELEASE_IF_EMPTY = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return -1 end
if redis.call('LLEN', KEYS[2]) > 0 then return 0 end
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[3], ARGV[2])
return 1
"""

_RENEW = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
"""

_UNLOCK = """
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1
"""


@dataclass(frozen=True)
class Handed:
    """A conversation's lock taken by a webhook for this process's worker: its token and the oldest waiting message
    (sealed)."""

    token: str
    head: str


@dataclass(frozen=True)
class InboxOptions:
    lock_ttl: float = 30.0  # seconds; renewed every third of it while a worker holds the conversation
    sweep_interval: float = 1.0
    concurrency: int = 256  # conversations one worker drains at once
    shutdown_grace: float = 10.0


class Inbox:
    """The Redis side: queue, lock, pop, release."""

    def __init__(self, client: redis.asyncio.Redis, sealer: Sealer | None = None):
        self._redis = client
        self._sealer = sealer or process_sealer()
        self._submit = client.register_script(_SUBMIT)
        self._lock_and_head = client.register_script(_LOCK_AND_HEAD)
        self._pop = client.register_script(_POP_OR_RELEASE)
        self._release = client.register_script(_RELEASE_IF_EMPTY)
        self._renew = client.register_script(_RENEW)
        self._unlock = client.register_script(_UNLOCK)

    async def submit(self, inbound: Inbound, dedupe: str | None) -> bool:
        """Queues the message unless `dedupe` (channel-scoped update id) was seen in the last 48 h; True if queued."""
        queued, _ = await self.submit_and_lock(inbound, dedupe, None)
        return queued

    async def submit_and_lock(self, inbound: Inbound, dedupe: str | None,
                              ttl: float | None) -> tuple[bool, Handed | None]:
        """`submit`, and with a `ttl` also the conversation's lock if no worker holds it, in the same round trip:
        (queued, the lock or None)."""
        seen = keys.seen_update(inbound.channel, dedupe) if dedupe else ""
        token = secrets.token_hex(12) if ttl is not None else ""
        result = await self._submit(
            keys=[seen, keys.inbox(inbound.conversation_id), keys.INBOX_PENDING,
                  keys.inbox_lock(inbound.conversation_id)],
            args=[SEEN_TTL_SECONDS, self._sealer.seal(json.dumps(inbound.to_json(), ensure_ascii=False)),
                  f"{time.time():.3f}", inbound.conversation_id, token, int((ttl or 0) * 1000)],
        )
        if isinstance(result, list):  # the lock is ours
            return True, Handed(token, result[0])
        return bool(result), None

    async def pending(self, limit: int = 1000) -> list[str]:
        ids: list[str] = await self._redis.zrange(keys.INBOX_PENDING, 0, limit - 1)
        return ids

    async def lock_and_head(self, conversation_id: str, ttl: float) -> tuple[str, str | None] | None:
        """The lock (its token) and the oldest waiting message, or None when another worker holds the lock."""
        token = secrets.token_hex(12)
        raw = await self._lock_and_head(keys=[keys.inbox_lock(conversation_id), keys.inbox(conversation_id)],
                                        args=[token, int(ttl * 1000)])
        if raw is None:
            return None
        return token, str(raw) or None

    async def head(self, conversation_id: str) -> str | None:
        """The oldest waiting message, still sealed (`open` reads it)."""
        raw: str | None = await self._redis.lindex(keys.inbox(conversation_id), 0)
        return raw

    def open(self, raw: str) -> Inbound:
        """A queued message; `Unreadable` when no configured key opens it."""
        return Inbound.from_json(json.loads(self._sealer.open(raw)))

    async def pop(self, conversation_id: str, token: str) -> tuple[bool, str | None]:
        """Removes the message just processed: (whether the lock was still ours, the next waiting message). With
        no next message the lock is released (and the conversation leaves the pending set) in the same step."""
        raw = await self._pop(keys=[keys.inbox_lock(conversation_id), keys.inbox(conversation_id),
                                    keys.INBOX_PENDING], args=[token, conversation_id])
        if raw is None:
            return False, None
        return True, str(raw) or None

    async def release_if_empty(self, conversation_id: str, token: str) -> int:
        """1: released; 0: more messages arrived, keep going; -1: the lock was lost."""
        return int(await self._release(
            keys=[keys.inbox_lock(conversation_id), keys.inbox(conversation_id), keys.INBOX_PENDING],
            args=[token, conversation_id]))

    async def renew(self, conversation_id: str, token: str, ttl: float) -> bool:
        return bool(await self._renew(keys=[keys.inbox_lock(conversation_id)], args=[token, int(ttl * 1000)]))

    async def unlock(self, conversation_id: str, token: str) -> None:
        await self._unlock(keys=[keys.inbox_lock(conversation_id)], args=[token])


class InboxWorker:
    """Drains conversations: kicked by the webhook that queued a message, and by its own sweep."""

    def __init__(self, inbox: Inbox, handler: Handler, dead_letters: DeadLetters,
                 options: InboxOptions = InboxOptions(), log_key: str = ""):
        self._inbox = inbox
        self._handler = handler
        self._dead = dead_letters
        self._options = options
        self._log_key = log_key
        self._active: dict[str, asyncio.Task[None]] = {}
        self._again: set[str] = set()
        self._slots = asyncio.Semaphore(options.concurrency)
        self._sweeper: asyncio.Task[None] | None = None
        # Locks taken for this worker by the webhook that queued a message (conversation -> lock, when).
        self._handed: dict[str, tuple[Handed, float]] = {}
        # Locks this worker could not release because Redis was away: freed by the sweep once it answers again,
        # so the conversation does not wait out the lock's whole lifetime (conversation -> token).
        self._unreleased: dict[str, str] = {}
        # redis-py 4.6 can swallow a task's cancellation mid-command, so loops also watch this flag.
        self._stopping = asyncio.Event()

    def start(self) -> None:
        if self._sweeper is None:
            self._stopping.clear()
            self._sweeper = asyncio.create_task(self._sweep_forever())

    async def stop(self) -> None:
        """Stops sweeping; lets running turns finish for a grace period, then cancels them (their locks are freed)."""
        self._stopping.set()
        if self._sweeper is not None:
            await asyncio.wait({self._sweeper}, timeout=self._options.sweep_interval + 5.0)
            self._sweeper = None
        running = list(self._active.values())
        if running:
            _, late = await asyncio.wait(running, timeout=self._options.shutdown_grace)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)
        for conversation_id, (handed, _) in list(self._handed.items()):  # handed over but never started on
            self._unreleased[conversation_id] = handed.token
        self._handed.clear()
        with contextlib.suppress(Exception):
            await self._release_unreleased()

    @property
    def lock_ttl(self) -> float:
        return self._options.lock_ttl

    @property
    def accepting(self) -> bool:
        """False once the worker is shutting down: a webhook then queues without taking locks for it."""
        return not self._stopping.is_set()

    def kick(self, conversation_id: str, locked: Handed | None = None) -> None:
        """Makes sure this worker tries to drain the conversation soon (unless it is shutting down). `locked`: the
        conversation's lock, already taken for this worker (`Inbox.submit_and_lock`)."""
        if self._stopping.is_set():
            if locked is not None:  # freed as `stop` ends (or when it expires): the message waits in Redis
                self._unreleased[conversation_id] = locked.token
            return
        if locked is not None:
            self._handed[conversation_id] = (locked, time.monotonic())
        if conversation_id in self._active:
            self._again.add(conversation_id)
            return
        task = asyncio.create_task(self._run(conversation_id))
        self._active[conversation_id] = task

    async def idle(self) -> None:
        """Waits until this worker has nothing in hand (for tests and benchmarks)."""
        while self._active:
            await asyncio.gather(*list(self._active.values()), return_exceptions=True)

    async def _run(self, conversation_id: str) -> None:
        try:
            while True:
                self._again.discard(conversation_id)
                async with self._slots:
                    await self.drain(conversation_id)
                if conversation_id not in self._again:
                    break
        except Exception:
            log.exception("drain failed conversation=%s", log_id(conversation_id, self._log_key))
        finally:
            self._active.pop(conversation_id, None)

    async def _sweep_forever(self) -> None:
        while not self._stopping.is_set():
            try:
                await self._release_unreleased()
                for conversation_id in await self._inbox.pending():
                    if conversation_id not in self._active and not self._stopping.is_set():
                        self.kick(conversation_id)
            except Exception:
                log.exception("inbox sweep failed")
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self._options.sweep_interval)

    async def drain(self, conversation_id: str) -> bool:
        """Processes the conversation's messages in order while holding its lock; False if another worker holds it."""
        handed = await self._handed_lock(conversation_id)
        locked = (handed.token, handed.head) if handed is not None \
            else await self._inbox.lock_and_head(conversation_id, self._options.lock_ttl)
        if locked is None:
            return False
        token, raw = locked
        released = False
        done = asyncio.Event()
        renewal = asyncio.create_task(self._keep_lock(conversation_id, token, done))
        try:
            while not renewal.done() and not self._stopping.is_set():
                if raw is None:
                    outcome = await self._inbox.release_if_empty(conversation_id, token)
                    if outcome != 0:
                        released = outcome == 1
                        break  # released (or lost): a later message finds the lock free
                    raw = await self._inbox.head(conversation_id)
                    continue
                await self._process(conversation_id, raw)
                ours, raw = await self._inbox.pop(conversation_id, token)
                if not ours:
                    log.warning("inbox lock lost conversation=%s", log_id(conversation_id, self._log_key))
                    break
                if raw is None:  # that was the last one: the lock went with it
                    released = True
                    break
            return True
        finally:
            # Never cancel a task mid-command: redis-py 4.6 may then hand the next command a stale reply.
            done.set()
            await asyncio.wait({renewal}, timeout=10.0)
            # Shutting down, cancelled or failed mid-turn: whatever is left waits in Redis, free for another worker.
            if not released:
                try:
                    await asyncio.shield(self._inbox.unlock(conversation_id, token))
                except Exception:
                    self._unreleased[conversation_id] = token

    async def _handed_lock(self, conversation_id: str) -> Handed | None:
        """The lock a webhook took for this worker, if any and still ours (it waited for a free slot: renewed if it
        waited long enough to matter)."""
        entry = self._handed.pop(conversation_id, None)
        if entry is None:
            return None
        handed, since = entry
        waited = time.monotonic() - since
        ttl = self._options.lock_ttl
        if waited > ttl / 3 and not await self._inbox.renew(conversation_id, handed.token, ttl):
            return None
        return handed

    async def _release_unreleased(self) -> None:
        for conversation_id, token in list(self._unreleased.items()):
            await self._inbox.unlock(conversation_id, token)  # only if still ours; raises while Redis is away
            if self._unreleased.get(conversation_id) == token:
                del self._unreleased[conversation_id]

    async def _keep_lock(self, conversation_id: str, token: str, done: asyncio.Event) -> None:
        ttl = self._options.lock_ttl
        while not done.is_set():
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(done.wait(), ttl / 3)
            if done.is_set():
                return
            if not await self._inbox.renew(conversation_id, token, ttl):
                # Not ours any more. If the turn ended meanwhile, its last pop released the lock while this renewal
                # was on its way (a busy event loop runs the two out of step): nothing was lost, nothing to say.
                if not done.is_set():
                    log.warning("inbox lock expired conversation=%s", log_id(conversation_id, self._log_key))
                return

    async def _process(self, conversation_id: str, raw: str) -> None:
        channel = "unknown"
        try:
            inbound = self._inbox.open(raw)
            channel = inbound.channel
            await self._handler(inbound)
        except (asyncio.CancelledError, redis.ConnectionError, redis.TimeoutError):
            # Redis itself is away: the message stays first in the inbox and is tried again once Redis answers.
            # Dead-lettering it would leave the person's message unanswered for a passing outage.
            raise
        except Exception as error:
            # A message that breaks the handler must not block the conversation behind it: the operator sees it.
            log.exception("inbound processing failed conversation=%s", log_id(conversation_id, self._log_key))
            await self._dead.add(conversation_id, channel, f"processing failed: {type(error).__name__}",
                                 direction="inbound")
