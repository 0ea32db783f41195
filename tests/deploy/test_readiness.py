"""Readiness fails (503, a problem body naming the dependency) while the API or a worker cannot
reach PostgreSQL, Redis or Temporal; liveness stays 200, so nothing restarts over an outage."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest

from tests.live import free_port

BROKEN = {
    # a database that does not exist on the real server: connections are refused at once
    "database": ("DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/shopops_no_such_db"),
    # nothing listens on these ports (free_port binds, reads the number and closes)
    "redis": ("REDIS_URL", "redis://127.0.0.1:{port}/0"),
    "temporal": ("TEMPORAL_ADDRESS", "127.0.0.1:{port}"),
}


@pytest.fixture
def break_dependency(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    from db.config import get_settings

    def _break(name: str) -> None:
        var, value = BROKEN[name]
        monkeypatch.setenv(var, value.format(port=free_port()))
        get_settings.cache_clear()

    yield _break
    monkeypatch.undo()
    get_settings.cache_clear()


async def test_api_ready_and_live_when_everything_is_up(api: httpx.AsyncClient, temporal_env: object) -> None:
    ready = await api.get("/api/health/ready")
    assert ready.status_code == 200, ready.text
    assert {k: v["status"] for k, v in ready.json()["checks"].items()} == {
        "database": "up", "redis": "up", "temporal": "up"
    }
    assert (await api.get("/api/health/live")).status_code == 200


@pytest.mark.parametrize("dependency", ["database", "redis", "temporal"])
async def test_api_not_ready_while_a_dependency_is_down(
    api: httpx.AsyncClient, temporal_env: object, break_dependency: object, dependency: str
) -> None:
    break_dependency(dependency)  # type: ignore[operator]
    ready = await api.get("/api/health/ready")
    assert ready.status_code == 503, ready.text
    assert ready.headers["content-type"].startswith("application/problem+json")
    body = ready.json()
    assert body["title"] == "Not ready" and body["status"] == 503
    assert body["dependencies"] == [dependency]
    assert dependency in body["detail"]
    assert body["checks"][dependency]["status"] == "down"
    live = await api.get("/api/health/live")
    assert live.status_code == 200, "liveness must not depend on the dependencies"


async def _get(port: int, path: str) -> httpx.Response:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
        return await client.get(path)


async def test_worker_health_server(temporal_env: object, break_dependency: object) -> None:
    from infra.readiness import WorkerHealthServer

    server = WorkerHealthServer("127.0.0.1", 0)
    await server.start()
    try:
        assert (await _get(server.port, "/live")).status_code == 200
        ready = await _get(server.port, "/ready")
        assert ready.status_code == 200, ready.text
        assert (await _get(server.port, "/nope")).status_code == 404

        break_dependency("redis")  # type: ignore[operator]
        ready = await _get(server.port, "/ready")
        assert ready.status_code == 503, ready.text
        assert ready.json()["dependencies"] == ["redis"]
        assert (await _get(server.port, "/live")).status_code == 200

        server.draining = True  # SIGTERM: out of rotation at once, whatever the dependencies
        ready = await _get(server.port, "/ready")
        assert ready.status_code == 503 and "draining" in ready.json()["detail"]
    finally:
        await server.close()
        await asyncio.sleep(0)
