"""reports/load.md from the per-step numbers: facts only, no message text, no conversation ids."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from load.analysis import Knee, StepStats


@dataclass(frozen=True)
class RunInfo:
    generated: str  # "2026-11-29 09:10 UTC"
    command: str
    cpus: int
    gateways: int
    rasa_servers: int
    step_seconds: float
    settle_seconds: float
    read_seconds: tuple[float, float]
    timeout_seconds: float
    telegram_per_second: float
    load1: tuple[float, float, float]  # min, mean, max of the 1-minute load average during the run
    other_load: str  # what else ran on the machine, as seen before the start
    unsolicited: int
    conversations: int  # people who started a conversation
    duration_s: float
    bot_api_calls: dict[str, int] = field(default_factory=dict)  # by method, the whole run


def _ms(value: float | None) -> str:
    return "–" if value is None else f"{value:.0f}"


def _errors(step: StepStats) -> str:
    if not step.errors:
        return "0"
    detail = ", ".join(f"{count} {kind}" for kind, count in sorted(step.errors.items()))
    return f"{step.error_rate:.1%} ({detail})"


def render(info: RunInfo, steps: Sequence[StepStats], knee: Knee) -> str:
    rows = [
        f"| {s.users} | {s.messages_per_s:.1f} | {s.replies_per_s:.1f} | {_ms(s.latency_ms['p50'])} | "
        f"{_ms(s.latency_ms['p95'])} | {_ms(s.latency_ms['p99'])} | {_ms(s.latency_ms['max'])} | "
        f"{_ms(s.turn_ms['p95'])} | {s.sent} | {_errors(s)} | {s.rss_mb.get('mean', 0):.0f} / "
        f"{s.rss_mb.get('max', 0):.0f} | {'–' if s.load1 is None else f'{s.load1:.1f}'} |"
        for s in steps
    ]
    roles = sorted({role for s in steps for role in s.rss_mb if role not in ("mean", "max")})
    memory_rows = [f"| {s.users} | " + " | ".join(f"{s.rss_mb.get(role, 0):.0f}" for role in roles) + " |"
                   for s in steps]
    if knee.first_bad is None:
        knee_line = f"**No knee** up to {knee.last_good} concurrent conversations: {knee.reason}."
    elif knee.last_good is None:
        knee_line = f"**Knee at or below {knee.first_bad}** concurrent conversations (the first step): {knee.reason}."
    else:
        knee_line = (f"**Knee between {knee.last_good} and {knee.first_bad}** concurrent conversations: at "
                     f"{knee.first_bad}, {knee.reason}.")
    best = max(steps, key=lambda s: s.messages_per_s if s.error_rate <= 0.01 else 0.0, default=None)
    low, mean, high = info.load1
    lines = [
        "# Load test",
        "",
        f"Generated {info.generated} by `{info.command}`; {info.duration_s / 60:.1f} minutes, "
        f"{info.conversations} simulated people. **Noisy numbers**: {info.cpus} CPU cores shared with other "
        f"engineers' work; the 1-minute load average during the run was {low:.1f}–{high:.1f} (mean {mean:.1f}); "
        f"{info.other_load}.",
        "",
        f"The real stack (`caunoi run`: Redis, Rasa, action server, gateway; {info.gateways} gateway worker(s), "
        f"{info.rasa_servers} Rasa server(s)) with a Telegram Bot API double in its own process. locust "
        f"(`load/locustfile.py`) posts Telegram updates to the gateway's webhook with the secret, one chat per "
        f"simulated person: asking for help and picking a service with a button and a province, finding a service "
        f"in one line (with and without diacritics), checking a job offer with the Có/Không buttons, and a danger "
        f"message that escalates to the human queue. Each person waits for the bot's reply, waits until the bot "
        f"stops writing, reads for {info.read_seconds[0]:g}–{info.read_seconds[1]:g} s, then writes again; after "
        f"the conversation a new person (new chat) starts.",
        "",
        "**Reply latency** is from the webhook POST to the first reply reaching the Bot API double (both processes "
        "read the same monotonic clock), matched by chat id and message sequence; **turn** is to the last reply of "
        f"that message. Each step was held {info.step_seconds:g} s; only its last "
        f"{info.step_seconds - info.settle_seconds:g} s are measured (the first {info.settle_seconds:g} s ramp and "
        f"settle). **Errors**: webhook not 200 (rejected), no reply at all by the end of the run (lost), first reply "
        f"after {info.timeout_seconds:g} s (timeout), the gateway's degraded answer (Rasa did not answer in time; "
        f"the person is queued for a human), later messages of such a chat (held: the bot rightly stays quiet while "
        f"a human is awaited), the previous message's answer still arriving instead of this one's, or this one's "
        f"only after the person wrote again (late), the answer of a later message (reordered) or of none "
        f"(unexpected). Outgoing Telegram limit "
        f"in this run: {info.telegram_per_second:g} messages/s per bot (CAUNOI_TELEGRAM_MESSAGES_PER_SECOND; "
        f"Telegram's own is about 30), 1/s per chat. Replies to chats that had not written: {info.unsolicited}.",
        "",
        "| concurrent conversations | messages/s answered | bot messages/s | p50 ms | p95 ms | p99 ms | max ms | "
        "turn p95 ms | messages sent | errors | stack RSS MB mean / max | load avg |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
        *rows,
        "",
        knee_line,
    ]
    if best is not None:
        lines += ["", f"Highest sustained rate with errors under 1%: **{best.messages_per_s:.1f} messages/s** "
                      f"(person → bot) at {best.users} concurrent conversations, "
                      f"p95 {_ms(best.latency_ms['p95'])} ms."]
    if best is not None and steps:
        heaviest = steps[-1]
        lines += ["", f"Overload: at the heaviest step ({heaviest.users} conversations) the stack answered "
                      f"{heaviest.messages_per_s:.1f} messages/s, **{heaviest.messages_per_s / best.messages_per_s:.2f}"
                      f"** of the peak; {heaviest.errors.get('lost', 0)} lost, "
                      f"{heaviest.errors.get('reordered', 0)} reordered."]
    degraded = sum(s.errors.get("degraded", 0) for s in steps)
    holding = sum(s.holding for s in steps)
    lines += ["", f"Slow is not down: **{degraded}** turns went to the operators as \"bot unavailable\" (the "
                  f"degraded answer) over the measured parts of the run, and {holding} got the holding message "
                  "instead (Rasa slow but answering; the turn waited for its answer). Nothing in this run makes Rasa "
                  "fail, so every degraded answer here would be an escalation for slowness only."]
    if roles:
        lines += ["", "Peak resident memory by process role (MB, summed over processes of that role):", "",
                  "| concurrent conversations | " + " | ".join(roles) + " |",
                  "|---|" + "---|" * len(roles), *memory_rows]
    cpu_roles = sorted({role for s in steps for role in s.cpu_percent})
    if cpu_roles:
        cpu_rows = [f"| {s.users} | " + " | ".join(f"{s.cpu_percent.get(role, 0):.0f}" for role in cpu_roles) + " |"
                    for s in steps]
        lines += ["", f"CPU by process role over each step's measured part (% of one core; the machine has "
                      f"{info.cpus}; locust and the Bot API double are the load generators, on the same cores):", "",
                  "| concurrent conversations | " + " | ".join(cpu_roles) + " |",
                  "|---|" + "---|" * len(cpu_roles), *cpu_rows]
    if info.bot_api_calls:
        calls = ", ".join(f"{method} {count}" for method, count in sorted(info.bot_api_calls.items(),
                                                                         key=lambda item: -item[1]))
        lines += ["", f"Bot API calls the gateway made during the whole run: {calls}."]
    return "\n".join(lines).rstrip() + "\n"


def to_json(info: RunInfo, steps: Sequence[StepStats], knee: Knee) -> dict[str, Any]:
    return {"run": info.__dict__, "steps": [s.__dict__ for s in steps], "knee": knee.__dict__}
