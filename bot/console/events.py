"""Live updates for every console, whichever gateway worker they are connected to.

Changes are published on one Redis pub/sub channel (`bot.state.queue.events_channel`): the queue scripts publish their
own changes, the console publishes notes and alerts, and the transcript's append script publishes its growth while
a human holds the conversation or it waits for one (bot/state/retention.py; whichever worker wrote it). Each worker
subscribes once and fans events out to its server-sent-event streams; nothing polls. Pub/sub keeps nothing for a
subscriber that is away: when the subscription drops and comes back, every stream is told to `resync` (fetch
everything afresh), so a missed event costs a refetch, never a stale console. Events carry ids and kinds, never
message text: the browser fetches what changed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import redis.asyncio

from bot.console.clock import Clock
from bot.state import keys
from bot.state.queue import events_channel

log = logging.getLogger(__name__)
Event = dict[str, Any]
CLIENT_BUFFER = 200
SESSIONS_ENDED = "sessions_ended"  # an operator was disabled or reset: every stream checks its session at once
ONLINE_WINDOW_SECONDS = 60.0  # an operator whose console was heard from within this window is online

async def stop_task(task: asyncio.Task[None], grace: float) -> None:
    """Waits `grace` seconds for a task that was asked to stop, then cancels it (again, until it ends)."""
    done, _ = await asyncio.wait({task}, timeout=grace)
    while not done:
        task.cancel()
        done, _ = await asyncio.wait({task}, timeout=1.0)


async def publish(client: redis.asyncio.Redis, event: Event) -> None:
    await client.publish(events_channel(client), json.dumps(event, ensure_ascii=False))


class Broadcaster:
    """One subscription per process; every SSE stream gets its own bounded queue of events."""

    def __init__(self, client: redis.asyncio.Redis):
        self._redis = client
        self._clients: set[asyncio.Queue[Event]] = set()
        self._task: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()
        # redis-py 4.6 can swallow a task's cancellation mid-command: the loop also watches this flag.
        self._stopping = asyncio.Event()

    def start(self) -> None:
        self._task = asyncio.create_task(self._listen(), name="console-events")

    async def ready(self, timeout: float = 5.0) -> None:
        await asyncio.wait_for(self._ready.wait(), timeout)

    async def stop(self) -> None:
        self._stopping.set()
        if self._task is not None:
            await stop_task(self._task, grace=2.0)
        for queue in list(self._clients):
            self._offer(queue, {"type": "bye"})

    @contextlib.asynccontextmanager
    async def subscribe(self) -> AsyncIterator[asyncio.Queue[Event]]:
        queue: asyncio.Queue[Event] = asyncio.Queue(CLIENT_BUFFER)
        self._clients.add(queue)
        try:
            yield queue
        finally:
            self._clients.discard(queue)

    def _offer(self, queue: asyncio.Queue[Event], event: Event) -> None:
        try:
            queue.put_nowait(event)
        except asyncio.QueueFull:  # a stalled browser: tell it to fetch everything afresh instead
            with contextlib.suppress(asyncio.QueueEmpty):
                while True:
                    queue.get_nowait()
            queue.put_nowait({"type": "resync"})

    def _fan_out(self, event: Event) -> None:
        for queue in list(self._clients):
            self._offer(queue, event)

    async def _listen(self) -> None:
        delay = 0.2
        while not self._stopping.is_set():
            pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(events_channel(self._redis))
                if self._ready.is_set():
                    self._fan_out({"type": "resync"})  # events may have been missed while reconnecting
                self._ready.set()
                delay = 0.2
                while not self._stopping.is_set():
                    message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.5)
                    if message is None or message.get("type") != "message":
                        continue
                    try:
                        event = json.loads(message["data"])
                    except (TypeError, ValueError):
                        continue
                    if isinstance(event, dict):
                        self._fan_out(event)
            except (redis.RedisError, OSError) as error:
                log.warning("console events: subscription lost (%s), retrying in %.1f s", type(error).__name__, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.reset()


class Presence:
    """Which operators have a console open: every API request and every SSE heartbeat says "still here"."""

    def __init__(self, client: redis.asyncio.Redis, clock: Clock):
        self._redis = client
        self._clock = clock

    async def seen(self, username: str) -> None:
        await self._redis.zadd(keys.ONLINE, {username: self._clock()})

    async def gone(self, username: str) -> None:
        await self._redis.zrem(keys.ONLINE, username)

    async def online(self) -> list[str]:
        now = self._clock()
        await self._redis.zremrangebyscore(keys.ONLINE, "-inf", now - ONLINE_WINDOW_SECONDS * 10)
        return list(await self._redis.zrangebyscore(keys.ONLINE, now - ONLINE_WINDOW_SECONDS, "+inf"))
