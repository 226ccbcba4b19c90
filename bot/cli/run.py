"""`caunoi run`: the whole assistant on this machine, stopped cleanly with Ctrl-C."""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import sys
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import redis

from bot.cli.supervisor import Child, Supervisor, say
from bot.rasa_server import model
from bot.settings import PROJECT_ROOT, Settings, get_settings
from bot.state import keys, store
from bot.state.sealed import new_key


def register(commands: Any) -> tuple[str, Any]:
    parser = commands.add_parser("run", help="start the whole stack locally")
    parser.add_argument("--startup-timeout", type=float, default=240.0, help="seconds to wait for readiness")
    return "run", handle


def _port_problems(settings: Settings) -> list[str]:
    wanted = {
        "gateway": (settings.http_port, "CAUNOI_HTTP_PORT"),
        "Rasa": (settings.rasa_port, "CAUNOI_RASA_URL"),
        "action server": (settings.actions_port, "CAUNOI_ACTIONS_URL"),
    }
    return [
        f"port {port} ({name}) is already in use: stop what uses it or choose another with {setting}"
        for name, (port, setting) in wanted.items()
        if store.port_in_use(port)
    ]


@contextlib.contextmanager
def _redis(settings: Settings) -> Iterator[str]:
    if settings.redis_url:
        say(f"using Redis at {settings.redis.display()} (REDIS_URL)")
        yield settings.redis_url
        return
    with store.private_store() as private:
        say(f"no REDIS_URL: started a private Redis for this run ({private.kind}, {private.display()}, "
            "password made for the run, nothing kept on disk)")
        yield private.url


def _has_operators(redis_url: str) -> bool:
    """Whether the store holds any console account (a private store never does: it starts empty every run)."""
    client = redis.Redis.from_url(redis_url, socket_connect_timeout=2, socket_timeout=2)
    try:
        return bool(client.scard(keys.OPERATORS))
    except redis.RedisError:
        return True  # say nothing rather than something wrong; the supervisor reports Redis itself
    finally:
        client.close()


def _rasa_urls(settings: Settings) -> list[str]:
    """The Rasa servers to start: CAUNOI_RASA_URLS when set, otherwise CAUNOI_RASA_SERVERS of them (one per CPU core
    by default: a Rasa server runs its turns on one core) on CAUNOI_RASA_URL's port and free ports after it, every
    second one (5005, 5007, …). The gateway spreads conversations over them, each always to the same one
    (bot/gateway/rasa_client.py).

    Every second port: Linux gives outgoing connections ports of the other parity first (ports of the ephemeral
    range, 32768–60999, as the tests' free ports are), so a port next to ours is the likeliest to be taken by some
    process's connection while Rasa loads its model, 20–60 s. Seen: "address already in use" for rasa-2 in the
    stack tests, every time on the port right after the first Rasa's."""
    if settings.rasa_urls:
        return list(settings.rasa_urls)
    count = settings.rasa_servers or os.cpu_count() or 1
    parts = urlsplit(settings.rasa_url)
    host = parts.hostname or "127.0.0.1"
    urls = [settings.rasa_url.rstrip("/")]
    port = settings.rasa_port
    while len(urls) < count:
        port += 2
        if not store.port_in_use(port, host) and port not in (settings.http_port, settings.actions_port):
            urls.append(f"{parts.scheme}://{host}:{port}")
    return urls


