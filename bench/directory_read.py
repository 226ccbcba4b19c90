"""How long a read of the live directory takes (bot/state/directory.py): with the version unchanged (one GET) and
right after an edit (the entries are read, opened and indexed again). On demand only; nothing asserts on timings.

    .venv/bin/python -m bench.directory_read redis://127.0.0.1:6379/15     # a TEST database: its directory is replaced

Prints the medians and 95th percentiles with the machine's load average.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import time

import redis.asyncio

from bot.content import load_content
from bot.settings import PROJECT_ROOT, Secret
from bot.state.directory import DirectoryStore
from bot.state.sealed import Sealer, new_key

READS, EDITS = 300, 100


def percentile(values: list[float], share: float) -> float:
    return sorted(values)[min(len(values) - 1, int(len(values) * share))] * 1000


async def measure(url: str) -> str:
    client = redis.asyncio.Redis.from_url(url, decode_responses=True)
    content = load_content(PROJECT_ROOT / "content" / "vi")
    store = DirectoryStore(client, content, Sealer((Secret(new_key()),)))
    await store.remove_all()
    try:
        await store.current()
        entry = store.parse({"id": "bench-entry", "name": "Bench", "type": "legal_aid", "province": "Nghệ An",
                             "phone": "0901 234 567", "status": "unverified"}, "directory/provinces/nghe-an.yml")
        await store.write(store.stamped(entry, "bench", None), new=True)
        same: list[float] = []
        for _ in range(READS):
            start = time.perf_counter()
            await store.current()
            same.append(time.perf_counter() - start)
        moved: list[float] = []
        for _ in range(EDITS):
            await store.write(store.stamped(entry, "bench", None), new=False)
            start = time.perf_counter()
            await store.current()
            moved.append(time.perf_counter() - start)
        count = len(await store.records())
    finally:
        await store.remove_all()
        await client.close()
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    return (f"{count} entries; unchanged: median {statistics.median(same) * 1000:.2f} ms, p95 "
            f"{percentile(same, 0.95):.2f} ms; after an edit: median {statistics.median(moved) * 1000:.2f} ms, p95 "
            f"{percentile(moved, 0.95):.2f} ms (load average {load})")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python -m bench.directory_read REDIS_URL_OF_A_TEST_DATABASE")
    print(asyncio.run(measure(sys.argv[1])))
