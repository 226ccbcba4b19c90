"""Two gateways side by side: this tree's and another git ref's, at the same time, on the same stack.

    BENCH_COMPARE_REF=main python -m bench gateway_compare

Whether a change makes a turn faster is a question about a millisecond or less, and the gateway bench run twice on
this machine moves Rasa's p95 by a third (reports/bench.md): two runs, one per version, cannot answer it. Here both
versions run in one stack at once (bench/gateway.py's, with a second gateway started from the other ref, unpacked
by `git archive` into a temporary folder and run with this tree's Python environment). Each gets half of
bench/gateway.py's conversations, interleaved; both meet the same Rasa, action server, Redis, Bot API double and
machine load, turn for turn, with Rasa's direct control group beside them. Reported per round, for each version:
the whole turn (webhook call to last reply) at p50 / p95, the gateway's own time (the turn minus its Rasa call as
that gateway logged it) and its CPU per message; then this tree minus the other ref. Each ref compared against keeps
a section of its own in reports/bench.md (`gateway_compare_<ref>`).
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import tarfile
import tempfile
from dataclasses import replace
from io import BytesIO
from pathlib import Path
from typing import Any

import aiohttp
import psutil

from bench.gateway import (
    CONTROL,
    CONVERSATIONS,
    ROUNDS,
    SCRIPT,
    THINK_S,
    Arrivals,
    Phase,
    Stack,
    _direct,
    _out_of_order,
    _replies_per_turn,
    _summary,
    _through_gateway,
    own_time,
    rasa_calls,
    running_stack,
)
from bench.result import BenchResult
from bot.settings import PROJECT_ROOT

REF = os.environ.get("BENCH_COMPARE_REF", "main")


def unpack(ref: str, folder: Path) -> str:
    """The files of `ref` in `folder`; returns the commit it names."""
    commit = subprocess.run(["git", "rev-parse", "--short", f"{ref}^{{commit}}"], cwd=PROJECT_ROOT, check=True,
                            capture_output=True, text=True).stdout.strip()
    archive = subprocess.run(["git", "archive", "--format=tar", commit], cwd=PROJECT_ROOT, check=True,
                             capture_output=True).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(folder)
    return commit


def pooled(phases: list[Phase]) -> Phase:
    """Several rounds' turns as one (their conversations never repeat): a p95 from more turns than one round has."""
    whole = Phase(started=min(p.started for p in phases), finished=max(p.finished for p in phases))
    for phase in phases:
        whole.latencies_ms += phase.latencies_ms
        whole.by_chat.update(phase.by_chat)
        whole.lost += phase.lost
    return whole


def compared(direct: Phase, through: dict[str, Phase], calls: dict[str, dict[str, list[float]]],
             cpu: dict[str, float], reordered: int) -> dict[str, Any]:
    versions = {name: version_report(through[name], calls[name], cpu[name]) for name in through}
    return {"direct": direct.report(), **versions, "reordered": reordered,
            "p95_difference_ms": round(versions["this"]["latency_ms"]["p95"] - versions["other"]["latency_ms"]["p95"],
                                       1),
            "own_p95_difference_ms": round(versions["this"]["own_time_ms"]["p95"]
                                           - versions["other"]["own_time_ms"]["p95"], 1)}


def version_report(through: Phase, calls: dict[str, list[float]], cpu_s: float) -> dict[str, Any]:
    own = own_time(through, calls)
    return {**through.report(), "own_time_ms": {**_summary(own), "turns": len(own)},
            "cpu_ms_per_message": round(cpu_s * 1000 / max(1, len(through.latencies_ms)), 2)}


