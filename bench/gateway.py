"""What the gateway adds to a conversation turn, measured against calling Rasa directly in the same run.

Every process runs as in production, each on its own: a private Redis, the action server, Rasa with the current
model, the gateway (uvicorn, one worker) and a Bot API double. Two groups of people chat at the same time:

- `CONVERSATIONS` through the gateway: Telegram updates to its webhook, each turn timed until its last reply has
  reached the Bot API double (the double and this process read the same monotonic clock);
- `CONTROL` straight to Rasa's REST webhook, each turn timed until Rasa answers.

Both send the same script, and each simulated person waits for the answer, then reads and types for about
`THINK_S` seconds (±50 %) before writing again, as people chat. Running both groups together means both meet
Rasa in the same state, whatever else the machine is doing; the gateway's CPU (reported per message) slows Rasa for
both. The gateway's added latency is p95(gateway) − p95(direct), reported with its ratio to p95(direct); and, steadier
because Rasa's queueing moves both p95s from run to run, the gateway's own time per turn: each turn through the
gateway minus that turn's Rasa call as the gateway logged it. The target needs both within 10 %, in every one of
`ROUNDS` rounds run one after the other on new conversations (on the same machine, Rasa's p95 alone moves by a
third from one round to the next). The bench then checks that nothing was lost or reordered: every turn got its
replies, and Rasa's tracker of every gateway conversation holds the person's messages exactly in the order they
were sent. Telegram's overall flood limit (30 messages/s) is lifted for the gateway: this measures the gateway, not
Telegram; the per-chat limit stays (with a short `THINK_S` it makes replies wait, and the own time shows it).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import psutil

from bench.result import BenchResult
from bot.internal_token import HEADER
from bot.privacy import log_id
from bot.rasa_server import model
from bot.settings import get_settings
from bot.state.sealed import new_key
from bot.state.store import free_port, private_store
from harness.botapi import TOKEN, text_update
from harness.stack import stack_env, started

# Smaller runs while working on the gateway, e.g.:
#   BENCH_GATEWAY_CONVERSATIONS=50 BENCH_GATEWAY_THINK_S=2 python -m bench gateway
CONVERSATIONS = int(os.environ.get("BENCH_GATEWAY_CONVERSATIONS", "200"))
CONTROL = int(os.environ.get("BENCH_GATEWAY_CONTROL", "50"))
THINK_S = float(os.environ.get("BENCH_GATEWAY_THINK_S", "15"))  # reading a reply on a phone, typing the next
ROUNDS = int(os.environ.get("BENCH_GATEWAY_ROUNDS", "3"))
TURN_TIMEOUT_S = 60.0  # a turn whose replies have not all arrived by then counts as lost
SECRET = "bench-secret"
SECRET_KEY = "bench-secret-key"  # the gateway's log key: the bench finds its conversations in the gateway's log
RASA_TOKEN = "bench-rasa-token"
# Turns that stay with the bot (nothing here escalates or opens a form), each answered with text only.
SCRIPT = ("xin chào", "nan nhan duoc ho tro gi", "làm sao kiểm tra công ty xuất khẩu lao động",
          "ban la nguoi hay may", "cam on ban")


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def _summary(values: list[float]) -> dict[str, float]:
    if not values:
        return {"p50": 0.0, "p95": 0.0, "p99": 0.0, "max": 0.0}
    return {"p50": round(statistics.median(values), 1), "p95": round(_percentile(values, 0.95), 1),
            "p99": round(_percentile(values, 0.99), 1), "max": round(max(values), 1)}


def serve_gateway(port: int) -> None:
    """The gateway as `caunoi serve gateway` runs it (its logging too), with Telegram's overall flood limit lifted."""
    import uvicorn

    from bot.app import create_app
    from bot.gateway.delivery import Limits
    from bot.gateway.parts import GatewayOptions
    from bot.logs import configure
    from bot.state.ratelimit import Rate

    configure(get_settings())
    # BENCH_CHAT_LIMIT=off lifts Telegram's per-chat limit too (bench/turncost.py: one person writing back to back
    # would otherwise measure the 1 message/s per chat, not the turn).
    per_chat = Rate(100_000.0, burst=1000) if os.environ.get("BENCH_CHAT_LIMIT") == "off" \
        else GatewayOptions().telegram_limits.per_conversation
    limits = Limits(Rate(100_000.0, burst=1000), per_chat)
    app = create_app(options=GatewayOptions(telegram_limits=limits))
    arguments: dict[str, Any] = {"host": "127.0.0.1", "port": port, "log_level": "warning", "access_log": False,
                                 "log_config": None, "server_header": False, "ws": "none"}
    profile = os.environ.get("BENCH_PROFILE")  # a file for cProfile's statistics of the gateway process
    if not profile:
        uvicorn.run(app, **arguments)
        return
    import cProfile

    # uvicorn re-raises the stop signal after its graceful shutdown; with this handler that ends the run, not the
    # process, so the statistics get written.
    signal.signal(signal.SIGTERM, lambda number, frame: None)
    with cProfile.Profile() as profiler:
        uvicorn.run(app, **arguments)
    profiler.dump_stats(profile)


