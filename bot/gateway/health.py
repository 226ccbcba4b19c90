"""Readiness: can this gateway do its job right now? Each dependency answers with None (fine) or a reason."""

from __future__ import annotations

import asyncio

import httpx
import redis.asyncio

from bot.gateway.rasa_client import RasaClient


async def redis_problem(client: redis.asyncio.Redis) -> str | None:
    try:
        await asyncio.wait_for(client.ping(), timeout=3.0)
    except (redis.RedisError, OSError, asyncio.TimeoutError) as error:
        return f"Redis not reachable ({type(error).__name__})"
    return None


async def actions_problem(http: httpx.AsyncClient, actions_url: str) -> str | None:
    try:
        response = await http.get(f"{actions_url}/health", timeout=3.0)
    except httpx.HTTPError as error:
        return f"action server not reachable ({type(error).__name__})"
    if response.status_code != 200:
        return f"action server answered {response.status_code}"
    return None


async def problems(client: redis.asyncio.Redis, rasa: RasaClient, http: httpx.AsyncClient,
                   actions_url: str) -> dict[str, str | None]:
    redis_result, rasa_result, actions_result = await asyncio.gather(
        redis_problem(client), rasa.problem(), actions_problem(http, actions_url)
    )
    return {"redis": redis_result, "rasa": rasa_result, "actions": actions_result}
