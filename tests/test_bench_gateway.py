"""bench/gateway.py: its reading of the gateway's log (each turn's own time, never misaligned) and its verdict."""

from __future__ import annotations

import json
from pathlib import Path

from bench.gateway import SECRET_KEY, Phase, Round, own_time, rasa_calls, round_report
from bot.privacy import log_id


def turn_line(chat: int, ms: float) -> str:
    conversation = log_id(f"tg:{chat}", SECRET_KEY)
    return json.dumps({"logger": "bot.gateway.dispatch", "message": f"turn conversation={conversation} ms={ms}",
                       "conversation": conversation, "ms": ms})


def test_each_turn_loses_its_own_rasa_call(tmp_path: Path) -> None:
    log = tmp_path / "gateway.log"
    log.write_text("\n".join([
        turn_line(1, 40.0), "not json at all", json.dumps({"logger": "bot.gateway.inbox", "message": "turn away"}),
        turn_line(2, 100.0), turn_line(1, 60.5), turn_line(3, 10.0)]) + "\n", encoding="utf-8")
    through = Phase()
    through.by_chat.update({1: [52.0, 70.0], 2: [115.0], 3: [None, 30.0]})
    calls = rasa_calls(log)
    assert calls[log_id("tg:1", SECRET_KEY)] == [40.0, 60.5]
    # Chat 3 lost a turn: its one logged call cannot be matched to a turn, so it is left out, not guessed.
    assert sorted(own_time(through, calls)) == [9.5, 12.0, 15.0]


def a_round(turn_ms: float, rasa_ms: float, lost: int = 0) -> tuple[Round, dict[str, list[float]]]:
    """20 turns of one chat through the gateway, each `turn_ms`, of which Rasa took `rasa_ms`; Rasa straight
    answered in 100 ms."""
    direct = Phase(latencies_ms=[100.0] * 20, started=0.0, finished=10.0)
    through = Phase(latencies_ms=[turn_ms] * 20, lost=lost, started=0.0, finished=10.0)
    through.by_chat[1] = [turn_ms] * 20 + [None] * lost
    return Round(direct, through, [1]), {log_id("tg:1", SECRET_KEY): [rasa_ms] * (20 + lost)}


def test_a_round_meets_the_target_only_by_both_measures_with_nothing_lost() -> None:
    assert round_report(*a_round(105.0, 100.0))["met"]
    assert not round_report(*a_round(105.0, 100.0, lost=1))["met"]
    slow_gateway = round_report(*a_round(120.0, 100.0))
    assert slow_gateway["added_p95_ratio"] == 0.2 and slow_gateway["own_p95_ratio"] == 0.2
    assert not slow_gateway["met"]
    # Rasa slower on the gateway's turns: the difference of p95s exceeds the target, the own time does not.
    assert not round_report(*a_round(115.0, 110.0))["met"]
