"""The gateway's parts, built once per process and shared by the web app, `caunoi telegram poll` and benchmarks.

    async with Gateway.running(settings) as gateway:
        await gateway.accept(inbound, dedupe="12345")      # what a webhook does: dedupe + queue, then return
        await gateway.send("tg:42", Outbound("…"), author="operator")   # what the operator console does
        await gateway.transcript.read("tg:42")
        await gateway.dead_letters.read()
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import httpx
import redis.asyncio
from telegram.ext import Application

from bot.channels.buttons import ButtonMap
from bot.channels.notices import UNREADABLE, Notes
from bot.channels.telegram import TelegramTransport, build_application, start_bot, stop_bot
from bot.channels.telegram_cleanup import ChatLog
from bot.channels.web import WebSender
from bot.channels.zalo import ZaloTransport
from bot.channels.zalo_auth import ZaloTokens
from bot.content import gateway_texts, load_content
from bot.content.referrals import referral_texts
from bot.gateway.actions_watch import ActionsWatchedRasa
from bot.gateway.answered import Answered
from bot.gateway.attachments import Attachments
from bot.gateway.delivery import Delivery, Limits, RetryPolicy, Sleep
from bot.gateway.dispatch import Dispatcher, risk_reader, withdrawal
from bot.gateway.followups import FollowUpParts, ReferralNotes
from bot.gateway.inbox import SEEN_TTL_SECONDS, Inbox, InboxOptions, InboxWorker
from bot.gateway.rasa_client import RasaClient
from bot.gateway.referrals import ConsentDialogue
from bot.messages import Inbound, Outbound, channel_of
from bot.privacy import log_id
from bot.settings import Settings
from bot.state import keys, store
from bot.state.attachments import AttachmentStore
from bot.state.deadletters import DeadLetters
from bot.state.directory import DirectoryStore
from bot.state.followups import FollowUpStore
from bot.state.organisations import OrganisationStore
from bot.state.queue import HandoffQueue
from bot.state.ratelimit import Rate, RateLimiter
from bot.state.referrals import ReferralStore
from bot.state.retention import KeptTranscript, Periods, Purger, Retention
from bot.state.sealed import Sealer
from bot.state.transcript import UNSUPPORTED, Author, Transcript, label
from bot.state.whereabouts import Whereabouts

HTTP_TIMEOUT = httpx.Timeout(10.0, connect=5.0)


log = logging.getLogger(__name__)

@dataclass(frozen=True)
class GatewayOptions:
    """What tests and benchmarks change; production uses the defaults."""

    zalo_transport: httpx.AsyncBaseTransport | None = None
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    # Telegram: ~30 messages/s overall, 1/s per chat (short bursts tolerated). Zalo publishes no limit: stay low.
    telegram_limits: Limits = field(default_factory=lambda: Limits(Rate(30.0, burst=5), Rate(1.0, burst=3)))
    zalo_limits: Limits = field(default_factory=lambda: Limits(Rate(10.0, burst=5), Rate(1.0, burst=3)))
    inbox: InboxOptions = field(default_factory=InboxOptions)
    sleep: Sleep = asyncio.sleep
    typing_every: float = 4.0
    typing_after: float = 0.8  # seconds Rasa may take before the person sees "typing…"
    telegram_timeout: float = 10.0  # seconds for each Bot API call (connect at most 5)
    run_workers: bool = True


@dataclass
class Gateway:
    settings: Settings
    redis: redis.asyncio.Redis
    http: httpx.AsyncClient  # for health checks of the action server
    rasa: RasaClient
    queue: HandoffQueue
    transcript: Transcript
    dead_letters: DeadLetters
    buttons: ButtonMap
    web: WebSender
    senders: dict[str, Delivery]
    dispatcher: Dispatcher
    inbox: Inbox
    worker: InboxWorker
    telegram: Application | None = None  # type: ignore[type-arg]
    zalo_tokens: ZaloTokens | None = None
    retention: Retention | None = None  # None only in tests that build a Gateway by hand
    # Whether a conversation shows the person is abroad (the console's notices pick their text with it).
    whereabouts: Whereabouts | None = None
    attachments: AttachmentStore | None = None  # what people attached in a handoff (the console serves it)
    # Check-ins after a referral (bot/state/followups.py): the consent step schedules them, a tick here sends them.
    follow_ups: FollowUpStore | None = None
    # Referrals' consent questions and their store (bot/gateway/referrals.py); a "yes" to a check-in schedules it
    # in `follow_ups`. None only in tests that build a Gateway by hand.
    consent: ConsentDialogue | None = None

    async def accept(self, inbound: Inbound, dedupe: str | None) -> bool:
        """Dedupes and queues a message, and has this worker start on it; False for a redelivery."""
        ttl = self.worker.lock_ttl if self.worker.accepting else None
        queued, locked = await self.inbox.submit_and_lock(inbound, dedupe, ttl)
        if queued:
            self.worker.kick(inbound.conversation_id, locked)
            if locked is not None:
                # The turn takes its first step (asking Redis who holds the conversation) before the webhook's
                # answer is written, not after.
                await asyncio.sleep(0)
        return queued

    async def receive(self, inbound: Inbound, dedupe: str | None) -> None:
        """A person's message from a platform (webhook or `caunoi telegram poll`): queued for the inbox worker, or,
        when the channel could not read it, answered at once."""
        if inbound.event == UNREADABLE:
            await self._answer_unreadable(inbound, dedupe)
        else:
            await self.accept(inbound, dedupe)

    async def _answer_unreadable(self, inbound: Inbound, dedupe: str | None) -> None:
        """A person wrote and nobody can tell what: never silence. They are told the bot could not read it, with the
        emergency numbers (the consular line first when the conversation shows them abroad, bot/state/whereabouts.py),
        and the operators see it in the transcript. Once per update, like any message: a redelivery stays quiet."""
        conversation = inbound.conversation_id
        if dedupe and not await self.redis.set(keys.seen_update(inbound.channel, dedupe), "1", nx=True,
                                               ex=SEEN_TTL_SECONDS):
            return
        log.warning("unreadable message answered conversation=%s channel=%s",
                    log_id(conversation, self.settings.secret_key.reveal()), inbound.channel)
        await self.transcript.append(conversation, "person", label(UNSUPPORTED), UNSUPPORTED, at=inbound.received_at)
        notes = Notes.from_texts(gateway_texts(self.settings.content_dir))
        abroad = self.whereabouts is not None and await self.whereabouts.abroad(conversation)
        await self.senders[inbound.channel].send(
            conversation, Outbound(notes.unreadable_abroad if abroad else notes.unreadable, sensitive=True))

    async def send(self, conversation_id: str, message: Outbound, author: Author = "operator") -> bool:
        """Sends to a conversation on its own channel, with the usual limits, retries and transcript.
        False when it did not reach the person (it is then in the dead letters or marked undeliverable).
        KeyError for a channel this gateway has not configured; ValueError for a malformed conversation id."""
        return await self.senders[channel_of(conversation_id)].send(conversation_id, message, author=author)

    @classmethod
    @contextlib.asynccontextmanager
    async def running(cls, settings: Settings, options: GatewayOptions | None = None) -> AsyncIterator[Gateway]:
        """Builds every part, starts the inbox worker, and closes it all on exit. Rasa and the action server are
        reached at their settings' URLs, Telegram at CAUNOI_TELEGRAM_API_URL (tests start doubles there)."""
        options = options or GatewayOptions(telegram_limits=Limits(
            Rate(settings.telegram_messages_per_second, burst=5), Rate(1.0, burst=3)))
        log_key = settings.secret_key.reveal()
        sealer = Sealer.from_settings(settings)  # before connecting: no data keys, no start
        client = store.connect(settings)
        # Rasa drops a dead action server's messages without failing the turn: this client notices it.
        rasa = ActionsWatchedRasa(settings.rasa_url, settings.rasa_timeout_seconds, actions_url=settings.actions_url,
                                  token=settings.rasa_token.reveal(), servers=settings.rasa_urls,
                                  in_flight=settings.rasa_in_flight)
        zalo_http = httpx.AsyncClient(timeout=HTTP_TIMEOUT, transport=options.zalo_transport)
        http = httpx.AsyncClient(timeout=HTTP_TIMEOUT)
        notes = Notes.from_texts(gateway_texts(settings.content_dir))
        retention = Retention(client, Periods.from_settings(settings))
        transcript = KeptTranscript(client, retention, settings.retention_days, sealer)
        dead = DeadLetters(client, settings.retention_days, sealer)
        buttons = ButtonMap(client, sealer)
        limiter = RateLimiter(client, options.sleep)
        web = WebSender(client, notes.location_hint_web, sealer)

        def delivery(transport_: object, limits: Limits | None) -> Delivery:
            return Delivery(transport_, client, limiter if limits else None, limits,  # type: ignore[arg-type]
                            transcript, dead, options.retry, options.sleep, log_key)

        senders = {"web": delivery(web, None)}
        application = None
        if settings.telegram_token:
            application = build_application(settings, options.telegram_timeout)
            senders["telegram"] = delivery(
                TelegramTransport(application.bot, buttons, notes, settings.telegram_protect_safety,
                                  ChatLog(client, settings.telegram_delete_on_erase)),
                options.telegram_limits)
        tokens = None
        if settings.zalo_app_id and settings.zalo_oa_secret:
            tokens = ZaloTokens(client, zalo_http, settings.zalo_oauth_url, settings.zalo_app_id,
                                settings.zalo_app_secret, settings.zalo_access_token, settings.zalo_refresh_token,
                                sleep=options.sleep, sealer=sealer)
            senders["zalo"] = delivery(ZaloTransport(zalo_http, settings.zalo_api_url, tokens, buttons, notes,
                                                     settings.zalo_choices), options.zalo_limits)
        queue = HandoffQueue(client, sealer)
        referrals = ReferralStore(client, sealer, settings.referral_retention_days, settings.referral_consent_hours)
        organisations = OrganisationStore(client)
        directory = DirectoryStore(client, load_content(settings.content_dir), sealer)
        follow_ups = FollowUpStore(client, sealer)
        consent = ConsentDialogue(referrals, organisations, directory, referral_texts(settings.content_dir),
                                  load_content(settings.content_dir), transcript, senders, follow_ups=follow_ups,
                                  log_key=log_key)
        whereabouts = Whereabouts(transcript, settings.content_dir)
        kept = AttachmentStore(client, retention, sealer)
        attachments = Attachments.build(settings.content_dir, notes, risk_reader(settings.content_dir), queue,
                                        transcript, kept, log_key, whereabouts=whereabouts)
        checking_in = FollowUpParts.build(settings.content_dir, follow_ups,
                                          ReferralNotes(referrals, organisations, directory), senders, queue,
                                          transcript, risk_reader(settings.content_dir), client, log_key=log_key)
        dispatcher = Dispatcher(rasa, senders, notes, client=client, queue=queue, transcript=transcript,
                                buttons=buttons, risk=risk_reader(settings.content_dir), dead_letters=dead,
                                withdrawal=withdrawal(settings.content_dir),
                                whereabouts=whereabouts, attachments=attachments,
                                log_key=log_key, typing_every=options.typing_every,
                                typing_after=options.typing_after,
                                holding_after=settings.rasa_holding_seconds, answered=Answered(client),
                                follow_ups=checking_in.answers, consent=consent)
        inbox = Inbox(client, sealer)
        worker = InboxWorker(inbox, dispatcher.handle, dead, options.inbox, log_key)
        gateway = cls(settings, client, http, rasa, queue, transcript, dead, buttons, web, senders, dispatcher, inbox,
                      worker, application, tokens, retention=retention, whereabouts=whereabouts,
                      attachments=kept, follow_ups=follow_ups, consent=consent)
        stopping = asyncio.Event()
        purge: asyncio.Task[None] | None = None
        check_ins: asyncio.Task[None] | None = None
        try:
            if application is not None:
                await start_bot(application)
            if options.run_workers:
                worker.start()
                purge = asyncio.create_task(Purger(client, retention, dead, log_key=log_key,
                                                   audit_days=settings.audit_retention_days,
                                                   referrals=referrals).run(
                    settings.purge_interval_seconds, stopping))
                check_ins = asyncio.create_task(checking_in.asker.run(settings.follow_up_tick_seconds, stopping))
            yield gateway
        finally:
            stopping.set()
            background = {task for task in (purge, check_ins) if task is not None}
            if background:
                await asyncio.wait(background, timeout=5.0)
                for task in background:
                    task.cancel()
            await worker.stop()
            attachments.close()
            if application is not None:
                await stop_bot(application.bot)
            await zalo_http.aclose()
            await http.aclose()
            await rasa.aclose()
            await client.close()
