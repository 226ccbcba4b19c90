"""The whole local stack as `make run` starts it: time to the first answer, and memory of every process.

Starts `caunoi run` on free ports with a private Redis, sends "xin chào" through the gateway until the trained
greeting comes back, then 40 more messages over 4 conversations, sampling the resident memory of the whole process
tree (supervisor, Rasa, action server, gateway, Redis) every 0.2 s. Stops it with Ctrl-C (SIGINT) like a person.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import httpx
import psutil

import harness.stack
from bench.result import BenchResult
from bot.rasa_server import model
from bot.settings import get_settings
from harness.stack import stack_env

MESSAGES = ["xin chào", "tôi cần tìm luật sư ở Nghệ An", "co nguoi ru sang cam lam viec nhe luong cao",
            "làm sao kiểm tra công ty xuất khẩu lao động", "cam on ban", "tạm biệt",
            "nan nhan duoc ho tro gi", "thoi tiet the nao", "toi o da nang", "ban la nguoi hay may"]


WELCOME = "Chào bạn, mình là Cầu Nối"


class MemorySampler(threading.Thread):
    def __init__(self, root: int):
        super().__init__(daemon=True)
        self.root = root
        self.peak_total = 0
        self.peak_by_name: dict[str, int] = {}
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.wait(0.2):
            try:
                processes = [psutil.Process(self.root), *psutil.Process(self.root).children(recursive=True)]
            except psutil.NoSuchProcess:
                return
            total = 0
            for process in processes:
                try:
                    rss = process.memory_info().rss
                    name = " ".join(process.cmdline()[1:5]) or process.name()
                except psutil.Error:
                    continue
                total += rss
                self.peak_by_name[name] = max(self.peak_by_name.get(name, 0), rss)
            self.peak_total = max(self.peak_total, total)


def timed_turn(client: httpx.Client, conversations: dict[int, tuple[str, str]], slot: int, text: str) -> float:
    """One message on web conversation `slot` (its first starts it); the ms of the request that was answered.
    The web channel limits each address to a message a second after a burst (bot/channels/web.py): a 429 waits
    its Retry-After, untimed, and the message is sent again."""
    while True:
        known = conversations.get(slot)
        body: dict[str, str] = {"text": text, **({"conversation_id": known[0]} if known else {})}
        headers = {"Authorization": f"Bearer {known[1]}"} if known else {}
        sent = time.perf_counter()
        reply = client.post("/webhooks/web", json=body, headers=headers)
        elapsed = (time.perf_counter() - sent) * 1000
        if reply.status_code == 429:
            time.sleep(float(reply.headers.get("retry-after", "1")))
            continue
        if known is None and reply.status_code == 200:
            conversations[slot] = (reply.json()["conversation_id"], reply.json()["token"])
        return elapsed


def run() -> BenchResult:
    # Train first (untimed here, reported apart): the stack's own start is what a restart costs.
    training_started = time.monotonic()
    _, trained = model.train(get_settings(), quiet=True)
    training_s = round(time.monotonic() - training_started) if trained else 0
    env = stack_env()
    started = time.monotonic()
    with harness.stack.started() as processes:
        run = processes.run(env)
        sampler = MemorySampler(run.pid)
        sampler.start()
        base = f"http://127.0.0.1:{env['CAUNOI_HTTP_PORT']}"
        first_answer = None
        latencies: list[float] = []
        try:
            with httpx.Client(base_url=base, timeout=30) as client:
                # Until Rasa is up the gateway answers in degraded mode (and queues the conversation for a human):
                # only the trained welcome counts, each attempt from a new conversation. The web channel allows an
                # address only a few new conversations a minute, so attempts start once /readyz says Rasa answers.
                while first_answer is None and time.monotonic() - started < 300:
                    try:
                        if client.get("/readyz").status_code != 200:
                            time.sleep(0.5)
                            continue
                        reply = client.post("/webhooks/web", json={"text": "xin chào"})
                        texts = [m["text"] for m in reply.json().get("messages", [])] \
                            if reply.status_code == 200 else []
                        if texts and texts[0].startswith(WELCOME):
                            first_answer = time.monotonic() - started
                            break
                    except (httpx.HTTPError, ValueError):
                        pass
                    time.sleep(0.5)
                conversations: dict[int, tuple[str, str]] = {}
                for turn in range(40):
                    latencies.append(timed_turn(client, conversations, turn % 4, MESSAGES[turn % len(MESSAGES)]))
        finally:
            run.stop(timeout=60)  # Ctrl-C, as a person stops it
            sampler.stop.set()
            sampler.join(timeout=2)
    latencies.sort()
    data: dict[str, Any] = {
        "training_before_start_s": training_s,
        "time_to_first_answer_s": round(first_answer, 1) if first_answer else None,
        "peak_rss_total_mb": round(sampler.peak_total / 2**20),
        "peak_rss_by_process_mb": {name: round(rss / 2**20) for name, rss in sorted(sampler.peak_by_name.items())},
        "turn_latency_ms": {"p50": round(latencies[len(latencies) // 2]),
                            "p95": round(latencies[int(len(latencies) * 0.95)])} if latencies else None,
    }
    rows = [f"| {name} | {mb} |" for name, mb in data["peak_rss_by_process_mb"].items()]
    markdown = [
        "## Local stack (`caunoi run`)", "",
        f"- Time from `caunoi run` to the first answer through the gateway (model already trained): "
        f"**{data['time_to_first_answer_s']} s**",
        f"- Peak resident memory of the whole process tree: **{data['peak_rss_total_mb']} MB**",
        f"- Training needed before the start: {training_s} s (0: the model was current)",
        f"- Turn latency through the gateway, 40 turns over 4 conversations: {data['turn_latency_ms']} ms", "",
        "| process | peak RSS (MB) |", "|---|---|", *rows,
    ]
    return BenchResult("stack", data, markdown)