def handle(args: argparse.Namespace) -> int:
    settings = get_settings()
    problems = _port_problems(settings)
    if problems:
        for problem in problems:
            print(f"caunoi: {problem}", file=sys.stderr)
        return 2
    unreachable = store.check_reachable(settings.redis) if settings.redis_url else None
    if unreachable:
        print(f"caunoi: {unreachable}. Start it, fix REDIS_URL, or unset REDIS_URL for a private store.",
              file=sys.stderr)
        return 2
    if settings.redis_url and not settings.data_keys:
        # A key made up for this run would leave what it stored unreadable at the next: a kept Redis needs its own.
        print("caunoi: REDIS_URL is set, so CAUNOI_DATA_KEYS must be too (message texts in Redis are encrypted "
              "with it): make one with `caunoi keys new`, or unset REDIS_URL for a private store", file=sys.stderr)
        return 2
    if settings.redis_url and not settings.secret_key:
        # Accounts and sessions are signed with it (bot/console/signing.py): one made up for this run would leave
        # every operator of a kept Redis refused at the next.
        print("caunoi: REDIS_URL is set, so CAUNOI_SECRET_KEY must be too (console sessions and operator accounts are "
              "signed with it: the same on every process and across restarts), or unset REDIS_URL for a private store",
              file=sys.stderr)
        return 2
    started = time.monotonic()
    model_file = model.current_model(settings)
    if model_file is None:
        say("training the model (data, domain or config changed since the last one) …")
        try:
            model_file, _ = model.train(settings, quiet=True)
        except model.TrainingFailed as error:
            print(f"caunoi: {error}", file=sys.stderr)
            return 1
        say(f"trained {model_file.name} in {time.monotonic() - started:.0f} s")
    else:
        say("the model is current; no training needed")

    with _redis(settings) as redis_url:
        env = dict(os.environ)
        env["REDIS_URL"] = redis_url
        env.setdefault("CAUNOI_RASA_TOKEN", secrets.token_urlsafe(24))
        # The local chat (`caunoi chat`) is for this machine's own stack: on here unless set, off everywhere else.
        env.setdefault("CAUNOI_WEB_CHANNEL", "true")
        if not env.get("CAUNOI_SECRET_KEY"):
            env["CAUNOI_SECRET_KEY"] = secrets.token_urlsafe(32)
            say("no CAUNOI_SECRET_KEY: using a random one for this run (sessions end when it stops)")
        if not settings.data_keys:  # only with the private store, which forgets everything when the run stops
            env["CAUNOI_DATA_KEYS"] = new_key()
            say("no CAUNOI_DATA_KEYS: sealing this run's messages with a random key (gone when it stops)")
        logs = PROJECT_ROOT / "run" / "logs"
        serve = [sys.executable, "-m", "bot", "serve"]
        token = env["CAUNOI_RASA_TOKEN"]
        gateway = f"http://127.0.0.1:{settings.http_port}"
        rasa_urls = _rasa_urls(settings)
        if len(rasa_urls) > 1:
            env["CAUNOI_RASA_URLS"] = ",".join(rasa_urls)
        children = [
            Child("actions", [*serve, "actions"], f"{settings.actions_url}/health", logs / "actions.log"),
            *(Child("rasa" if number == 1 else f"rasa-{number}", [*serve, "rasa", "--model", str(model_file)],
                    f"{url}/status?token={token}", logs / ("rasa.log" if number == 1 else f"rasa-{number}.log"),
                    env={"CAUNOI_RASA_URL": url}) for number, url in enumerate(rasa_urls, start=1)),
            Child("gateway", [*serve, "gateway"], f"{gateway}/readyz", logs / "gateway.log"),
        ]
        host = urlsplit(settings.rasa_url).hostname
        ready = "\n".join([
            f"  gateway and console  {gateway}   (health: {gateway}/healthz, {gateway}/readyz)",
            f"  operator console     {gateway}/console/",
            *([] if _has_operators(redis_url) else [
                "  No console account yet: create the first supervisor in another terminal:",
                "    .venv/bin/caunoi operator add NAME --role supervisor",
                "  (it prints a first password; the console asks for one's own at the first log-in)"]),
            f"  Rasa                 {', '.join(rasa_urls)}   (internal; keep it on {host})",
            f"  action server        {settings.actions_url}",
            "  Talk to the bot in another terminal:  .venv/bin/caunoi chat",
            "  Stop everything: Ctrl-C",
        ])
        supervisor = Supervisor(children, env, startup_timeout=args.startup_timeout)
        with store.published(env):  # `caunoi operator …` in another terminal finds this run's store
            return supervisor.run(on_ready=ready)
