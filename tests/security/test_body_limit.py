"""bot/gateway/middleware.py BodyLimit: 413 past the limit, decided while the body streams in, before any route acts."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.types import Message, Receive, Scope, Send

from bot.gateway.middleware import DRAIN_FACTOR, BodyLimit, BodyLimits

LIMITS = BodyLimits(webhook_bytes=4096, api_bytes=1024)
CHUNK = 512


class Recorder:
    """A route that reads the whole body, then answers 200 (or 500 if reading failed, as a careless route would)."""

    def __init__(self, swallow_errors: bool = False) -> None:
        self.bodies: list[bytes] = []
        self.called = False
        self.swallow = swallow_errors

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.called = True
        body = b""
        try:
            while True:
                message = await receive()
                body += message.get("body", b"")
                if not message.get("more_body"):
                    break
        except Exception:
            if not self.swallow:
                raise
            await send({"type": "http.response.start", "status": 500, "headers": []})
            await send({"type": "http.response.body", "body": b"internal error"})
            return
        self.bodies.append(body)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})


def scope(path: str, headers: dict[str, str] | None = None) -> Scope:
    return {"type": "http", "method": "POST", "path": path,
            "headers": [(k.encode(), v.encode()) for k, v in (headers or {}).items()]}


class Body:
    """`receive` for a body of `chunks` chunks (None = endless); counts how many were taken."""

    def __init__(self, chunks: int | None) -> None:
        self.chunks = chunks
        self.taken = 0

    async def __call__(self) -> Message:
        self.taken += 1
        more = self.chunks is None or self.taken < self.chunks
        return {"type": "http.request", "body": b"x" * CHUNK, "more_body": more}


async def run(app: Any, path: str, receive: Receive, headers: dict[str, str] | None = None) -> list[Message]:
    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    await BodyLimit(app, LIMITS)(scope(path, headers), receive, send)
    return sent


def status_and_error(sent: list[Message]) -> tuple[int, str]:
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return sent[0]["status"], json.loads(body).get("error", "") if sent[0]["status"] != 200 else ""


def limits() -> Iterator[tuple[str, int]]:
    yield "/webhooks/telegram", LIMITS.webhook_bytes
    yield "/api/login", LIMITS.api_bytes


@pytest.mark.parametrize(("path", "limit"), list(limits()))
async def test_a_body_within_the_limit_reaches_the_route(path: str, limit: int) -> None:
    app = Recorder()
    sent = await run(app, path, Body(limit // CHUNK))
    assert status_and_error(sent) == (200, "") and app.bodies == [b"x" * limit]


@pytest.mark.parametrize(("path", "limit"), list(limits()))
async def test_a_declared_length_over_the_limit_is_refused_before_the_route(path: str, limit: int) -> None:
    app, body = Recorder(), Body(None)
    sent = await run(app, path, body, {"content-length": str(100 * 1024 * 1024)})
    assert status_and_error(sent) == (413, f"request body larger than {limit} bytes")
    # Read and dropped only up to DRAIN_FACTOR × the limit, so the client gets the answer, not a reset.
    assert not app.called and body.taken == DRAIN_FACTOR * limit // CHUNK + 1


async def test_a_body_somewhat_over_the_limit_is_read_to_its_end_before_the_413() -> None:
    app, body = Recorder(), Body(20)  # 10 KB, declared, over the webhook's 4 KB: a client waiting to finish sending
    sent = await run(app, "/webhooks/telegram", body, {"content-length": str(20 * CHUNK)})
    assert status_and_error(sent) == (413, "request body larger than 4096 bytes")
    assert not app.called and body.taken == 20


@pytest.mark.parametrize(("path", "limit"), list(limits()))
@pytest.mark.parametrize("headers", [{}, {"content-length": "10"}], ids=["chunked", "lying-length"])
async def test_an_endless_body_stops_at_the_first_chunk_past_the_limit(path: str, limit: int,
                                                                       headers: dict[str, str]) -> None:
    app, body = Recorder(), Body(None)
    sent = await run(app, path, body, headers)
    assert status_and_error(sent) == (413, f"request body larger than {limit} bytes")
    assert app.bodies == [] and body.taken == (limit // CHUNK + 1) + (DRAIN_FACTOR * limit // CHUNK + 1)


async def test_a_route_that_turns_the_failure_into_its_own_answer_still_gives_413() -> None:
    app = Recorder(swallow_errors=True)
    sent = await run(app, "/api/login", Body(None))
    assert status_and_error(sent) == (413, "request body larger than 1024 bytes")
    assert [m["type"] for m in sent] == ["http.response.start", "http.response.body"]


async def test_a_content_length_that_is_not_a_number_is_400() -> None:
    app = Recorder()
    sent = await run(app, "/api/login", Body(1), {"content-length": "12abc"})
    assert sent[0]["status"] == 400 and not app.called


# Issue #24: slow bodies were held without limit (400 connections sending a byte now and then held the gateway).
SLOW = BodyLimits(webhook_bytes=4096, api_bytes=1024, seconds=0.3)


class Trickle:
    """`receive` for a client that sends one chunk, then nothing for `pause` seconds, then the rest."""

    def __init__(self, pause: float) -> None:
        self.pause = pause
        self.taken = 0

    async def __call__(self) -> Message:
        self.taken += 1
        if self.taken > 1:
            await asyncio.sleep(self.pause)
        return {"type": "http.request", "body": b"x", "more_body": self.taken < 3}


async def run_slow(app: Any, receive: Receive, path: str = "/api/login") -> tuple[list[Message], float]:
    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    began = time.monotonic()
    await asyncio.wait_for(BodyLimit(app, SLOW)(scope(path), receive, send), 5.0)
    return sent, time.monotonic() - began


@pytest.mark.parametrize("path", ["/webhooks/telegram", "/api/login"])
async def test_a_body_not_in_by_the_deadline_is_408_and_the_route_answers_nothing(path: str) -> None:
    app = Recorder(swallow_errors=True)  # even a route that turns the failure into its own answer
    sent, took = await run_slow(app, Trickle(pause=60.0), path)
    assert status_and_error(sent) == (408, "request body not received within 0.3 s")
    assert (b"connection", b"close") in sent[0]["headers"]
    assert app.bodies == [] and took < 30  # cut at the deadline, not after the 60 s pause


async def test_a_body_that_arrives_in_time_is_not_cut() -> None:
    app = Recorder()
    sent, _ = await run_slow(app, Trickle(pause=0.05))
    assert status_and_error(sent) == (200, "") and app.bodies == [b"xxx"]


async def test_after_the_body_waiting_for_a_disconnect_has_no_deadline() -> None:
    """An event stream waits on `receive` for the disconnect for as long as it is open: never a 408."""
    calls = 0

    async def receive() -> Message:
        nonlocal calls
        calls += 1
        if calls == 1:
            return {"type": "http.request", "body": b"", "more_body": False}
        await asyncio.sleep(0.6)  # twice the deadline
        return {"type": "http.disconnect"}

    async def stream(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        assert (await receive())["type"] == "http.disconnect"
        await send({"type": "http.response.body", "body": b"bye"})

    sent, _ = await run_slow(stream, receive)
    # The stream saw its disconnect after twice the deadline and answered: no 408 cut it short. (No timed
    # assertion: asyncio.sleep may wake a hair before the monotonic clock says 0.6 s.)
    assert sent[0]["status"] == 200 and sent[-1].get("body") == b"bye" and calls == 2


async def test_a_declared_oversize_body_sent_slowly_is_not_drained_past_the_deadline() -> None:
    app = Recorder()
    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    began = time.monotonic()
    headers = {"content-length": str(100 * 1024 * 1024)}
    await asyncio.wait_for(BodyLimit(app, SLOW)(scope("/api/login", headers), Trickle(pause=60.0), send), 5.0)
    assert status_and_error(sent)[0] == 413 and time.monotonic() - began < 2.0


async def test_the_gateway_app_answers_a_slow_body_with_408(redis_url: str) -> None:
    """The whole app, with CAUNOI_BODY_TIMEOUT_SECONDS: the setting reaches the middleware."""
    from harness.app import gateway_app, over_asgi
    from tests.conftest import make_settings

    app = gateway_app(make_settings(REDIS_URL=redis_url, CAUNOI_BODY_TIMEOUT_SECONDS="1"))

    async def trickle() -> Any:
        yield b'{"username": "lan",'
        await asyncio.sleep(30)
        yield b'"password": "x"}'

    async with over_asgi(app) as running:
        http = running.client()
        began = time.monotonic()
        response = await asyncio.wait_for(
            http.post("/api/login", content=trickle(), headers={"content-type": "application/json"}), 10)
    assert response.status_code == 408 and "within 1 s" in response.json()["error"]
    assert time.monotonic() - began < 5
