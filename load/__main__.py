"""Runs the load test against the real stack on this machine and writes reports/load.md.

    make load                                  # the full run: 25 … 500 concurrent conversations, ~17 minutes
    LOAD_QUICK=1 make load                     # a smoke run: 5 and 10 conversations, ~2 minutes
    LOAD_GATEWAY_WORKERS=2 LOAD_RASA_SERVERS=1 LOAD_REPORT=reports/load-2x1.md make load

Starts, all on free ports: a private Redis, the Bot API double (harness/botapi.py), `caunoi run` with the double as
CAUNOI_TELEGRAM_API_URL and LOAD_RASA_SERVERS Rasa servers (default: one per core, as `caunoi run` starts them;
each gateway routes conversations to them by CAUNOI_RASA_URLS), and any extra gateway workers (`caunoi serve`).
Then locust from `.venv-load` (load/locustfile.py), sampling the resident memory of every process of the stack and
the load average every 2 s. Stops everything at the end.

Other settings: LOAD_STEPS (e.g. 25,50,100), LOAD_STEP_SECONDS, LOAD_SETTLE_SECONDS, LOAD_SPAWN_RATE,
LOAD_READ_SECONDS ("3,8"), LOAD_TIMEOUT (30), LOAD_TELEGRAM_RATE (outgoing messages/s per bot, default 1000 so
that the stack, not Telegram's ~30/s, is measured).
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx
import psutil

import harness.stack
from bot.rasa_server import model
from bot.settings import PROJECT_ROOT, get_settings
from bot.state.store import free_port, private_store
from harness.stack import stack_env
from harness.wait import GaveUp
from load.analysis import Arrived, Sample, Sent, Step, correlate, find_knee, step_stats
from load.report import RunInfo, render, to_json
from load.script import DEGRADED_FRAGMENT, HOLDING_FRAGMENT

LOCUST = PROJECT_ROOT / ".venv-load" / "bin" / "locust"
WORK = PROJECT_ROOT / "run" / "load"
TOKEN = "900001:LOAD-test-token"
READY_TIMEOUT = 300.0


@dataclass(frozen=True)
class Plan:
    steps: list[int]
    step_seconds: float
    settle_seconds: float
    spawn_rate: float
    read_seconds: tuple[float, float]
    timeout: float
    gateways: int
    rasa_servers: int
    telegram_rate: float
    report: Path

    @classmethod
    def from_environment(cls, env: dict[str, str]) -> Plan:
        quick = env.get("LOAD_QUICK", "") not in ("", "0")
        steps = [int(n) for n in env.get("LOAD_STEPS", "5,10" if quick else "25,50,100,200,300,500").split(",")]
        step_seconds = float(env.get("LOAD_STEP_SECONDS", "45" if quick else "150"))
        low, high = (float(x) for x in env.get("LOAD_READ_SECONDS", "3,8").split(","))
        report = Path(env.get("LOAD_REPORT", "") or PROJECT_ROOT / "reports" / "load.md")
        plan = cls(steps=steps, step_seconds=step_seconds,
                   settle_seconds=float(env.get("LOAD_SETTLE_SECONDS", "15" if quick else "40")),
                   spawn_rate=float(env.get("LOAD_SPAWN_RATE", "10")), read_seconds=(low, high),
                   timeout=float(env.get("LOAD_TIMEOUT", "30")),
                   gateways=int(env.get("LOAD_GATEWAY_WORKERS", "1")),
                   rasa_servers=int(env.get("LOAD_RASA_SERVERS", "") or os.cpu_count() or 1),
                   telegram_rate=float(env.get("LOAD_TELEGRAM_RATE", "1000")),
                   report=report if report.is_absolute() else PROJECT_ROOT / report)
        if not plan.steps or min(plan.steps) < 1 or plan.gateways < 1 or plan.rasa_servers < 1:
            raise SystemExit("load: LOAD_STEPS, LOAD_GATEWAY_WORKERS and LOAD_RASA_SERVERS must be positive")
        if not 0 <= plan.settle_seconds < plan.step_seconds:
            raise SystemExit("load: LOAD_SETTLE_SECONDS must be shorter than LOAD_STEP_SECONDS")
        return plan


def role_of(command: list[str]) -> str:
    """Which part of the stack a process is, from its command line."""
    line = " ".join(command)
    if "locust" in line:
        return "locust"
    if "harness.botapi" in line:
        return "botapi double"
    if "redis-server" in line or line.startswith("redis-"):  # and the children it forks (AOF rewrite, snapshots)
        return "redis"
    if "rasa_sdk" in line:
        return "actions"
    if "rasa run" in line or "serve rasa" in line:
        return "rasa"
    if "serve gateway" in line:
        return "gateway"
    if "bot run" in line:
        return "supervisor"
    if "serve actions" in line:
        return "actions"
    return "other"


class Sampler(threading.Thread):
    def __init__(self, roots: list[int]) -> None:
        super().__init__(daemon=True)
        self.roots = roots
        self.samples: list[Sample] = []
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.wait(2.0):
            rss: dict[str, int] = {}
            cpu: dict[str, float] = {}
            seen: set[int] = set()
            for root in self.roots:
                try:
                    tree = [psutil.Process(root), *psutil.Process(root).children(recursive=True)]
                except psutil.Error:
                    continue
                for process in tree:
                    if process.pid in seen:
                        continue
                    seen.add(process.pid)
                    try:
                        role = role_of(process.cmdline())
                        rss[role] = rss.get(role, 0) + process.memory_info().rss
                        times = process.cpu_times()
                        cpu[role] = cpu.get(role, 0.0) + times.user + times.system
                    except psutil.Error:
                        continue
            self.samples.append(Sample(time.monotonic(), os.getloadavg()[0], rss, cpu))


def redis_pid(url: str) -> int | None:
    port = int(url.rsplit(":", 1)[1].split("/")[0])
    for connection in psutil.net_connections(kind="tcp"):
        if connection.status == psutil.CONN_LISTEN and connection.laddr and connection.laddr.port == port:
            return int(connection.pid) if connection.pid else None
    return None


def load_env(redis_url: str, botapi: str, secret: str, plan: Plan) -> dict[str, str]:
    return stack_env(
        REDIS_URL=redis_url, CAUNOI_LOG_LEVEL="WARNING", CAUNOI_RASA_TOKEN=secrets.token_urlsafe(16),
        CAUNOI_SECRET_KEY=secrets.token_urlsafe(32), CAUNOI_TELEGRAM_TOKEN=TOKEN,
        CAUNOI_TELEGRAM_WEBHOOK_SECRET=secret, CAUNOI_TELEGRAM_API_URL=f"{botapi}/bot",
        CAUNOI_TELEGRAM_MESSAGES_PER_SECOND=f"{plan.telegram_rate:g}",
        # A throw-away key for texts sealed at rest (bot/state/sealed.py): as in production, sealing is part of the
        # cost.
        CAUNOI_DATA_KEYS=base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
    )


def read_log(path: Path) -> tuple[list[Sent], list[tuple[int, float]], float | None]:
    sent: list[Sent] = []
    starts: list[tuple[int, float]] = []
    end = None
    for line in path.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        if record["kind"] == "sent":
            sent.append(Sent(int(record["chat"]), int(record["seq"]), float(record["at"]), record["conversation"],
                             int(record["status"]), tuple(record["expect"])))
        elif record["kind"] == "step":
            starts.append((int(record["users"]), float(record["at"])))
        elif record["kind"] == "end":
            end = float(record["at"])
    return sent, starts, end


def main() -> int:
    plan = Plan.from_environment(dict(os.environ))
    if not LOCUST.exists():
        print("load: .venv-load has no locust; run `make load` (it installs load/requirements.lock)",
              file=sys.stderr)
        return 2
    settings = get_settings()
    model_file = model.current_model(settings)
    if model_file is None:
        print("load: no model matches the current data; run `caunoi train` first", file=sys.stderr)
        return 2
    WORK.mkdir(parents=True, exist_ok=True)
    for stale in WORK.glob("*.log"):
        stale.unlink()
    try:
        return run(plan, model_file)
    except GaveUp as error:  # a process of the stack exited, or was not ready in time
        print(f"load: {error}\nsee {WORK}", file=sys.stderr)
        return 1


def run(plan: Plan, model_file: Path) -> int:
    secret = secrets.token_urlsafe(24)
    load_before = os.getloadavg()
    began = time.monotonic()
    with private_store() as store, harness.stack.started() as running:
        botapi_port = free_port()
        botapi = f"http://127.0.0.1:{botapi_port}"
        double = running.bot_api(botapi_port, log=WORK / "botapi.log")
        env = load_env(store.url, botapi, secret, plan)
        # `caunoi run` starts the Rasa servers itself (one per core unless told), as people run it.
        env["CAUNOI_RASA_SERVERS"] = str(plan.rasa_servers)
        print(f"load: starting the stack ({plan.gateways} gateway worker(s), {plan.rasa_servers} Rasa server(s))",
              flush=True)
        stack = running.run(env, log=WORK / "caunoi-run.log")
        gateways = [f"http://127.0.0.1:{env['CAUNOI_HTTP_PORT']}"]
        readiness = [(f"{gateways[0]}/readyz", stack)]
        for index in range(2, plan.gateways + 1):
            port = free_port()
            extra = running.serve("gateway", {**env, "CAUNOI_HTTP_PORT": str(port)},
                                  log=WORK / f"gateway-{index}.log")
            gateways.append(f"http://127.0.0.1:{port}")
            readiness.append((f"{gateways[-1]}/readyz", extra))
        for url, process in readiness:
            process.wait_answering(url, READY_TIMEOUT)
        roots = [process.pid for _, process in readiness] + [double.pid]
        pid = redis_pid(store.url)
        if pid is not None:
            roots.append(pid)
        started = time.monotonic()
        print(f"load: stack ready after {started - began:.0f} s; locust: steps {plan.steps}, "
              f"{plan.step_seconds:g} s each", flush=True)
        sampler = Sampler(roots)
        sampler.start()
        log_path = WORK / "sent.jsonl"
        log_path.unlink(missing_ok=True)
        locust_env = {**{k: v for k, v in os.environ.items() if not k.startswith("LOAD_")},
                      "PYTHONPATH": str(PROJECT_ROOT), "LOAD_GATEWAYS": ",".join(gateways), "LOAD_BOTAPI": botapi,
                      "LOAD_SECRET": secret, "LOAD_STEPS": ",".join(map(str, plan.steps)),
                      "LOAD_STEP_SECONDS": f"{plan.step_seconds:g}", "LOAD_SPAWN_RATE": f"{plan.spawn_rate:g}",
                      "LOAD_READ_SECONDS": ",".join(f"{x:g}" for x in plan.read_seconds),
                      "LOAD_TIMEOUT": f"{plan.timeout:g}", "LOAD_LOG": str(log_path)}
        locust = running.start("locust", [str(LOCUST), "-f", str(PROJECT_ROOT / "load" / "locustfile.py"),
                                          "--headless", "--only-summary", "--loglevel", "WARNING",
                                          "--host", gateways[0], "--csv", str(WORK / "locust")], locust_env,
                               log=WORK / "locust.log")
        sampler.roots.append(locust.pid)
        try:
            locust.popen.wait(timeout=len(plan.steps) * plan.step_seconds + 180)
        except subprocess.TimeoutExpired:
            print("load: locust did not stop in time; stopping it", file=sys.stderr)
        # locust stops people mid-conversation: give their last messages the full timeout to be answered, so
        # that a missing reply means lost, not cut off by the end of the run.
        time.sleep(plan.timeout + 2.0)
        sampler.stop.set()
        sampler.join(timeout=5)
        recorded = httpx.get(f"{botapi}/load/all", timeout=60).json()
        calls = {str(k): int(v) for k, v in httpx.get(f"{botapi}/load/methods", timeout=10).json().items()}
    # Kept for a second look (run/ is not committed): what arrived, and the samples.
    (WORK / "arrived.json").write_text(json.dumps(recorded, ensure_ascii=False), encoding="utf-8")
    (WORK / "samples.json").write_text(json.dumps([s.__dict__ for s in sampler.samples]), encoding="utf-8")
    arrived = [Arrived(int(chat), float(r["at"]), r["text"]) for chat, items in recorded.items() for r in items]
    sent, starts, end = read_log(log_path)
    if not starts:
        print(f"load: locust logged no step; see {WORK / 'locust.log'}", file=sys.stderr)
        return 1
    correlation = correlate(sent, arrived, plan.timeout, DEGRADED_FRAGMENT, HOLDING_FRAGMENT)
    bounds = [s[1] for s in starts[1:]] + [end or max((m.at for m in sent), default=starts[-1][1])]
    steps = [step_stats(Step(users, at, until), correlation, arrived, sampler.samples, plan.settle_seconds)
             for (users, at), until in zip(starts, bounds, strict=True)]
    knee = find_knee(steps)
    loads = [s.load1 for s in sampler.samples] or [0.0]
    info = RunInfo(
        generated=f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC",
        command="make load" + (" (LOAD_QUICK=1)" if os.environ.get("LOAD_QUICK", "") not in ("", "0") else ""),
        cpus=os.cpu_count() or 0, gateways=plan.gateways, rasa_servers=plan.rasa_servers,
        step_seconds=plan.step_seconds, settle_seconds=plan.settle_seconds, read_seconds=plan.read_seconds,
        timeout_seconds=plan.timeout, telegram_per_second=plan.telegram_rate,
        load1=(min(loads), sum(loads) / len(loads), max(loads)),
        other_load=f"load average {load_before[0]:.1f} just before the stack started",
        unsolicited=correlation.unsolicited, conversations=len({m.chat for m in sent}),
        duration_s=time.monotonic() - began, bot_api_calls=calls,
    )
    plan.report.parent.mkdir(parents=True, exist_ok=True)
    plan.report.write_text(render(info, steps, knee), encoding="utf-8")
    data: dict[str, Any] = to_json(info, steps, knee)
    plan.report.with_suffix(".json").write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    print(f"load: report {plan.report}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
