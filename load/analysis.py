"""From what was sent and what arrived to per-step numbers: reply latency, throughput, errors, memory, the knee.

The locustfile logs every message a simulated person sent (chat id, sequence number, monotonic time, the webhook's
status); the Bot API double logs every message the bot sent (chat id, monotonic time, text). Both read the same
CLOCK_MONOTONIC, so they can be compared across processes. A person waits until the bot has stopped answering
before writing again, so the replies to a chat's message k are the ones that arrived between message k and message
k+1 of that chat: that window, not the webhook's 200, is what the latency measures.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

Outcome = Literal["ok", "rejected", "lost", "timeout", "degraded", "held", "late", "reordered", "unexpected"]
ERRORS: tuple[Outcome, ...] = ("rejected", "lost", "timeout", "degraded", "held", "late", "reordered", "unexpected")
# rejected: the webhook did not answer 200. lost: no reply at all, not even after the person wrote again, by the end
#   of the recording. timeout: the first reply came after the timeout.
# degraded: the gateway's own answer (Rasa did not answer in time; the person is queued for a human).
# held: a later message of a chat that got the degraded answer: it waits for a human, so the bot stays quiet (by
#   design; counted so that the cost of the degraded answer shows). late: this message's window holds the answer
#   of an earlier message (the earlier turn's last replies came after a pause longer than the person waited) and
#   not its own, or its own answer came only after the person had written again (its window is empty: not lost,
#   late). reordered: it holds the answer of a later message instead. unexpected: neither.


@dataclass(frozen=True)
class Sent:
    chat: int
    seq: int  # 0, 1, 2 … within the chat
    at: float  # monotonic seconds, just before the webhook POST
    conversation: str
    status: int  # the webhook's HTTP status; 0 when the request itself failed
    expect: tuple[str, ...] = ()


@dataclass(frozen=True)
class Arrived:
    chat: int
    at: float  # monotonic seconds, when the double received sendMessage
    text: str


@dataclass(frozen=True)
class Step:
    users: int
    start: float
    end: float


# The load test's own processes: sampled too (they share the machine's cores), never counted as the stack.
GENERATORS = ("locust", "botapi double")


@dataclass(frozen=True)
class Sample:
    at: float
    load1: float
    rss: dict[str, int]  # bytes, by process role (gateway, rasa, actions, redis, supervisor; and the generators)
    cpu: dict[str, float] = field(default_factory=dict)  # CPU seconds used so far, by role

    @property
    def total(self) -> int:
        """Resident bytes of the stack, without the load generators."""
        return sum(value for role, value in self.rss.items() if role not in GENERATORS)


@dataclass(frozen=True)
class TurnResult:
    sent: Sent
    outcome: Outcome
    first: float | None  # seconds from the POST to the first reply, None when none came
    last: float | None  # … to the last reply of the turn
    replies: int
    holding: bool = False  # the gateway's holding message came first (Rasa slow); `first` is the answer's


@dataclass(frozen=True)
class Correlation:
    turns: list[TurnResult]
    unsolicited: int  # replies to a chat that had not written yet


def correlate(sent: Iterable[Sent], arrived: Iterable[Arrived], timeout: float,
              degraded: str = "", holding: str = "") -> Correlation:
    """Assigns every reply to the message it answers and judges each message (see Outcome)."""
    by_chat: dict[int, list[Sent]] = defaultdict(list)
    for message in sent:
        by_chat[message.chat].append(message)
    replies: dict[int, list[Arrived]] = defaultdict(list)
    for reply in arrived:
        replies[reply.chat].append(reply)
    turns: list[TurnResult] = []
    unsolicited = sum(len(items) for chat, items in replies.items() if chat not in by_chat)
    for chat, messages in by_chat.items():
        messages.sort(key=lambda m: m.seq)
        answers = sorted(replies.get(chat, ()), key=lambda r: r.at)
        unsolicited += sum(1 for r in answers if r.at < messages[0].at)
        held = False
        for index, message in enumerate(messages):
            until = messages[index + 1].at if index + 1 < len(messages) else math.inf
            window = [r for r in answers if message.at <= r.at < until]
            earlier = [m.expect for m in messages[:index]]
            later = [m.expect for m in messages[index + 1:]]
            turn = _judge(message, window, earlier, later, timeout, degraded, holding)
            if turn.outcome == "lost" and message.expect and _matches([r for r in answers if r.at >= until],
                                                                       message.expect):
                turn = replace(turn, outcome="late")  # answered, after the person had written again
            if held and turn.outcome != "rejected":
                turn = replace(turn, outcome="held")
            held = held or turn.outcome == "degraded"
            turns.append(turn)
    turns.sort(key=lambda t: t.sent.at)
    return Correlation(turns, unsolicited)


def _judge(message: Sent, window: list[Arrived], earlier: list[tuple[str, ...]], later: list[tuple[str, ...]],
           timeout: float, degraded: str, holding: str = "") -> TurnResult:
    held_on = bool(holding) and any(holding in r.text for r in window)
    if held_on:  # the latency is the answer's, not the holding message's
        window = [r for r in window if holding not in r.text]
    first = window[0].at - message.at if window else None
    last = window[-1].at - message.at if window else None

    def result(outcome: Outcome) -> TurnResult:
        return TurnResult(message, outcome, first, last, len(window), held_on)

    if message.status != 200:
        return result("rejected")
    if first is None:
        return result("lost")
    if first > timeout:
        return result("timeout")
    if degraded and any(degraded in r.text for r in window):
        return result("degraded")
    if message.expect and not _matches(window, message.expect):
        if any(e and _matches(window, e) for e in later):
            return result("reordered")
        return result("late" if any(e and _matches(window, e) for e in earlier) else "unexpected")
    return result("ok")


def _matches(window: list[Arrived], fragments: Sequence[str]) -> bool:
    return any(fragment in reply.text for reply in window for fragment in fragments)


def percentile(values: Sequence[float], share: float) -> float | None:
    """Nearest-rank percentile (share 0..1); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[rank - 1]


