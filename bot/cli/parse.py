"""`caunoi parse`: UTF-8 lines on stdin, one JSON judgement per line on stdout.

Each line is judged by the trained model and the triage rules exactly as the live bot would judge it as the first
message of a conversation. Blank or unreadable lines still give a line (`nlu_fallback`, risk none).

    echo "cuu toi voi bi giu ho chieu o campuchia" | caunoi parse
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from typing import Any, BinaryIO, TextIO

from bot.rasa_server import model
from bot.settings import get_settings
from nlu.guard import forced_intent_prefix

FALLBACK = "nlu_fallback"


def register(commands: Any) -> tuple[str, Any]:
    parser = commands.add_parser("parse", help="judge messages, one per line on stdin, as JSON lines")
    parser.add_argument("--model", help="model file (default: the one trained from the current data)")
    return "parse", handle


def judgement(line: str, parsed: dict[str, Any] | None, offset: int) -> dict[str, Any]:
    if parsed is None:
        return {"text": line, "intent": {"name": FALLBACK, "confidence": 1.0}, "entities": [],
                "risk": {"level": "none", "reasons": []}}
    risk = parsed.get("risk") or {"level": "none", "reasons": []}
    intent = parsed.get("intent") or {}
    return {
        "text": line,
        "intent": {"name": intent.get("name") or FALLBACK, "confidence": float(intent.get("confidence") or 0.0)},
        "entities": [
            {"entity": e["entity"], "value": str(e["value"]), "start": e["start"] + offset, "end": e["end"] + offset}
            for e in parsed.get("entities") or ()
        ],
        "risk": {"level": risk["level"], "reasons": list(risk["reasons"])},
    }


async def parse_stream(model_file: str, source: BinaryIO, sink: TextIO) -> None:
    from rasa.core.agent import Agent

    agent = Agent.load(model_file)
    for raw in source:
        line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
        offset = forced_intent_prefix(line)
        payload = line[offset:]
        parsed = await agent.parse_message(payload) if payload.strip() else None
        sink.write(json.dumps(judgement(line, parsed, offset), ensure_ascii=False) + "\n")
        sink.flush()


def handle(args: argparse.Namespace) -> int:
    model_file = args.model or model.current_model(get_settings())
    if model_file is None:
        print("caunoi: no model matches the current data; run `caunoi train` first", file=sys.stderr)
        return 2
    # Rasa's structured logs would print each message's text to stdout at debug level: stderr, warnings only.
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING)
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.WARNING)
    asyncio.run(parse_stream(str(model_file), sys.stdin.buffer, sys.stdout))
    return 0
