"""`caunoi serve rasa|actions|gateway`: runs one process of the stack in the foreground.

The local supervisor (`caunoi run`) and docker-compose start exactly these commands, so both run the same thing.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from bot.internal_token import MISSING
from bot.logs import configure, logging_config
from bot.rasa_server import model
from bot.rasa_server.endpoints import rasa_endpoints
from bot.settings import PROJECT_ROOT, Settings, get_settings
from bot.state.sealed import Sealer

PROCESSES = ("rasa", "actions", "gateway")
GATEWAY_CHANNEL = "bot.rasa_server.rasa_channel.GatewayInput"


def register(commands: Any) -> tuple[str, Any]:
    parser = commands.add_parser("serve", help="run one process of the stack: rasa, actions or gateway")
    parser.add_argument("process", choices=PROCESSES)
    parser.add_argument("--host", help="interface to listen on (default: 127.0.0.1 for a local URL, else 0.0.0.0)")
    parser.add_argument("--model", type=Path, help="rasa only: model file (default: the one matching current data)")
    return "serve", handle


def listen_host(url: str, override: str | None) -> str:
    if override:
        return override
    return "127.0.0.1" if urlsplit(url).hostname in ("127.0.0.1", "localhost") else "0.0.0.0"


def rasa_command(settings: Settings, model_file: Path, host: str, workdir: Path) -> list[str]:
    endpoints = workdir / "endpoints.yml"
    endpoints.write_text(yaml.safe_dump(rasa_endpoints(settings), allow_unicode=True), encoding="utf-8")
    endpoints.chmod(0o600)  # it may hold the Redis password
    credentials = workdir / "credentials.yml"
    # Rasa's REST channel behind the stack's token; the token itself is read from the environment, not from here.
    credentials.write_text(f"{GATEWAY_CHANNEL}: {{}}\n", encoding="utf-8")
    command = [
        sys.executable, "-m", "bot.cli.logged", "rasa", "run",
        "--model", str(model_file),
        "--endpoints", str(endpoints),
        "--credentials", str(credentials),
        "--interface", host,
        "--port", str(settings.rasa_port),
        "--enable-api",
        "--quiet",
        "--logging-config-file", str(write_logging_config(settings, workdir)),
    ]
    # No --auth-token here: bot/cli/logged.py adds it from the environment inside the process (never argv, see there).
    return command


def write_logging_config(settings: Settings, workdir: Path) -> Path:
    """Our log setup as a file for Rasa and the action server (no secrets in it: their filter reads its own)."""
    path = workdir / "logging.yml"
    path.write_text(yaml.safe_dump(logging_config(settings), allow_unicode=True), encoding="utf-8")
    return path


def actions_command(settings: Settings, workdir: Path) -> list[str]:
    return [sys.executable, "-m", "bot.cli.logged", "rasa_sdk", "--actions", "actions",
            "--port", str(settings.actions_port),
            "--logging-config_file", str(write_logging_config(settings, workdir))]


def handle(args: argparse.Namespace) -> int:
    settings = get_settings()
    Sealer.from_settings(settings)  # every process stores message text: no data keys, no start (one clear line)
    if not settings.rasa_token:  # Rasa and the action server would refuse every call: say so at once
        print(f"caunoi: {MISSING}", file=sys.stderr)
        return 2
    if args.process == "rasa":
        found = args.model or model.current_model(settings)
        if found is None or not found.exists():
            print("caunoi: no model matches the current data; run `caunoi train` first", file=sys.stderr)
            return 2
        settings.redis  # noqa: B018 - fail now with a clear message when REDIS_URL is missing
        workdir = Path(tempfile.mkdtemp(prefix="caunoi-rasa-"))
        command = rasa_command(settings, found, listen_host(settings.rasa_url, args.host), workdir)
        os.chdir(PROJECT_ROOT)
        os.execv(command[0], command)
    if args.process == "actions":
        os.environ["SANIC_HOST"] = listen_host(settings.actions_url, args.host)
        os.chdir(PROJECT_ROOT)
        command = actions_command(settings, Path(tempfile.mkdtemp(prefix="caunoi-actions-")))
        os.execv(command[0], command)
    import uvicorn

    settings.redis  # noqa: B018
    configure(settings)  # before uvicorn: with log_config=None it keeps our handler for its own loggers
    # ws="none": Rasa pins an old websockets that uvicorn cannot use, and nothing here needs websockets.
    # timeout_graceful_shutdown: the console's open event streams must not block a restart.
    # server_header=False: no "server: uvicorn" telling a scanner what to try (ASVS 14.3.3).
    # timeout_keep_alive: an idle connection is closed after 5 s; limit_concurrency: past CAUNOI_MAX_CONNECTIONS
    # open connections, new requests get 503 at once instead of each holding memory (slow bodies:
    # bot/gateway/middleware.py).
    uvicorn.run("bot.app:create_app", factory=True, host=args.host or "127.0.0.1",
                port=settings.http_port, log_level="warning", access_log=False, log_config=None,
                server_header=False, ws="none", timeout_graceful_shutdown=5,
                timeout_keep_alive=5, limit_concurrency=settings.max_connections)
    return 0
