"""Runs the benchmarks and writes reports/bench.md and reports/bench.json. Nothing here asserts on timings.

    make bench
    python -m bench            # every benchmark
    python -m bench nlu        # only the named ones

A new benchmark is a module with `run() -> BenchResult`, added to BENCHES.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from typing import Any

from bench import gateway, nlu, stack
from bench.result import BenchResult
from bot.settings import PROJECT_ROOT

BENCHES: dict[str, Callable[[], BenchResult]] = {
    "nlu": nlu.run,
    "gateway": gateway.run,
    "stack": stack.run,
}
REPORTS = PROJECT_ROOT / "reports"


def machine() -> dict[str, Any]:
    return {"cpus": os.cpu_count(), "processor": platform.processor() or platform.machine(),
            "python": platform.python_version(), "system": platform.platform()}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", metavar="NAME",
                        help=f"benchmarks to run (default: all of {', '.join(BENCHES)})")
    args = parser.parse_args(argv)
    unknown = [name for name in args.names if name not in BENCHES]
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)}; known: {', '.join(BENCHES)}")
    results = [BENCHES[name]() for name in (args.names or BENCHES)]

    generated = datetime.now(timezone.utc)
    host = machine()
    REPORTS.mkdir(exist_ok=True)
    data = {"generated": generated.isoformat(timespec="seconds"), "machine": host,
            "benches": {r.name: r.data for r in results}}
    (REPORTS / "bench.json").write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    lines = ["# Benchmarks", "",
             f"Generated {generated:%Y-%m-%d %H:%M} UTC by `make bench` (`python -m bench`) on {host['cpus']} CPUs "
             f"({host['processor']}, Python {host['python']}). Timings are measurements, not assertions.", ""]
    for result in results:
        lines += [*result.markdown, ""]
    (REPORTS / "bench.md").write_text("\n".join(lines).rstrip() + "\n", encoding="utf-8")
    print(f"report: {REPORTS / 'bench.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