@dataclass
class StepStats:
    users: int
    seconds: float  # length of the steady window measured
    sent: int
    answered: int  # messages that got a reply in time (ok or wrong)
    messages_per_s: float  # answered / seconds: the sustained rate
    replies_per_s: float  # bot messages delivered per second
    latency_ms: dict[str, float | None]  # first reply: p50, p95, p99, max
    turn_ms: dict[str, float | None]  # last reply of the turn: p50, p95
    errors: dict[str, int] = field(default_factory=dict)
    error_rate: float = 0.0
    rss_mb: dict[str, float] = field(default_factory=dict)  # mean and max of the whole stack, and max by role
    load1: float | None = None
    cpu_percent: dict[str, float] = field(default_factory=dict)  # by role; 100 = one core busy all the time
    holding: int = 0  # turns that got the holding message (Rasa slow, not down)


def step_stats(step: Step, correlation: Correlation, arrived: Sequence[Arrived], samples: Sequence[Sample],
               settle: float) -> StepStats:
    """The numbers of one step, over its steady part: from `settle` seconds after it began to its end."""
    begin, end = step.start + settle, step.end
    seconds = max(end - begin, 1e-9)
    turns = [t for t in correlation.turns if begin <= t.sent.at < end]
    answered = [t for t in turns if t.outcome not in ("rejected", "lost", "timeout")]
    firsts = [t.first * 1000 for t in answered if t.first is not None]
    lasts = [t.last * 1000 for t in answered if t.last is not None]
    errors: dict[str, int] = defaultdict(int)
    for turn in turns:
        if turn.outcome in ERRORS:
            errors[turn.outcome] += 1
    window = [s for s in samples if begin <= s.at < end]
    rss: dict[str, float] = {}
    if window:
        mb = 2**20
        rss["mean"] = round(sum(s.total for s in window) / len(window) / mb, 1)
        rss["max"] = round(max(s.total for s in window) / mb, 1)
        for role in sorted({role for s in window for role in s.rss} - set(GENERATORS)):
            rss[role] = round(max(s.rss.get(role, 0) for s in window) / mb, 1)

    cpu: dict[str, float] = {}
    if len(window) >= 2:
        span = window[-1].at - window[0].at
        for role in sorted({role for s in window for role in s.cpu}):
            used = window[-1].cpu.get(role, 0.0) - window[0].cpu.get(role, 0.0)
            cpu[role] = round(max(used, 0.0) / span * 100, 1) if span > 0 else 0.0

    def ms(value: float | None) -> float | None:
        return None if value is None else round(value, 1)

    return StepStats(
        users=step.users, seconds=round(seconds, 1), sent=len(turns), answered=len(answered),
        messages_per_s=round(len(answered) / seconds, 2),
        replies_per_s=round(sum(1 for r in arrived if begin <= r.at < end) / seconds, 2),
        latency_ms={"p50": ms(percentile(firsts, 0.50)), "p95": ms(percentile(firsts, 0.95)),
                    "p99": ms(percentile(firsts, 0.99)), "max": ms(max(firsts) if firsts else None)},
        turn_ms={"p50": ms(percentile(lasts, 0.50)), "p95": ms(percentile(lasts, 0.95))},
        errors=dict(errors), error_rate=round(sum(errors.values()) / len(turns), 4) if turns else 0.0,
        rss_mb=rss, load1=round(sum(s.load1 for s in window) / len(window), 2) if window else None,
        cpu_percent=cpu, holding=sum(1 for t in turns if t.holding),
    )


