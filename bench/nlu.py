"""NLU benchmark: parse latency and throughput, training time and model size, ours beside Rasa's default.

Our model is trained in this process into a temporary directory; Rasa's default pipeline (DIET, 100 epochs,
about half an hour on two cores) is reused from models/eval/ when `make eval` already trained it from the same
inputs, with the training time recorded then. Each model then parses the test split's lines, repeated to at
least MIN_PARSES messages after a warm-up, one message at a time through Agent.parse_message.
"""

from __future__ import annotations

import asyncio
import resource
import statistics
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import psutil

from bench.result import BenchResult
from evaluation import pipelines
from evaluation.testset import load_test_split

WARM_UP = 50
MIN_PARSES = 1000


@dataclass(frozen=True)
class Latency:
    parses: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    mean_ms: float
    messages_per_second: float


def percentile(sorted_values: Sequence[float], share: float) -> float:
    """Nearest-rank percentile of already sorted values."""
    rank = max(1, round(share * len(sorted_values) + 0.5 - 1e-9))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def measure(agent: Any, lines: Sequence[str]) -> Latency:
    repeats = -(-MIN_PARSES // len(lines))
    workload = [*lines] * repeats

    async def run() -> tuple[list[float], float]:
        for line in lines[:WARM_UP]:
            await agent.parse_message(line)
        durations = []
        started = time.perf_counter()
        for line in workload:
            before = time.perf_counter()
            await agent.parse_message(line)
            durations.append((time.perf_counter() - before) * 1000)
        return durations, time.perf_counter() - started

    durations, elapsed = asyncio.run(run())
    ordered = sorted(durations)
    return Latency(len(ordered), percentile(ordered, 0.50), percentile(ordered, 0.95),
                   percentile(ordered, 0.99), statistics.fmean(ordered), len(ordered) / elapsed)


def _rss_mb() -> float:
    return float(psutil.Process().memory_info().rss) / 1_000_000


def run() -> BenchResult:
    pipelines.quiet_rasa()
    lines = [example.text for example in load_test_split()]
    data: dict[str, Any] = {"test_lines": len(lines), "warm_up": WARM_UP, "models": {}}
    with tempfile.TemporaryDirectory(prefix="caunoi-bench-") as temporary:
        directory = Path(temporary)
        default = pipelines.default_pipeline(directory)
        for trained in (pipelines.train(pipelines.our_pipeline(), directory),
                        pipelines.train_or_reuse(default, directory, pipelines.MODEL_CACHE)):
            agent = pipelines.load(trained)
            latency = measure(agent, lines)
            data["models"][trained.pipeline.name] = {
                "training_seconds": round(trained.seconds, 1), "trained_at": trained.trained_at,
                "reused": trained.reused, "size_bytes": trained.size_bytes,
                "fingerprint": trained.fingerprint, "rss_mb_after": round(_rss_mb(), 1),
                **{key: round(value, 3) for key, value in asdict(latency).items()},
            }
    ours, default = data["models"]["ours"], data["models"]["default"]
    data["ours_over_default"] = {key: round(ours[key] / default[key], 3) for key in
                                 ("p50_ms", "p95_ms", "p99_ms", "messages_per_second", "training_seconds",
                                  "size_bytes")}
    # ru_maxrss is the kernel's own high-water mark (KiB on Linux); psutil only sees the current RSS.
    data["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1_000_000, 1)
    return BenchResult("nlu", data, markdown(data))


def _training(model: dict[str, Any]) -> str:
    kept = f" (model kept from {model['trained_at'][:16].replace('T', ' ')} UTC)" if model["reused"] else ""
    return f"{model['training_seconds']:.0f} s{kept}"


def markdown(data: dict[str, Any]) -> list[str]:
    ours, default, ratio = data["models"]["ours"], data["models"]["default"], data["ours_over_default"]
    rows = [
        ("parse p50", f"{ours['p50_ms']:.1f} ms", f"{default['p50_ms']:.1f} ms", ratio["p50_ms"]),
        ("parse p95", f"{ours['p95_ms']:.1f} ms", f"{default['p95_ms']:.1f} ms", ratio["p95_ms"]),
        ("parse p99", f"{ours['p99_ms']:.1f} ms", f"{default['p99_ms']:.1f} ms", ratio["p99_ms"]),
        ("messages/s", f"{ours['messages_per_second']:.0f}", f"{default['messages_per_second']:.0f}",
         ratio["messages_per_second"]),
        ("training time", f"{ours['training_seconds']:.0f} s", _training(default), ratio["training_seconds"]),
        ("model size", f"{ours['size_bytes'] / 1e6:.1f} MB", f"{default['size_bytes'] / 1e6:.1f} MB",
         ratio["size_bytes"]),
        ("process RSS after loading", f"{ours['rss_mb_after']:.0f} MB", f"{default['rss_mb_after']:.0f} MB",
         ""),
    ]
    header = "| | ours | Rasa default | ours / default |"
    return [
        "## NLU",
        "",
        f"In-process `Agent.parse_message`, one message at a time: {data['test_lines']} test-split lines "
        f"repeated to {ours['parses']} parses per model after {data['warm_up']} warm-up parses. Both trained "
        "NLU-only on `content/vi/nlu/`; ours in this run.",
        "",
        header,
        "|---|---|---|---|",
        *(f"| {name} | {a} | {b} | {r} |" for name, a, b, r in rows),
        "",
        f"Peak RSS of the whole run (both models trained and loaded): {data['peak_rss_mb']:.0f} MB.",
    ]
