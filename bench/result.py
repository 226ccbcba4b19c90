"""What every benchmark returns, so the runner can write them all into one report."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class BenchResult:
    name: str
    data: dict[str, Any]  # goes to reports/bench.json under `name`
    markdown: list[str]  # a section of reports/bench.md, starting with its `## ` heading