@dataclass
class Stack:
    rasa: str
    gateway: str
    api: str
    gateway_pid: int
    logs: Path
    versus: str = ""  # a second gateway, from another checkout (bench/compare.py); "" when none
    versus_pid: int = 0
    redis_url: str = ""  # the private store every process of the bench uses


@contextmanager
def running_stack(floor: bool = False, versus: Path | None = None, chat_limit: bool = True) -> Iterator[Stack]:
    """Every process of the bench; with `floor`, bench/floor.py in the gateway's place; with `versus` (a checkout of
    the project), a second gateway started from there, beside this one, on the same Redis, Rasa and Bot API double."""
    model_file, _ = model.train(get_settings(), quiet=True)
    with private_store() as store, started() as processes:
        api_port = free_port()
        env = stack_env(REDIS_URL=store.url, CAUNOI_SECRET_KEY=SECRET_KEY, CAUNOI_DATA_KEYS=new_key(),
                        CAUNOI_RASA_TOKEN=RASA_TOKEN, CAUNOI_TELEGRAM_TOKEN=TOKEN,
                        CAUNOI_TELEGRAM_WEBHOOK_SECRET=SECRET, CAUNOI_TELEGRAM_API_URL=f"http://127.0.0.1:{api_port}/bot",
                        **({} if chat_limit else {"BENCH_CHAT_LIMIT": "off"}))
        rasa, gateway = env["CAUNOI_RASA_URL"], f"http://127.0.0.1:{env['CAUNOI_HTTP_PORT']}"
        logs = Path(tempfile.mkdtemp(prefix="caunoi-bench-"))
        processes.bot_api(api_port, log=logs / "api.log")  # waits until it answers
        actions = processes.serve("actions", env, log=logs / "actions.log")
        serving = processes.serve("rasa", env, "--model", str(model_file), log=logs / "rasa.log")
        server = (f"from bench.floor import serve; serve({env['CAUNOI_HTTP_PORT']})" if floor
                  else f"from bench.gateway import serve_gateway; serve_gateway({env['CAUNOI_HTTP_PORT']})")
        process = processes.start("gateway", [sys.executable, "-c", server], env, log=logs / "gateway.log")
        other, other_url = None, ""
        if versus is not None:  # `python -c` imports the project from its working directory first: the other checkout
            port = free_port()
            other_url = f"http://127.0.0.1:{port}"
            other = processes.start("versus", [sys.executable, "-c", f"from bench.gateway import serve_gateway; "
                                                                      f"serve_gateway({port})"],
                                    {**env, "CAUNOI_HTTP_PORT": str(port)}, log=logs / "versus.log", cwd=versus)
        actions.wait_answering(f"{env['CAUNOI_ACTIONS_URL']}/health", 300)
        serving.wait_answering(f"{rasa}/status?token={RASA_TOKEN}", 300)
        process.wait_answering(f"{gateway}/readyz", 300)
        if other is not None:
            other.wait_answering(f"{other_url}/readyz", 300)
        yield Stack(rasa, gateway, f"http://127.0.0.1:{api_port}/bot{TOKEN}", process.pid, logs, other_url,
                    other.pid if other is not None else 0, store.url)


