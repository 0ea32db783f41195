"""An API process whose database connections are all busy answers 503 Busy with Retry-After
(a problem body), not a 500: the load test found sign-ins queueing past the pool timeout."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import text


@pytest.fixture
async def one_connection(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[None]:
    from db.config import get_settings
    from db.engine import dispose_engines

    await dispose_engines()
    monkeypatch.setenv("DATABASE_POOL_SIZE", "1")
    monkeypatch.setenv("DATABASE_MAX_OVERFLOW", "0")
    monkeypatch.setenv("DATABASE_POOL_TIMEOUT", "0.2")
    get_settings.cache_clear()
    yield
    await dispose_engines()
    monkeypatch.undo()
    get_settings.cache_clear()


async def test_pool_exhaustion_is_a_503_problem(one_connection: None, api: httpx.AsyncClient) -> None:
    from db.engine import session_scope

    async with session_scope() as held:  # the pool's only connection, busy
        await held.execute(text("SELECT 1"))
        response = await api.post("/api/auth/login", json={"email": "x@example.com", "password": "nope-nope"})
    assert response.status_code == 503, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.headers["retry-after"] == "2"
    assert response.json()["title"] == "Busy"
