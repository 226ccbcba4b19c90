"""Runs the benchmarks and writes reports/bench.md and reports/bench.json. Nothing here asserts on timings.

    make bench
    python -m bench            # every benchmark
    python -m bench nlu        # only the named ones
    python -m bench gateway_floor   # on demand only: the gateway bench with a bare pass-through (bench/floor.py)
    BENCH_COMPARE_REF=main python -m bench gateway_compare   # on demand only: this tree's gateway beside main's

A new benchmark is a module with `run() -> BenchResult`, added to BENCHES. Running only some of them keeps the
others' sections of the previous reports.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import sys
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from bench import compare, gateway, nlu, pictures, stack, turncost
from bench.result import BenchResult
from bot.settings import PROJECT_ROOT

BENCHES: dict[str, Callable[[], BenchResult]] = {
    "nlu": nlu.run,
    "gateway": gateway.run,
    "stack": stack.run,
    "pictures": pictures.run,
    "turncost": turncost.run,
    "gateway_floor": gateway.run_floor,
    "gateway_compare": compare.run,
}
ON_DEMAND = {"gateway_floor", "gateway_compare"}  # run only when named: `python -m bench gateway_floor`
REPORTS = PROJECT_ROOT / "reports"
SECTION = re.compile(r"<!-- bench:(\w+) -->")


def previous_sections(markdown: str) -> dict[str, list[str]]:
    """The sections of an earlier bench.md, by benchmark name (each starts with its marker comment)."""
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in markdown.splitlines():
        marker = SECTION.fullmatch(line.strip())
        if marker:
            current = sections.setdefault(marker.group(1), [])
        elif current is not None:
            current.append(line)
    return {name: "\n".join(lines).strip().splitlines() for name, lines in sections.items()}


def previous_data(path: Path) -> dict[str, Any]:
    try:
        benches = json.loads(path.read_text(encoding="utf-8")).get("benches")
    except (OSError, ValueError):
        return {}
    return benches if isinstance(benches, dict) else {}


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
    results = [BENCHES[name]() for name in (args.names or [name for name in BENCHES if name not in ON_DEMAND])]

    generated = datetime.now(timezone.utc)
    host = machine()
    REPORTS.mkdir(exist_ok=True)
    json_path, markdown_path = REPORTS / "bench.json", REPORTS / "bench.md"
    benches = {**previous_data(json_path), **{r.name: r.data for r in results}}
    sections = previous_sections(markdown_path.read_text(encoding="utf-8")) if markdown_path.exists() else {}
    sections.update({r.name: r.markdown for r in results})
    data = {"generated": generated.isoformat(timespec="seconds"), "machine": host, "benches": benches}
    json_path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    lines = ["# Benchmarks", "",
             f"Generated {generated:%Y-%m-%d %H:%M} UTC by `make bench` (`python -m bench`) on "
             f"{host['cpus']} CPUs ({host['processor']}, Python {host['python']}). Timings are measurements, "
             "not assertions; "
             f"this run: {', '.join(r.name for r in results)}.", ""]
    for name in [*BENCHES, *(n for n in sections if n not in BENCHES)]:
        if name in sections:
            lines += [f"<!-- bench:{name} -->", *sections[name], ""]
    markdown_path.write_text("\n".join(lines).rstrip() + "\n", encoding="utf-8")
    print(f"report: {REPORTS / 'bench.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
