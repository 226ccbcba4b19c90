"""docker-compose.yml cannot run here (no Docker engine); these checks keep it in step with what the project runs."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from bot.app import create_app
from bot.cli.serve import PROCESSES
from bot.settings import PROJECT_ROOT, from_environment


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((PROJECT_ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    return data


def test_every_process_of_the_stack_is_a_service(compose: dict[str, Any]) -> None:
    assert set(compose["services"]) == {"redis", *PROCESSES}


def test_redis_keeps_its_data(compose: dict[str, Any]) -> None:
    redis = compose["services"]["redis"]
    command = " ".join(redis["command"])
    assert "--appendonly yes" in command
    assert any(volume.endswith(":/data") for volume in redis["volumes"])
    assert "redis-cli" in " ".join(redis["healthcheck"]["test"])


def test_redis_has_a_password_from_the_env_file_never_on_a_command_line(compose: dict[str, Any]) -> None:
    redis = compose["services"]["redis"]
    assert redis["environment"]["REDIS_PASSWORD"].startswith("${REDIS_PASSWORD:?")
    command = " ".join(redis["command"])
    assert "requirepass %s" in command and "> /tmp/redis.conf" in command and "umask 077" in command
    assert "--requirepass" not in command and "redis-server /tmp/redis.conf" in command
    assert "REDISCLI_AUTH=" in " ".join(redis["healthcheck"]["test"])  # not `redis-cli -a`, which is argv too
    for name in PROCESSES:
        url = urlsplit(compose["services"][name]["environment"]["REDIS_URL"])
        assert url.password == "${REDIS_PASSWORD}"
    assert "REDIS_PASSWORD=" in (PROJECT_ROOT / ".env.example").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", PROCESSES)
def test_services_run_caunoi_serve_on_the_ports_the_settings_name(compose: dict[str, Any], name: str) -> None:
    service = compose["services"][name]
    assert service["command"][:3] == ["caunoi", "serve", name]
    assert service["command"][3:] == ["--host", "0.0.0.0"]  # inside a container, listen beyond loopback
    settings = from_environment({key: str(value) for key, value in service["environment"].items()})
    port = {"rasa": settings.rasa_port, "actions": settings.actions_port, "gateway": settings.http_port}[name]
    published = [str(p).split(":")[-1] for p in service.get("ports", [])] + [str(p) for p in service.get("expose", [])]
    assert str(port) in published
    health = " ".join(service["healthcheck"]["test"])
    assert f"127.0.0.1:{port}/" in health
    assert urlsplit(settings.redis.url).hostname == "redis"


def test_only_the_gateway_is_published(compose: dict[str, Any]) -> None:
    published = {name for name, service in compose["services"].items() if service.get("ports")}
    assert published == {"gateway"}


def test_health_paths_used_by_compose_exist() -> None:
    gateway_paths = {route.path for route in create_app(from_environment({})).routes}  # type: ignore[attr-defined]
    assert "/healthz" in gateway_paths
    compose_text = (PROJECT_ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    assert "127.0.0.1:5055/health" in compose_text  # rasa_sdk's health route


def test_dockerfile_builds_the_same_environment() -> None:
    dockerfile = (PROJECT_ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r"^FROM python:3\.10", dockerfile, re.M)
    assert "-c constraints.lock" in dockerfile
    assert "caunoi train" in dockerfile
    assert re.search(r"^USER (?!root)", dockerfile, re.M)
