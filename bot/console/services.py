"""Everything the console's routes need, built once per gateway process next to the `Gateway`.

    async with Gateway.running(settings) as gateway, ConsoleServices.running(settings, gateway) as console:
        app.state.gateway, app.state.console = gateway, console

Starts this worker's share of the background work: the event subscription feeding its SSE streams, and the sweep for
notices and alerts (each notice or alert is sent by one worker only).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

from argon2 import PasswordHasher

from bot.console.alerts import Oncall, Sweeper
from bot.console.audit import AuditLog
from bot.console.clock import Clock
from bot.console.events import Broadcaster, Presence, stop_task
from bot.console.handoff import Handoffs
from bot.console.notes import CaseNotes
from bot.console.operators import OperatorStore
from bot.console.queue_view import QueueView
from bot.console.rasa import RasaTracker
from bot.console.sessions import LoginLimiter, Sessions
from bot.console.shift import Availability, HandBack, ReadMarks
from bot.content import Content, load_content
from bot.content.console import CannedReply, CloseTag, ConsoleTexts, canned_replies, close_tags, console_texts
from bot.gateway.parts import Gateway
from bot.settings import Settings
from bot.state.directory import DirectoryStore
from bot.state.sealed import Sealer

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ConsoleOptions:
    """What tests change; production uses the defaults."""

    heartbeat_seconds: float = 15.0  # SSE comment lines keep proxies from closing idle streams
    sweep_seconds: float = 5.0
    hasher: PasswordHasher | None = None
    clock: Clock = time.time
    run_background: bool = True


@dataclass
class ConsoleServices:
    settings: Settings
    gateway: Gateway
    options: ConsoleOptions
    operators: OperatorStore
    sessions: Sessions
    logins: LoginLimiter
    audit: AuditLog
    presence: Presence
    broadcaster: Broadcaster
    handoffs: Handoffs
    notes: CaseNotes
    rasa: RasaTracker
    texts: ConsoleTexts
    canned: tuple[CannedReply, ...]
    content: Content
    directory: DirectoryStore  # the live directory (bot/state/directory.py), read by every worker after an edit
    sweeper: Sweeper
    availability: Availability
    read_marks: ReadMarks
    handback: HandBack
    queue_view: QueueView  # what each account sees of the queue, by team (bot/state/teams.py)
    close_tags: tuple[CloseTag, ...]
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    stopping: asyncio.Event = field(default_factory=asyncio.Event)

    @classmethod
    @contextlib.asynccontextmanager
    async def running(cls, settings: Settings, gateway: Gateway,
                      options: ConsoleOptions | None = None) -> AsyncIterator[ConsoleServices]:
        options = options or ConsoleOptions()
        console = settings.console
        client, clock = gateway.redis, options.clock
        texts = console_texts(settings.content_dir.resolve())
        operators = OperatorStore(client, settings.secret_key, options.hasher)
        audit = AuditLog(client, clock)
        presence = Presence(client, clock)
        notes = CaseNotes(client, clock, settings.retention_days, Sealer.from_settings(settings),
                          retention=gateway.retention)
        rasa = RasaTracker(settings.rasa_url, settings.rasa_token.reveal(), settings.secret_key.reveal())
        handoffs = Handoffs(client, gateway.queue, gateway, texts, notes, audit, rasa, clock,
                            settings.secret_key.reveal(), settings.retention_days, retention=gateway.retention,
                            whereabouts=gateway.whereabouts, transcript=gateway.transcript)
        oncall = None
        if console.oncall_telegram_chat_id and gateway.telegram is not None:
            oncall = Oncall(gateway.telegram.bot, console.oncall_telegram_chat_id, texts, console.url)
        elif console.oncall_telegram_chat_id:
            log.warning("CAUNOI_ONCALL_TELEGRAM_CHAT_ID is set but CAUNOI_TELEGRAM_TOKEN is not: no on-call alerts")
        sessions = Sessions(client, operators, console.session_idle_minutes * 60, console.session_max_hours * 3600,
                            clock, settings.secret_key)
        availability = Availability(client, presence, clock)
        services = cls(
            settings=settings, gateway=gateway, options=options, operators=operators,
            sessions=sessions,
            logins=LoginLimiter(client, console.login_max_failures, console.login_lock_minutes * 60),
            audit=audit, presence=presence, broadcaster=Broadcaster(client), handoffs=handoffs, notes=notes,
            rasa=rasa, texts=texts, canned=canned_replies(settings.content_dir.resolve()),
            content=load_content(settings.content_dir),
            sweeper=Sweeper(client, gateway.queue, handoffs, texts, presence, audit, console, oncall, clock,
                            availability),
            availability=availability, read_marks=ReadMarks(client, gateway.transcript, clock),
            handback=HandBack(client, gateway.queue, handoffs, notes, sessions, operators, availability, texts, audit,
                              console.handback_grace_minutes * 60, clock),
            close_tags=close_tags(settings.content_dir.resolve()),
            queue_view=QueueView(client, gateway.queue, availability, presence, audit,
                                 console.team_spill_minutes * 60, clock),
            directory=DirectoryStore(client, load_content(settings.content_dir), Sealer.from_settings(settings),
                                     clock),
        )
        services.broadcaster.start()
        try:
            try:
                await services.broadcaster.ready(timeout=2.0)
            except asyncio.TimeoutError:
                # Redis is away: the gateway must still start (and say so on /readyz); the subscription retries.
                log.warning("console events: Redis not reachable at start, subscribing in the background")
            if options.run_background:
                stopping = services.stopping
                services.tasks = [
                    asyncio.create_task(_every(options.sweep_seconds, services.sweeper.tick, "queue sweep", stopping)),
                    asyncio.create_task(_every(options.sweep_seconds, services.handback.tick, "hand-back", stopping)),
                    asyncio.create_task(_every(options.sweep_seconds, services.queue_view.sweep, "team spill",
                                               stopping)),
                ]
                if gateway.consent is not None:  # consent questions left unanswered expire (nothing shared)
                    services.tasks.append(asyncio.create_task(_every(options.sweep_seconds, gateway.consent.expire,
                                                                     "referral expiry", stopping)))
            yield services
        finally:
            services.stopping.set()
            for task in services.tasks:
                await stop_task(task, grace=5.0)
            await handoffs.idle()
            await services.broadcaster.stop()
            await rasa.aclose()


async def _every(seconds: float, work: Callable[[], Awaitable[object]], name: str, stopping: asyncio.Event) -> None:
    while not stopping.is_set():
        try:
            await work()
        except Exception as error:  # Redis away, a channel down: try again next time, say so without details
            log.warning("console %s failed: %s", name, type(error).__name__)
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(stopping.wait(), seconds)
