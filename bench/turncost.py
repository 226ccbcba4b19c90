"""The cost of a turn by the length of the conversation: one person, one conversation, `TURNS` turns.

The stack of bench/gateway.py (real Rasa with the current model, action server, private Redis, one gateway worker,
the Bot API double, each in its own process), with Telegram's per-chat limit lifted too: one person writing back to
back would otherwise measure its 1 message a second, not the turn. One conversation sends the gateway bench's script
over and over, each message after the previous turn's last reply arrived; every turn is timed from the Telegram
webhook call until its first reply reaches the double. The gateway's own log gives, for the same turn, the Rasa
round trip as the gateway timed it, so the curve says where the growth is (Rasa or the gateway). A fresh
conversation afterwards shows the machine's speed at the end of the run. In the same run: the Redis read the
dispatcher makes for the conversation's mode at each turn (b976a28), timed on the same Redis.

    python -m bench turncost
    BENCH_TURNS=100 python -m bench turncost     # a shorter curve
"""

from __future__ import annotations

import asyncio
import os
import statistics
import time
from typing import Any

import aiohttp
import redis.asyncio

from bench.gateway import SCRIPT, SECRET, SECRET_KEY, Arrivals, Stack, _replies_per_turn, rasa_calls, running_stack
from bench.result import BenchResult
from bot.privacy import log_id
from bot.settings import Secret
from bot.state.queue import HandoffQueue
from bot.state.sealed import Sealer, new_key
from harness.botapi import text_update

TURNS = int(os.environ.get("BENCH_TURNS", "300"))
WINDOW = 10  # turns per point of the curve
FRESH_TURNS = 10
MODE_READS = 2000
TURN_TIMEOUT_S = 60.0


def _p50(values: list[float]) -> float:
    return round(statistics.median(values), 1) if values else 0.0


async def _conversation(stack: Stack, client: aiohttp.ClientSession, arrivals: Arrivals, chat: int, turns: int,
                        expected: list[int]) -> list[float]:
    """Each turn's ms from the webhook call to its first reply (all of its replies awaited before the next)."""
    firsts: list[float] = []
    received = len(arrivals.times[chat])
    for turn in range(turns):
        index = turn % len(SCRIPT)
        sent = time.monotonic()
        async with client.post(f"{stack.gateway}/webhooks/telegram", json=text_update(chat, SCRIPT[index]),
                               headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}) as response:
            await response.read()
        first = received + 1
        received += expected[index]
        if await arrivals.replies(chat, received, TURN_TIMEOUT_S) is None:
            raise RuntimeError(f"turn {turn + 1} of the turn-cost conversation got no answer in {TURN_TIMEOUT_S} s")
        firsts.append((arrivals.times[chat][first - 1] - sent) * 1000)
    return firsts


async def _mode_reads(url: str) -> list[float]:
    client = redis.asyncio.Redis.from_url(url, decode_responses=True)
    queue = HandoffQueue(client, Sealer([Secret(new_key())]))  # the mode is not sealed; the queue wants a sealer
    timings = []
    try:
        for number in range(MODE_READS):
            started = time.perf_counter()
            await queue.mode(f"tg:{number}")
            timings.append((time.perf_counter() - started) * 1000)
    finally:
        await client.close()
    return timings