@dataclass(frozen=True)
class Knee:
    last_good: int | None  # concurrent conversations of the last step before latency climbed
    first_bad: int | None  # … of the first step where it had (None: no knee within the run)
    reason: str


def find_knee(steps: Sequence[StepStats], max_error_rate: float = 0.01, latency_factor: float = 2.0,
              latency_floor_ms: float = 500.0, throughput_share: float = 0.7) -> Knee:
    """The first step where the stack stops keeping up, judged against the lightest step:

    p95 latency above `latency_factor` times the lightest step's (and at least `latency_floor_ms` more, so that
    20 → 45 ms is not a knee), or errors above `max_error_rate`, or throughput per conversation below
    `throughput_share` of the lightest step's (people waiting longer write less often: the queue is building).
    """
    measured = [s for s in steps if s.answered and s.latency_ms.get("p95") is not None]
    if not measured:
        return Knee(None, None, "no step had answered messages")
    base = measured[0]
    base_p95 = float(base.latency_ms["p95"] or 0.0)
    base_rate = base.messages_per_s / base.users
    previous: int | None = None
    for step in steps:
        p95 = step.latency_ms.get("p95")
        reasons = []
        if step.error_rate > max_error_rate:
            reasons.append(f"errors {step.error_rate:.1%} > {max_error_rate:.0%}")
        if p95 is not None and p95 > max(base_p95 * latency_factor, base_p95 + latency_floor_ms):
            reasons.append(f"p95 {p95:.0f} ms > {latency_factor:g}× the {base.users}-conversation step's "
                           f"{base_p95:.0f} ms")
        if step.users and step.messages_per_s / step.users < base_rate * throughput_share:
            reasons.append(f"{step.messages_per_s / step.users:.3f} messages/s per conversation < "
                           f"{throughput_share:.0%} of {base_rate:.3f}")
        if not step.answered:
            reasons.append("nothing answered")
        if reasons:
            return Knee(previous, step.users, "; ".join(reasons))
        previous = step.users
    return Knee(previous, None, "latency, errors and throughput per conversation held at every step")