@dataclass
class Arrivals:
    """Follows what reaches the Bot API double: `sendMessage` arrival times per chat, polled from another process."""

    api: str
    times: dict[int, list[float]] = field(default_factory=lambda: defaultdict(list))
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    offset: int = 0

    async def follow(self, client: aiohttp.ClientSession, stop: asyncio.Event) -> None:
        while not stop.is_set():
            async with client.post(f"{self.api}/recordedCalls", json={"offset": self.offset}) as response:
                calls = (await response.json())["result"]
            for call in calls:
                self.offset = max(self.offset, int(call["index"]) + 1)
                if call["method"] == "sendMessage":
                    self.times[int(call["params"]["chat_id"])].append(float(call["at"]))
            if calls:
                self.changed.set()
                self.changed = asyncio.Event()
            # The double stamps each arrival itself: polling more often would only take CPU from what is measured.
            await asyncio.sleep(0.1)

    async def replies(self, chat: int, count: int, timeout: float) -> float | None:
        """When the chat's `count`-th reply arrived; None if it did not within `timeout`."""
        deadline = time.monotonic() + timeout
        while len(self.times[chat]) < count:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            try:
                await asyncio.wait_for(self.changed.wait(), left)
            except asyncio.TimeoutError:
                return None
        return self.times[chat][count - 1]


@dataclass
class Phase:
    latencies_ms: list[float] = field(default_factory=list)  # until the turn's last reply
    by_chat: dict[int, list[float | None]] = field(default_factory=lambda: defaultdict(list))  # None: lost
    first_ms: list[float] = field(default_factory=list)  # until its first reply (the gateway only)
    acks_ms: list[float] = field(default_factory=list)
    lost: int = 0
    started: float = 0.0
    finished: float = 0.0
    cpu_s: float = 0.0

    def report(self) -> dict[str, Any]:
        elapsed = self.finished - self.started
        return {"turns": len(self.latencies_ms) + self.lost, "answered": len(self.latencies_ms), "lost": self.lost,
                "messages_per_s": round(len(self.latencies_ms) / elapsed, 1) if elapsed > 0 else 0.0,
                "latency_ms": _summary(self.latencies_ms), "elapsed_s": round(elapsed, 1)}


async def _direct(stack: Stack, client: aiohttp.ClientSession, conversations: list[str]) -> Phase:
    phase = Phase(started=time.monotonic())

    async def person(sender: str, index: int) -> None:
        await asyncio.sleep(THINK_S * index / len(conversations))  # people do not all start at the same instant
        for text in SCRIPT:
            sent = time.monotonic()
            async with client.post(f"{stack.rasa}/webhooks/rest/webhook",
                                   json={"sender": sender, "message": text, "metadata": {"channel": "telegram"}},
                                   headers={HEADER: RASA_TOKEN},
                                   timeout=aiohttp.ClientTimeout(total=TURN_TIMEOUT_S)) as response:
                answered = response.status == 200 and bool(await response.json())
            if not answered:
                phase.lost += 1
            else:
                phase.latencies_ms.append((time.monotonic() - sent) * 1000)
            await asyncio.sleep(random.uniform(0.5, 1.5) * THINK_S)

    await asyncio.gather(*(person(sender, index) for index, sender in enumerate(conversations)))
    phase.finished = time.monotonic()
    return phase


