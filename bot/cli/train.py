"""`caunoi train`: trains the Rasa model when its inputs changed since the last model."""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from bot.rasa_server import model
from bot.settings import get_settings


def register(commands: Any) -> tuple[str, Any]:
    parser = commands.add_parser("train", help="train the model if the data changed")
    parser.add_argument("--force", action="store_true", help="train even if a current model exists")
    return "train", handle


def handle(args: argparse.Namespace) -> int:
    settings = get_settings()
    started = time.monotonic()
    if not args.force and model.current_model(settings):
        print(f"caunoi: the model is current ({model.current_model(settings)})")
        return 0
    print("caunoi: training the model (data, domain or config changed since the last one)")
    try:
        path, _ = model.train(settings, force=args.force)
    except model.TrainingFailed as error:
        print(f"caunoi: {error}", file=sys.stderr)
        return 1
    print(f"caunoi: trained {path.name} in {time.monotonic() - started:.0f} s")
    return 0