async def _measure(stack: Stack, redis_url: str) -> dict[str, Any]:
    connector = aiohttp.TCPConnector(limit=20, keepalive_timeout=4.0)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=30.0)) as client:
        arrivals = Arrivals(stack.api)
        stop = asyncio.Event()
        follower = asyncio.create_task(arrivals.follow(client, stop))
        try:
            expected = await _replies_per_turn(stack, client, arrivals, 8_000)
            await _conversation(stack, client, arrivals, 8_001, 5, expected)  # warm-up
            load_before = os.getloadavg()
            long = await _conversation(stack, client, arrivals, 8_100, TURNS, expected)
            fresh = await _conversation(stack, client, arrivals, 8_200, FRESH_TURNS, expected)
            load_after = os.getloadavg()
            modes = await _mode_reads(redis_url)
        finally:
            stop.set()
            await follower
    calls = rasa_calls(stack.logs / "gateway.log")
    rasa_long = calls.get(log_id("tg:8100", SECRET_KEY), [])
    rasa_fresh = calls.get(log_id("tg:8200", SECRET_KEY), [])
    windows = []
    for start in range(0, TURNS, WINDOW):
        part = slice(start, start + WINDOW)
        windows.append({"turns": f"{start + 1}–{min(TURNS, start + WINDOW)}", "first_reply_p50_ms": _p50(long[part]),
                        "rasa_p50_ms": _p50(rasa_long[part]) if len(rasa_long) == TURNS else None})
    base = windows[0]["first_reply_p50_ms"] or 1.0

    def ratio(first_turn: int) -> float | None:
        index = (first_turn - 1) // WINDOW
        return round(windows[index]["first_reply_p50_ms"] / base, 2) if index < len(windows) else None

    # The last 30 turns against a fresh conversation right after them: the same moment of a shared machine, so a
    # neighbour's load that comes or goes during the run does not read as growth (or its absence).
    last = long[-3 * WINDOW:]
    late_vs_fresh = round(_p50(last) / _p50(fresh), 2) if last and fresh and _p50(fresh) else None
    return {"turns": TURNS, "windows": windows, "fresh_first_reply_p50_ms": _p50(fresh),
            "late_vs_fresh": late_vs_fresh,
            "fresh_rasa_p50_ms": _p50(rasa_fresh), "ratio_71_80": ratio(71), "ratio_291_300": ratio(291),
            "single_turn_p50_ms": windows[0]["first_reply_p50_ms"],
            "mode_read_ms": {"p50": round(statistics.median(modes), 3),
                             "p95": round(sorted(modes)[int(len(modes) * 0.95)], 3)},
            "load_average_before": [round(v, 2) for v in load_before],
            "load_average_after": [round(v, 2) for v in load_after]}


def run() -> BenchResult:
    with running_stack(chat_limit=False) as stack:
        data = asyncio.run(_measure(stack, stack.redis_url))
    shown = [w for w in data["windows"] if w["turns"].split("–")[0] in {"1", "31", "71", "141", "221", "291"}]
    markdown = [
        "## Turn cost by conversation length", "",
        f"One conversation of {data['turns']} turns through the gateway (Telegram webhook → first reply at the Bot "
        "API double), each message sent after the previous turn's replies arrived, with Telegram's limits (30/s, "
        "1/s per chat) lifted: this measures the stack, not the per-chat limit; the gateway bench's script "
        f"({len(SCRIPT)} messages) over and over; p50 over {WINDOW} turns. Rasa: the same turns' Rasa round trip as "
        f"the gateway logged it. Load average before {data['load_average_before']}, after "
        f"{data['load_average_after']} on {os.cpu_count()} CPUs (shared machine: compare figures of one run only).",
        "", "| turns | first reply p50 ms | Rasa round trip p50 ms |", "|---|---|---|",
        *(f"| {w['turns']} | {w['first_reply_p50_ms']} | {w['rasa_p50_ms']} |" for w in shown),
        f"| fresh conversation, turns 1–{FRESH_TURNS} | {data['fresh_first_reply_p50_ms']} | "
        f"{data['fresh_rasa_p50_ms']} |", "",
        f"- Turn 71–80 ÷ turn 1–10: **{data['ratio_71_80']}** (target ≤ 1.2); turn 291–300 ÷ turn 1–10: "
        f"**{data['ratio_291_300']}** (target ≤ 1.3).",
        f"- The last {3 * WINDOW} turns ÷ the fresh conversation right after them (the same moment of the machine): "
        f"**{data['late_vs_fresh']}**.",
        f"- Single-person turn p50 (turns 1–10): **{data['single_turn_p50_ms']} ms** (target ≤ 100 ms).",
        f"- The dispatcher's own read of the conversation's mode (one Redis GET, {MODE_READS} reads on the same "
        f"Redis in this run): p50 {data['mode_read_ms']['p50']} ms, p95 {data['mode_read_ms']['p95']} ms.",
    ]
    return BenchResult("turncost", data, markdown)