async def _through_gateway(stack: Stack, client: aiohttp.ClientSession, arrivals: Arrivals, chats: list[int],
                           expected: list[int]) -> Phase:
    phase = Phase(started=time.monotonic())

    async def person(chat: int, index: int) -> None:
        await asyncio.sleep(THINK_S * index / len(chats))
        received = 0
        for text, count in zip(SCRIPT, expected, strict=True):
            sent = time.monotonic()
            async with client.post(f"{stack.gateway}/webhooks/telegram", json=text_update(chat, text),
                                   headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}) as response:
                accepted = response.status == 200
                await response.read()
            phase.acks_ms.append((time.monotonic() - sent) * 1000)
            first = received + 1
            received += count
            arrived = await arrivals.replies(chat, received, TURN_TIMEOUT_S) if accepted else None
            if arrived is None:
                phase.lost += 1
                phase.by_chat[chat].append(None)
                received = len(arrivals.times[chat])
            else:
                phase.latencies_ms.append((arrived - sent) * 1000)
                phase.by_chat[chat].append(phase.latencies_ms[-1])
                phase.first_ms.append((arrivals.times[chat][first - 1] - sent) * 1000)
            await asyncio.sleep(random.uniform(0.5, 1.5) * THINK_S)

    await asyncio.gather(*(person(chat, index) for index, chat in enumerate(chats)))
    phase.finished = time.monotonic()
    return phase


async def _replies_per_turn(stack: Stack, client: aiohttp.ClientSession, arrivals: Arrivals, chat: int) -> list[int]:
    """How many Telegram messages each turn of the script gives (one conversation, before the measured phases)."""
    counts = []
    for text in SCRIPT:
        before = len(arrivals.times[chat])
        async with client.post(f"{stack.gateway}/webhooks/telegram", json=text_update(chat, text),
                               headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}) as response:
            await response.read()
        await arrivals.replies(chat, before + 1, TURN_TIMEOUT_S)
        settled = len(arrivals.times[chat])
        while True:  # the turn is over when nothing more arrives for a second and a half
            await asyncio.sleep(1.5)
            if len(arrivals.times[chat]) == settled:
                break
            settled = len(arrivals.times[chat])
        counts.append(settled - before)
    return counts


async def _out_of_order(stack: Stack, client: aiohttp.ClientSession, chats: list[int]) -> int:
    """Gateway conversations whose Rasa tracker does not hold exactly the script, in order."""
    wrong = 0
    for chat in chats:
        async with client.get(f"{stack.rasa}/conversations/tg:{chat}/tracker",
                              params={"token": RASA_TOKEN}) as response:
            tracker = await response.json()
        said = [event.get("text") for event in tracker.get("events", []) if event.get("event") == "user"]
        wrong += said != list(SCRIPT)
    return wrong


def rasa_calls(log: Path) -> dict[str, list[float]]:
    """Each conversation's Rasa calls as the gateway timed them (its `turn` log lines), in order, by logged id."""
    calls: dict[str, list[float]] = defaultdict(list)
    for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        turn = str(entry.get("message", "")).startswith("turn")
        if entry.get("logger") in ("bot.gateway.dispatch", "bench.floor") and turn:
            calls[entry["conversation"]].append(float(entry["ms"]))
    return calls


def own_time(through: Phase, calls: dict[str, list[float]]) -> list[float]:
    """The gateway's own share of every turn: the turn through the gateway minus that turn's Rasa call. Unlike the
    difference of two percentiles, this does not move with Rasa's queueing from one turn to the next."""
    own: list[float] = []
    for chat, turns in through.by_chat.items():
        rasa = calls.get(log_id(f"tg:{chat}", SECRET_KEY), [])
        if len(rasa) == len(turns) and None not in turns:  # a lost turn would misalign the two
            own += [turn - call for turn, call in zip(turns, rasa, strict=True) if turn is not None]
    return own


@dataclass
class Round:
    """One measured round: both groups at once, on conversations of their own."""

    direct: Phase
    through: Phase
    chats: list[int]
    out_of_order: int = 0


