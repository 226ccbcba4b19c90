"""Reading pictures: how long Tesseract (through bot/media/ocr.py, as the gateway runs it) takes on a phone
screenshot of a job ad, a blank picture and a large photo, and what two pictures at once cost (the reader's pool has
two threads: a third waits). Pictures are made by harness/pictures.py, as in the tests.

    python -m bench pictures
"""

from __future__ import annotations

import asyncio
import os
import shutil
import statistics
import time
from typing import Any

from bench.nlu import percentile
from bench.result import BenchResult
from bot.media.ocr import PictureReader, read_words
from harness.pictures import JOB_AD, picture

ROUNDS = 8


def _timed(data: bytes, rounds: int = ROUNDS) -> dict[str, float]:
    read_words(data)  # warm-up: tesseract loads its Vietnamese model
    durations = []
    for _ in range(rounds):
        started = time.perf_counter()
        read_words(data)
        durations.append((time.perf_counter() - started) * 1000)
    ordered = sorted(durations)
    return {"p50_ms": round(statistics.median(ordered), 1), "p95_ms": round(percentile(ordered, 0.95), 1),
            "max_ms": round(max(ordered), 1)}


async def _together(data: bytes, count: int) -> float:
    reader = PictureReader()
    try:
        started = time.perf_counter()
        await asyncio.gather(*(reader.read(data) for _ in range(count)))
        return round((time.perf_counter() - started) * 1000, 1)
    finally:
        reader.close()


def run() -> BenchResult:
    if shutil.which("tesseract") is None:
        return BenchResult("pictures", {"skipped": "tesseract is not installed"},
                           ["## Reading pictures", "", "Skipped: tesseract is not installed (scripts/bootstrap)."])
    load_before = [round(value, 2) for value in os.getloadavg()]
    pictures = {"screenshot 1080×720": picture(JOB_AD), "blank 1080×720": picture(()),
                "photo 4000×3000": picture(JOB_AD, size=(4000, 3000), kind="JPEG")}
    data: dict[str, Any] = {"rounds": ROUNDS, "pictures": {name: _timed(image) for name, image in pictures.items()}}
    screenshot = pictures["screenshot 1080×720"]
    data["together_ms"] = {str(count): asyncio.run(_together(screenshot, count)) for count in (1, 2, 4)}
    data["load_average_before"] = load_before
    data["load_average"] = [round(value, 2) for value in os.getloadavg()]
    lines = ["## Reading pictures (Tesseract, vie)", "",
             f"`read_words` per picture, {ROUNDS} rounds after a warm-up; load average {load_before} before, "
             f"{data['load_average']} after, on {os.cpu_count()} CPUs.", "",
             "| picture | p50 ms | p95 ms | max ms |", "|---|---|---|---|"]
    lines += [f"| {name} | {row['p50_ms']} | {row['p95_ms']} | {row['max_ms']} |"
              for name, row in data["pictures"].items()]
    lines += ["", "Screenshots read at once through the gateway's reader (two threads), wall time:", "",
              "| pictures | ms |", "|---|---|"]
    lines += [f"| {count} | {ms} |" for count, ms in data["together_ms"].items()]
    return BenchResult("pictures", data, lines)