async def _measure(stack: Stack) -> dict[str, Any]:
    other = replace(stack, gateway=stack.versus)
    processes = {"this": psutil.Process(stack.gateway_pid), "other": psutil.Process(stack.versus_pid)}
    connector = aiohttp.TCPConnector(limit=CONVERSATIONS + CONTROL + 20, keepalive_timeout=4.0)
    load_before = [round(value, 2) for value in os.getloadavg()]
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=30.0)) as client:
        arrivals = Arrivals(stack.api)
        stop = asyncio.Event()
        follower = asyncio.create_task(arrivals.follow(client, stop))
        try:
            expected = {"this": await _replies_per_turn(stack, client, arrivals, 9_000),
                        "other": await _replies_per_turn(other, client, arrivals, 9_001)}
            await _direct(stack, client, [f"bench-warm-{n}" for n in range(5)])
            rounds = []
            for number in range(ROUNDS):
                first = 10_000 + CONVERSATIONS * number
                chats = {"this": list(range(first, first + CONVERSATIONS, 2)),
                         "other": list(range(first + 1, first + CONVERSATIONS, 2))}
                cpu_before = {name: sum(process.cpu_times()[:2]) for name, process in processes.items()}
                direct, mine, theirs = await asyncio.gather(
                    _direct(stack, client, [f"bench-direct-{number}-{n}" for n in range(CONTROL)]),
                    _through_gateway(stack, client, arrivals, chats["this"], expected["this"]),
                    _through_gateway(other, client, arrivals, chats["other"], expected["other"]))
                cpu = {name: sum(process.cpu_times()[:2]) - cpu_before[name] for name, process in processes.items()}
                reordered = await _out_of_order(stack, client, chats["this"] + chats["other"])
                rounds.append((direct, {"this": mine, "other": theirs}, cpu, reordered))
        finally:
            stop.set()
            await follower
    calls = {"this": rasa_calls(stack.logs / "gateway.log"), "other": rasa_calls(stack.logs / "versus.log")}
    reports = [compared(direct, through, calls, cpu, reordered) for direct, through, cpu, reordered in rounds]
    everything = compared(pooled([direct for direct, _, _, _ in rounds]),
                          {name: pooled([through[name] for _, through, _, _ in rounds]) for name in calls}, calls,
                          {name: sum(cpu[name] for _, _, cpu, _ in rounds) for name in calls},
                          sum(reordered for _, _, _, reordered in rounds))
    return {"conversations_each": CONVERSATIONS // 2, "control_conversations": CONTROL, "script": list(SCRIPT),
            "think_s": THINK_S, "replies_per_turn": expected, "rounds": reports, "all_rounds": everything,
            "load_average_before": load_before, "load_average": [round(value, 2) for value in os.getloadavg()]}


def run() -> BenchResult:
    with tempfile.TemporaryDirectory(prefix="caunoi-compare-") as folder:
        commit = unpack(REF, Path(folder))
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=PROJECT_ROOT, check=True,
                              capture_output=True, text=True).stdout.strip()
        dirty = bool(subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=PROJECT_ROOT,
                                    check=True, capture_output=True, text=True).stdout.strip())
        with running_stack(versus=Path(folder)) as stack:
            data = asyncio.run(_measure(stack))
    this = f"{head}{' with uncommitted changes' if dirty else ''}"
    data.update({"this": this, "other": f"{REF} ({commit})"})
    rounds = data["rounds"]

    def version(r: dict[str, Any], name: str) -> str:
        v = r[name]
        return (f"{v['answered']} of {v['turns']}, {v['latency_ms']['p50']} / {v['latency_ms']['p95']} | "
                f"{v['own_time_ms']['p50']} / {v['own_time_ms']['p95']} | {v['cpu_ms_per_message']}")

    markdown = [
        "## Two gateways side by side (`BENCH_COMPARE_REF=<ref> python -m bench gateway_compare`)", "",
        f"This tree ({this}) and {REF} ({commit}), each a gateway of its own in one stack, at the same time: "
        f"{data['conversations_each']} conversations each (interleaved), and {data['control_conversations']} "
        f"straight to Rasa, each sending the same {len(SCRIPT)} messages and reading for ~{THINK_S:.0f} s (±50 %) "
        f"after each answer; {len(rounds)} rounds on new conversations. The rest as in the gateway bench: real "
        f"Rasa, action server, private Redis, a Bot API double. Load average {data['load_average_before']} before, "
        f"{data['load_average']} at the end, on {os.cpu_count()} CPUs.", "",
        "| round | Rasa directly p50 / p95 ms | this: turns, p50 / p95 ms | this: own p50 / p95 ms | this: CPU ms/msg "
        "| other: turns, p50 / p95 ms | other: own p50 / p95 ms | other: CPU ms/msg | this − other at p95: turn / own "
        "| lost | reordered |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
        *(f"| {number} | {r['direct']['latency_ms']['p50']} / {r['direct']['latency_ms']['p95']} | "
          f"{version(r, 'this')} | {version(r, 'other')} | {r['p95_difference_ms']} / {r['own_p95_difference_ms']} | "
          f"{r['this']['lost'] + r['other']['lost'] + r['direct']['lost']} | {r['reordered']} |"
          for number, r in [*enumerate(rounds, 1), ("all", data["all_rounds"])]),
        "",
        "- Turn: from the Telegram webhook call until the turn's last reply reaches the double. Own: each turn minus "
        "its Rasa call as that gateway timed it. `all`: every round's turns together. A difference within the "
        "rounds' spread of either version is no difference; rounds where Rasa queues (its direct p95 far above its "
        "p50) or turns are lost measure the machine, not the gateways.",
    ]
    return BenchResult("gateway_compare_" + re.sub(r"\W", "_", REF), data, markdown)