async def _round(stack: Stack, client: aiohttp.ClientSession, arrivals: Arrivals, expected: list[int],
                 gateway_process: psutil.Process, number: int) -> Round:
    chats = [10_000 + CONVERSATIONS * number + n for n in range(CONVERSATIONS)]
    cpu_before = sum(gateway_process.cpu_times()[:2])
    # Both at once, so that both meet Rasa in the same state whatever else the machine is doing.
    direct, through = await asyncio.gather(
        _direct(stack, client, [f"bench-direct-{number}-{n}" for n in range(CONTROL)]),
        _through_gateway(stack, client, arrivals, chats, expected))
    through.cpu_s = sum(gateway_process.cpu_times()[:2]) - cpu_before
    measured = Round(direct, through, chats)
    measured.out_of_order = await _out_of_order(stack, client, chats)
    return measured


def round_report(measured: Round, calls: dict[str, list[float]]) -> dict[str, Any]:
    direct, through = measured.direct, measured.through
    own = own_time(through, calls)
    direct_p95 = _percentile(direct.latencies_ms, 0.95) if direct.latencies_ms else 0.0
    gateway_p95 = _percentile(through.latencies_ms, 0.95) if through.latencies_ms else 0.0
    added_p95 = gateway_p95 - direct_p95
    report = {
        "direct": direct.report(), "gateway": {**through.report(), "webhook_ack_ms": _summary(through.acks_ms),
                                               "first_reply_ms": _summary(through.first_ms),
                                               "out_of_order_conversations": measured.out_of_order,
                                               "gateway_cpu_ms_per_message": round(
                                                   through.cpu_s * 1000 / max(1, len(through.latencies_ms)), 2)},
        "own_time_ms": {**_summary(own), "turns": len(own)},
        "own_p95_ratio": round(_percentile(own, 0.95) / direct_p95, 3) if own and direct_p95 else None,
        "added_p95_ms": round(added_p95, 1),
        "added_p95_ratio": round(added_p95 / direct_p95, 3) if direct_p95 else None,
        "added_p50_ms": round(statistics.median(through.latencies_ms) - statistics.median(direct.latencies_ms), 1)
        if direct.latencies_ms and through.latencies_ms else None,
    }
    ratio, own_ratio = report["added_p95_ratio"], report["own_p95_ratio"]
    # Met only when both measures agree: the difference of p95s alone can pass on a round where Rasa queued a lot.
    report["met"] = ratio is not None and ratio <= 0.10 and own_ratio is not None and own_ratio <= 0.10 \
        and through.lost == 0 and measured.out_of_order == 0
    return report


async def _measure(stack: Stack) -> dict[str, Any]:
    # aiohttp: the load generator shares the two cores with what it measures, and costs a third of httpx's CPU per
    # request. Idle connections are dropped before uvicorn's 5 s keep-alive ends them under a request.
    connector = aiohttp.TCPConnector(limit=CONVERSATIONS + CONTROL + 20, keepalive_timeout=4.0)
    gateway_process = psutil.Process(stack.gateway_pid)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=30.0)) as client:
        arrivals = Arrivals(stack.api)
        stop = asyncio.Event()
        follower = asyncio.create_task(arrivals.follow(client, stop))
        try:
            expected = await _replies_per_turn(stack, client, arrivals, 9_000)
            await _direct(stack, client, [f"bench-warm-{n}" for n in range(5)])
            rounds = [await _round(stack, client, arrivals, expected, gateway_process, number)
                      for number in range(ROUNDS)]
        finally:
            stop.set()
            await follower
    calls = rasa_calls(stack.logs / "gateway.log")
    return {
        "conversations": CONVERSATIONS, "control_conversations": CONTROL, "script": list(SCRIPT), "think_s": THINK_S,
        "replies_per_turn": expected, "rounds": [round_report(measured, calls) for measured in rounds],
        "load_average": [round(value, 2) for value in os.getloadavg()],
    }


