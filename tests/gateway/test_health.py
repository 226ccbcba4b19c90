from __future__ import annotations

import httpx

from harness.app import gateway_app, over_asgi
from harness.rasa import FakeRasa
from tests.conftest import make_settings


async def probe(settings_env: dict[str, str], backends: FakeRasa) -> httpx.Response:
    async with over_asgi(gateway_app(make_settings(**settings_env), backends)) as app:
        http = app.client()
        assert (await http.get("/healthz")).json() == {"status": "ok"}
        return await http.get("/readyz")


async def test_ready_when_everything_answers(redis_url: str) -> None:
    response = await probe({"REDIS_URL": redis_url}, FakeRasa())
    assert response.status_code == 200 and response.json() == {"status": "ready"}


async def test_not_ready_names_each_missing_dependency(redis_url: str) -> None:
    response = await probe({"REDIS_URL": "redis://127.0.0.1:1/0"}, FakeRasa(down=True, actions_down=True))
    assert response.status_code == 503
    problems = response.json()["problems"]
    assert set(problems) == {"redis", "rasa", "actions"}
    assert problems["redis"].startswith("Redis not reachable")
    assert problems["rasa"].startswith("Rasa not reachable")
    assert problems["actions"].startswith("action server not reachable")


async def test_not_ready_when_only_the_action_server_is_down(redis_url: str) -> None:
    response = await probe({"REDIS_URL": redis_url}, FakeRasa(actions_down=True))
    assert response.status_code == 503 and list(response.json()["problems"]) == ["actions"]
