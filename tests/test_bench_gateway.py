"""bench/gateway.py's reading of the gateway's log: each turn's own gateway time, never misaligned."""

from __future__ import annotations

import json
from pathlib import Path

from bench.gateway import SECRET_KEY, Phase, own_time, rasa_calls
from bot.privacy import log_id


def turn_line(chat: int, ms: float) -> str:
    conversation = log_id(f"tg:{chat}", SECRET_KEY)
    return json.dumps({"logger": "bot.dispatch", "message": f"turn conversation={conversation} ms={ms}",
                       "conversation": conversation, "ms": ms})


def test_each_turn_loses_its_own_rasa_call(tmp_path: Path) -> None:
    log = tmp_path / "gateway.log"
    log.write_text("\n".join([
        turn_line(1, 40.0), "not json at all", json.dumps({"logger": "bot.inbox", "message": "turn away"}),
        turn_line(2, 100.0), turn_line(1, 60.5), turn_line(3, 10.0)]) + "\n", encoding="utf-8")
    through = Phase()
    through.by_chat.update({1: [52.0, 70.0], 2: [115.0], 3: [None, 30.0]})
    calls = rasa_calls(log)
    assert calls[log_id("tg:1", SECRET_KEY)] == [40.0, 60.5]
    # Chat 3 lost a turn: its one logged call cannot be matched to a turn, so it is left out, not guessed.
    assert sorted(own_time(through, calls)) == [9.5, 12.0, 15.0]
