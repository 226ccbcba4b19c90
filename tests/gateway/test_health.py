from __future__ import annotations

import httpx
from asgi_lifespan import LifespanManager

from bot.app import create_app
from tests.channels.fakes import backed_by, served
from tests.conftest import make_settings
from tests.gateway.fakes import FakeBackends


async def probe(settings_env: dict[str, str], backends: FakeBackends) -> httpx.Response:
    async with served(backends.handler) as url:
        app = create_app(backed_by(make_settings(**settings_env), url))
        async with LifespanManager(app):
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway") as http:
                assert (await http.get("/healthz")).json() == {"status": "ok"}
                return await http.get("/readyz")


async def test_ready_when_everything_answers(redis_url: str) -> None:
    response = await probe({"REDIS_URL": redis_url}, FakeBackends())
    assert response.status_code == 200 and response.json() == {"status": "ready"}


async def test_not_ready_names_each_missing_dependency(redis_url: str) -> None:
    response = await probe({"REDIS_URL": "redis://127.0.0.1:1/0"}, FakeBackends(rasa_up=False, actions_up=False))
    assert response.status_code == 503
    problems = response.json()["problems"]
    assert set(problems) == {"redis", "rasa", "actions"}
    assert problems["redis"].startswith("Redis not reachable")
    assert problems["rasa"].startswith("Rasa not reachable")
    assert problems["actions"].startswith("action server not reachable")


async def test_not_ready_when_only_the_action_server_is_down(redis_url: str) -> None:
    response = await probe({"REDIS_URL": redis_url}, FakeBackends(actions_up=False))
    assert response.status_code == 503 and list(response.json()["problems"]) == ["actions"]
