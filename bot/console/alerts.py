"""The periodic sweep over the queue: notices to people who wait, and alerts about high-risk conversations.

Every gateway worker sweeps; each notice and alert is claimed with HSETNX on the conversation's `notices` hash
before it is sent, so exactly one worker sends it. A person waiting on Zalo is first told, once, that an answer can
reach them only within 48 hours of their last message (bot/console/window.py). A person waiting is told once when
no operator is online and on duty (bot/console/shift.py: a break or off does not count; with 111 and the consular
line, that first when they are abroad) and once when the wait passes CAUNOI_WAIT_NOTICE_MINUTES. A high-risk
conversation alerts the on-call Telegram chat at once (consoles already rang on the queue event) and again, consoles
too, every CAUNOI_HIGH_RISK_REALERT_MINUTES while nobody claims it. On-call alerts carry the risk level, the waiting
time and a console link: no content, no id.
"""

from __future__ import annotations

import asyncio
import logging

import redis.asyncio
from telegram import Bot
from telegram.error import TelegramError

from bot.console.audit import AuditLog
from bot.console.clock import Clock
from bot.console.events import Presence, publish
from bot.console.handoff import NOTICES_TTL_SECONDS, Handoffs
from bot.console.shift import Availability
from bot.console.window import has_window
from bot.content.console import ConsoleTexts
from bot.settings import ConsoleSettings
from bot.state import keys
from bot.state.queue import Case, HandoffQueue

log = logging.getLogger(__name__)
# Let the escalation's own answer (the place in the queue) arrive first.
NOTICE_GRACE_SECONDS = 15.0


class Oncall:
    """Posts alerts to the on-call Telegram chat through the gateway's bot (CAUNOI_TELEGRAM_API_URL)."""

    def __init__(self, bot: Bot, chat_id: str, texts: ConsoleTexts, console_url: str):
        self._bot = bot
        self._chat_id = chat_id
        self._texts = texts
        self._link = console_url.rstrip("/") + "/console/"

    async def alert(self, minutes: int, again: bool) -> bool:
        template = self._texts.oncall_realert if again else self._texts.oncall_alert
        text = template.replace("{minutes}", str(minutes)).replace("{link}", self._link)
        try:
            await self._bot.send_message(chat_id=self._chat_id, text=text, disable_web_page_preview=True)
        except TelegramError as error:
            log.warning("on-call alert failed reason=%s", type(error).__name__)
            return False
        return True


class Sweeper:
    def __init__(self, client: redis.asyncio.Redis, queue: HandoffQueue, handoffs: Handoffs, texts: ConsoleTexts,
                 presence: Presence, audit: AuditLog, settings: ConsoleSettings, oncall: Oncall | None, clock: Clock,
                 availability: Availability | None = None):
        self._redis = client
        self._queue = queue
        self._handoffs = handoffs
        self._texts = texts
        self._presence = presence
        self._availability = availability  # None: whoever has a console open counts as on duty
        self._audit = audit
        self._wait_notice = settings.wait_notice_minutes * 60
        self._realert = settings.realert_minutes * 60
        self._oncall = oncall
        self._clock = clock

    async def tick(self) -> None:
        cases = await self._queue.waiting()
        if not cases:
            return
        online = await self._presence.online()
        if self._availability is not None:  # on a break or off: not there to answer (bot/console/shift.py)
            statuses = await self._availability.all()
            online = [name for name in online if name in statuses and statuses[name].status == "on_duty"]
        nobody_online = not online
        await asyncio.gather(*(self._sweep(case, nobody_online) for case in cases))

    async def _sweep(self, case: Case, nobody_online: bool) -> None:
        waited = max(0.0, self._clock() - case.enqueued_at)
        if waited < NOTICE_GRACE_SECONDS:
            pass
        elif has_window(case.conversation_id) and await self._queue.mode(case.conversation_id) == "waiting" \
                and await self._handoffs.window_notice(case.conversation_id):
            pass  # one notice a sweep: the others follow on the next ones
        elif nobody_online and await self._first(case, "nobody_online"):
            await self._tell(case, "nobody_online")
        elif waited >= self._wait_notice and await self._first(case, "long_wait"):
            await self._tell(case, "long_wait")
        if case.risk == "high":
            window = int(waited // self._realert)
            if await self._first(case, f"alert:{window}"):
                await self._alert(case, waited, again=window > 0)

    async def _first(self, case: Case, notice: str) -> bool:
        key = keys.notices(case.conversation_id)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hsetnx(key, notice, f"{self._clock():.3f}")
            pipe.expire(key, NOTICES_TTL_SECONDS)
            first, _ = await pipe.execute()
        return bool(first)

    async def _tell(self, case: Case, notice: str) -> None:
        if await self._queue.mode(case.conversation_id) != "waiting":
            return  # claimed (or withdrawn) since the sweep read the queue
        await self._handoffs.notice(case.conversation_id, notice)
        await self._audit.record("system", "notice", case.conversation_id, notice=notice)

    async def _alert(self, case: Case, waited: float, again: bool) -> None:
        minutes = int(waited // 60)
        if again:
            await publish(self._redis, {"type": "alert", "conversation_id": case.conversation_id, "risk": case.risk,
                                        "waited_minutes": minutes})
        sent = await self._oncall.alert(minutes, again) if self._oncall is not None else False
        await self._audit.record("system", "alert", case.conversation_id, again=again, oncall=sent)