def run(floor: bool = False) -> BenchResult:
    with running_stack(floor) as stack:
        data = asyncio.run(_measure(stack))
    rounds = data["rounds"]
    met = sum(1 for report in rounds if report["met"])
    verdict = "met" if met == len(rounds) else "NOT met"
    cpu_parts = " (webhook, inbox, Rasa call, replies, transcript)"
    markdown = [
        *(["## The floor under the gateway's overhead (a bare pass-through, not the product)", "",
           "The same bench with bench/floor.py in the gateway's place: the webhook's secret checked, the message "
           "deduped and stored in one Redis round trip, Rasa asked, each reply posted in order; no "
           "python-telegram-bot, no inbox lock, handoff mode, transcript, rate limits or retries. What any gateway "
           "built on this stack pays on this machine; `gateway` is the product itself.", ""] if floor
          else ["## Gateway overhead over Rasa", ""]),
        f"{data['conversations']} conversations through the gateway and {data['control_conversations']} straight to "
        f"Rasa, at the same time, each sending the same {len(SCRIPT)} messages and reading for ~{THINK_S:.0f} s "
        "(±50 %) after each answer; measured in "
        f"{len(rounds)} rounds one after the other, each on new conversations, because the same run on the same "
        "machine differs from round to round. Real Rasa with the current model, action server, private Redis, "
        "one gateway worker and a Bot API double, each in its own process (Telegram's overall flood limit "
        "lifted). Gateway: from the Telegram webhook call until the turn's last reply reaches the double "
        f"(replies per turn: {data['replies_per_turn']}). Load average at the end: {data['load_average']} on "
        f"{os.cpu_count()} CPUs.",
        "",
        "| round | Rasa directly: turns, p50 / p95 ms | through the gateway: turns, p50 / p95 ms | added at p95 "
        "(÷ Rasa's p95) | gateway's own time p50 / p95 ms (÷ Rasa's p95) | lost | reordered | target |",
        "|---|---|---|---|---|---|---|---|",
        *(f"| {number} | {r['direct']['answered']} of {r['direct']['turns']}, {r['direct']['latency_ms']['p50']} / "
          f"{r['direct']['latency_ms']['p95']} | {r['gateway']['answered']} of {r['gateway']['turns']}, "
          f"{r['gateway']['latency_ms']['p50']} / {r['gateway']['latency_ms']['p95']} | {r['added_p95_ms']} "
          f"({r['added_p95_ratio']}) | {r['own_time_ms']['p50']} / {r['own_time_ms']['p95']} ({r['own_p95_ratio']}) "
          f"| {r['gateway']['lost'] + r['direct']['lost']} | {r['gateway']['out_of_order_conversations']} | "
          f"{'met' if r['met'] else 'NOT met'} |" for number, r in enumerate(rounds, 1)),
        "",
        "- Added at p95: p95 through the gateway − p95 straight to Rasa. Own time: each turn through the gateway "
        "minus its Rasa call as the gateway timed it, at p95; steadier, because Rasa's queueing moves the two "
        "p95s of the first measure by tens of ms.",
        f"- Target (gateway overhead ≤ 0.10 of Rasa's p95 by both measures, nothing lost or reordered): met in "
        f"{met} of {len(rounds)} rounds: **{verdict}** (met only when every round meets it)."
        + ("" if floor else " What any gateway on this stack costs here: the floor's section "
                            "(`python -m bench gateway_floor`); compare runs of the same hour, the machine's speed "
                            "moves by a third from one hour to the next."),
        *(f"- Round {number}: first reply p50 {r['gateway']['first_reply_ms']['p50']} / p95 "
          f"{r['gateway']['first_reply_ms']['p95']} ms (the table counts the last); webhook answered in p50 "
          f"{r['gateway']['webhook_ack_ms']['p50']} / p95 {r['gateway']['webhook_ack_ms']['p95']} ms (before the "
          f"Rasa round-trip); {r['gateway']['messages_per_s']} messages/s through the gateway; gateway CPU "
          f"{r['gateway']['gateway_cpu_ms_per_message']} ms per message{'' if floor else cpu_parts}."
          for number, r in enumerate(rounds, 1)),
    ]
    return BenchResult("gateway_floor" if floor else "gateway", data, markdown)


def run_floor() -> BenchResult:
    return run(floor=True)
