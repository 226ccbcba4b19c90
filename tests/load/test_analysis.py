"""The load test's reply correlation, step numbers, knee and report, on recorded samples: no locust, no stack."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from load.analysis import (
    Arrived,
    Correlation,
    Sample,
    Sent,
    Step,
    StepStats,
    correlate,
    find_knee,
    percentile,
    step_stats,
)
from load.report import RunInfo, render
from load.script import CONVERSATIONS, DEGRADED_FRAGMENT, HOLDING_FRAGMENT
from tests.load.fixtures import RECORDED

LOAD = Path(__file__).resolve().parents[2] / "load"


def sent(chat: int, seq: int, at: float, expect: str = "", status: int = 200) -> Sent:
    return Sent(chat, seq, at, "test", status, (expect,) if expect else ())


def test_each_reply_belongs_to_the_message_before_it_in_its_chat() -> None:
    messages = [sent(1, 0, 10.0, "chào"), sent(1, 1, 20.0, "tỉnh"), sent(2, 0, 11.0, "chào")]
    replies = [Arrived(1, 10.4, "chào bạn"), Arrived(1, 11.0, "mình là Cầu Nối"), Arrived(2, 12.5, "chào"),
               Arrived(1, 20.25, "Bạn ở tỉnh nào?")]
    turns = {(t.sent.chat, t.sent.seq): t for t in correlate(messages, replies, timeout=30).turns}
    assert turns[(1, 0)].outcome == "ok"
    assert turns[(1, 0)].first == pytest.approx(0.4)
    assert turns[(1, 0)].last == pytest.approx(1.0)
    assert turns[(1, 0)].replies == 2
    assert turns[(1, 1)].first == pytest.approx(0.25)
    assert turns[(2, 0)].first == pytest.approx(1.5)


def test_missing_late_rejected_and_degraded_answers_are_errors_of_their_kind() -> None:
    messages = [sent(1, 0, 0.0, "a"), sent(2, 0, 0.0, "a"), sent(3, 0, 0.0, "a", status=503),
                sent(4, 0, 0.0, "a")]
    replies = [Arrived(2, 31.0, "a"), Arrived(4, 1.0, f"Xin lỗi, {DEGRADED_FRAGMENT}. a")]
    outcomes = {t.sent.chat: t.outcome for t in correlate(messages, replies, 30, DEGRADED_FRAGMENT).turns}
    assert outcomes == {1: "lost", 2: "timeout", 3: "rejected", 4: "degraded"}


def test_the_answer_of_a_later_message_is_reordering_of_an_earlier_one_a_late_tail() -> None:
    messages = [sent(1, 0, 0.0, "câu hỏi một"), sent(1, 1, 5.0, "câu hỏi hai")]
    replies = [Arrived(1, 0.5, "câu hỏi hai"), Arrived(1, 5.5, "câu hỏi một")]
    assert [t.outcome for t in correlate(messages, replies, 30).turns] == ["reordered", "late"]
    wrong = correlate([sent(1, 0, 0.0, "đúng")], [Arrived(1, 0.5, "sai")], 30).turns
    assert wrong[0].outcome == "unexpected"


def test_after_a_degraded_answer_the_chat_waits_for_a_human_and_its_silence_is_held_not_lost() -> None:
    messages = [sent(1, 0, 0.0, "a"), sent(1, 1, 5.0, "b"), sent(1, 2, 9.0, "c"), sent(2, 0, 0.0, "a")]
    replies = [Arrived(1, 0.5, DEGRADED_FRAGMENT), Arrived(1, 9.5, "số khẩn cấp")]
    outcomes = [(t.sent.chat, t.outcome) for t in correlate(messages, replies, 30, DEGRADED_FRAGMENT).turns]
    assert sorted(outcomes) == [(1, "degraded"), (1, "held"), (1, "held"), (2, "lost")]


def test_a_holding_message_is_counted_apart_and_the_latency_is_the_answers() -> None:
    messages = [sent(1, 0, 0.0, "trả lời"), sent(2, 0, 0.0, "trả lời")]
    replies = [Arrived(1, 5.0, f"{HOLDING_FRAGMENT}, bạn chờ mình một chút nhé."), Arrived(1, 7.0, "trả lời"),
               Arrived(2, 0.5, "trả lời")]
    turns = {t.sent.chat: t for t in correlate(messages, replies, 30, DEGRADED_FRAGMENT, HOLDING_FRAGMENT).turns}
    assert turns[1].outcome == "ok" and turns[1].holding and turns[1].first == pytest.approx(7.0)
    assert turns[2].outcome == "ok" and not turns[2].holding


def test_replies_to_chats_that_never_wrote_are_counted() -> None:
    result = correlate([sent(1, 0, 10.0)], [Arrived(1, 9.0, "x"), Arrived(9, 1.0, "y"), Arrived(1, 10.5, "z")], 30)
    assert result.unsolicited == 2
    assert result.turns[0].first == pytest.approx(0.5)


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 0.5) == 50.0
    assert percentile(values, 0.95) == 95.0
    assert percentile(values, 0.99) == 99.0
    assert percentile([], 0.5) is None


def test_a_recorded_run_gives_per_step_numbers_over_the_steady_part_only() -> None:
    messages = [Sent(**{**m, "expect": tuple(m["expect"])}) for m in RECORDED["sent"]]
    replies = [Arrived(**r) for r in RECORDED["arrived"]]
    correlation = correlate(messages, replies, timeout=30, degraded=DEGRADED_FRAGMENT)
    samples = [Sample(at=float(t), load1=1.5, rss={"rasa": 600 * 2**20, "gateway": 100 * 2**20})
               for t in range(100, 200, 2)]
    first = step_stats(Step(2, 100.0, 150.0), correlation, replies, samples, settle=10.0)
    # Chat 11's first message (t=101) falls in the settle period; the rest of step 1 is measured.
    assert first.sent == 4
    assert first.answered == 4
    assert first.latency_ms["p50"] == pytest.approx(300.0)
    assert first.latency_ms["max"] == pytest.approx(900.0)
    assert first.messages_per_s == pytest.approx(4 / 40, abs=0.01)
    assert first.rss_mb["max"] == pytest.approx(700.0)
    assert first.load1 == pytest.approx(1.5)
    second = step_stats(Step(4, 150.0, 200.0), correlation, replies, samples, settle=10.0)
    assert second.errors == {"lost": 1, "degraded": 1}
    assert second.error_rate == pytest.approx(2 / 5)


def stats(users: int, rate: float, p95: float, errors: float = 0.0) -> StepStats:
    return StepStats(users=users, seconds=100, sent=100, answered=100, messages_per_s=rate, replies_per_s=rate,
                     latency_ms={"p50": p95 / 2, "p95": p95, "p99": p95, "max": p95}, turn_ms={"p50": 1, "p95": 1},
                     error_rate=errors)


def test_the_knee_is_where_latency_or_errors_climb_or_throughput_stops_following() -> None:
    steady = [stats(25, 2.5, 200), stats(50, 5.0, 220), stats(100, 10.0, 260)]
    assert find_knee(steady).first_bad is None
    assert find_knee(steady).last_good == 100
    slow = find_knee([*steady, stats(200, 19.0, 1500)])
    assert (slow.last_good, slow.first_bad) == (100, 200)
    assert "p95" in slow.reason
    failing = find_knee([*steady, stats(200, 20.0, 300, errors=0.05)])
    assert failing.first_bad == 200 and "errors" in failing.reason
    flat = find_knee([*steady, stats(200, 11.0, 600)])
    assert flat.first_bad == 200 and "per conversation" in flat.reason


def test_the_report_names_the_knee_and_every_step() -> None:
    steps = [stats(25, 2.5, 200), stats(50, 5.0, 1900)]
    info = RunInfo(generated="2026-11-29 09:00 UTC", command="make load", cpus=2, gateways=1, rasa_servers=1,
                   step_seconds=150, settle_seconds=40, read_seconds=(3, 8), timeout_seconds=30,
                   telegram_per_second=1000, load1=(1.0, 2.0, 3.0), other_load="load average 0.5",
                   unsolicited=0, conversations=10, duration_s=600)
    text = render(info, steps, find_knee(steps))
    assert "Knee between 25 and 50" in text
    assert "| 25 | 2.5 |" in text and "| 50 | 5.0 |" in text
    assert "1.0–3.0" in text
    assert "Bot API calls" not in text  # none recorded in this sample


def test_the_locustfile_parses_and_uses_the_shared_script() -> None:
    tree = ast.parse((LOAD / "locustfile.py").read_text(encoding="utf-8"))
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
                and node.module == "load.script" for alias in node.names}
    assert {"CONVERSATIONS", "Turn"} <= imported
    classes = {node.name for node in ast.walk(tree) if isinstance(node, ast.ClassDef)}
    assert {"Person", "Steps"} <= classes


def test_every_conversation_has_expectations_and_buttons_follow_a_bot_message() -> None:
    assert {c.name for c in CONVERSATIONS} == {"ask_for_help", "find_service", "job_check", "danger"}
    for conversation in CONVERSATIONS:
        assert conversation.weight > 0
        assert not conversation.turns[0].button  # a button needs a message of the bot to be on
        for turn in conversation.turns:
            assert bool(turn.text) != bool(turn.button)
            assert turn.expect and all(turn.expect)
    texts = [t.text for c in CONVERSATIONS for t in c.turns if t.text]
    assert any(t.isascii() for t in texts) and any(not t.isascii() for t in texts)  # with and without diacritics


def test_the_requirements_lock_pins_every_package() -> None:
    lines = [line for line in (LOAD / "requirements.lock").read_text().splitlines()
             if line.strip() and not line.startswith("#")]
    assert any(line.startswith("locust==") for line in lines)
    assert all("==" in line for line in lines)


def test_recorded_sample_is_json() -> None:
    json.dumps(RECORDED)  # the fixture stays plain data a run could have written
    assert isinstance(Correlation([], 0).turns, list)


def test_cpu_is_the_share_of_a_core_each_role_used_over_the_steady_part() -> None:
    samples = [Sample(at=100.0 + t, load1=1.0, rss={"rasa": 2**20, "locust": 2**30},
                      cpu={"rasa": 0.9 * t, "locust": 0.2 * t}) for t in range(0, 50, 2)]
    result = step_stats(Step(2, 100.0, 150.0), Correlation([], 0), [], samples, settle=10.0)
    assert result.cpu_percent == {"locust": pytest.approx(20.0), "rasa": pytest.approx(90.0)}
    assert result.rss_mb["max"] == pytest.approx(1.0)  # the load generator's memory is not the stack's
    assert "locust" not in result.rss_mb


def test_an_answer_that_came_after_the_person_wrote_again_is_late_not_lost() -> None:
    # The #18 run's 123 "lost" at 500 conversations: each was answered, after its person had written again.
    messages = [sent(1, 0, 0.0, "tỉnh nào"), sent(1, 1, 10.0, "Nghệ An"), sent(1, 2, 15.0, "Đà Nẵng"),
                sent(2, 0, 0.0, "chào")]
    replies = [Arrived(1, 5.0, f"{HOLDING_FRAGMENT}, bạn chờ mình một chút nhé."), Arrived(1, 8.0, "tỉnh nào?"),
               Arrived(1, 18.0, "ở Nghệ An"), Arrived(1, 19.0, "ở Đà Nẵng")]
    outcomes = {(t.sent.chat, t.sent.seq): t.outcome
                for t in correlate(messages, replies, 30, DEGRADED_FRAGMENT, HOLDING_FRAGMENT).turns}
    assert outcomes == {(1, 0): "ok", (1, 1): "late", (1, 2): "ok", (2, 0): "lost"}
