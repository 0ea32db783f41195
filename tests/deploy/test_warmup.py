"""A new API process warms up before it says it is ready (api.warmup): readiness is 503
"warming up" until its pool is full and its statements are compiled, liveness answers at once;
a dependency that is down does not stop the warm-up; concurrent first callers share one
Temporal connection."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Iterator

import httpx
import psycopg
import pytest

from tests.live import running_api


@pytest.fixture
def temporal_down(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    from db.config import get_settings
    from tests.live import free_port

    monkeypatch.setenv("TEMPORAL_ADDRESS", f"127.0.0.1:{free_port()}")  # nothing listens
    get_settings.cache_clear()
    yield
    monkeypatch.undo()
    get_settings.cache_clear()


async def _ready(client: httpx.AsyncClient) -> httpx.Response:
    return await client.get("/api/health/ready")


async def test_not_ready_until_warm_then_ready(temporal_env: object, database_url: str) -> None:
    # the sign-in statements wait behind this lock: the warm-up cannot finish while it is held
    holder = await psycopg.AsyncConnection.connect(database_url.replace("+psycopg", ""))
    await holder.execute("LOCK TABLE api_tokens IN ACCESS EXCLUSIVE MODE")
    try:
        async with running_api() as url, httpx.AsyncClient(base_url=url, timeout=10) as client:
            for _ in range(3):  # three looks, well apart: it stays not ready while held
                warming = await _ready(client)
                assert warming.status_code == 503, warming.text
                assert warming.headers["content-type"].startswith("application/problem+json")
                assert warming.headers["retry-after"] == "1"
                assert warming.json()["title"] == "Not ready" and "warming up" in warming.json()["detail"]
                assert (await client.get("/api/health/live")).status_code == 200
                await asyncio.sleep(0.1)
            await holder.rollback()  # the lock goes: the warm-up finishes
            answer = await _ready(client)
            for _ in range(200):
                if answer.status_code == 200:
                    break
                assert "warming up" in answer.json()["detail"], answer.text
                await asyncio.sleep(0.05)
                answer = await _ready(client)
            assert answer.status_code == 200, answer.text
            assert {k: v["status"] for k, v in answer.json()["checks"].items()} == {
                "database": "up", "redis": "up", "temporal": "up"}
    finally:
        await holder.close()


@pytest.fixture
def gc_freeze(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    from db.config import get_settings

    monkeypatch.setenv("API_GC_FREEZE", "true")
    get_settings.cache_clear()
    gc.unfreeze()
    yield
    gc.unfreeze()  # the test process's objects are collectable again
    monkeypatch.undo()
    get_settings.cache_clear()


async def test_warm_up_fills_the_pool_and_survives_a_dependency_down(temporal_down: None, gc_freeze: None) -> None:
    from api.app import create_app
    from api.warmup import WarmUp
    from db.config import get_settings
    from db.engine import async_engine

    warm = WarmUp(create_app())
    warm.start()
    await asyncio.wait_for(warm.done.wait(), 15)
    assert warm.took["temporal"] == -1, "Temporal is down: that step failed"
    for step in ("routes", "database pool", "statements", "redis", "gc freeze"):
        assert warm.took[step] >= 0, f"{step} failed: {warm.took}"
    # every pooled connection is open and idle: the first requests open none
    assert async_engine().pool.checkedin() == get_settings().database_pool_size  # type: ignore[attr-defined]
    # what was alive after the warm-up is out of the collector's full passes
    assert gc.get_freeze_count() > 10_000


async def test_no_freeze_when_turned_off() -> None:
    from api.app import create_app
    from api.warmup import WarmUp

    gc.unfreeze()
    warm = WarmUp(create_app())  # the session's setting: API_GC_FREEZE=false
    warm.start()
    await asyncio.wait_for(warm.done.wait(), 15)
    assert "gc freeze" not in warm.took and gc.get_freeze_count() == 0


async def test_warm_statements_write_nothing(database_url: str) -> None:
    from api.warmup import compile_statements

    dsn = database_url.replace("+psycopg", "")
    tables = ("api_tokens", "user_sessions", "users", "webhook_events", "orders", "shops")
    query = " UNION ALL ".join(f"SELECT '{t}', count(*), max(xmin::text::bigint) FROM {t}" for t in tables)
    with psycopg.connect(dsn) as conn:
        before = conn.execute(query).fetchall()
    await compile_statements()
    with psycopg.connect(dsn) as conn:
        assert conn.execute(query).fetchall() == before, "no row added, changed or removed"


async def test_concurrent_first_callers_share_one_temporal_client(temporal_env: object) -> None:
    from infra.temporal_client import connect, forget_clients

    forget_clients()
    clients = await asyncio.gather(*(connect() for _ in range(20)))
    assert all(c is clients[0] for c in clients), "one connection, not one per caller"
    assert await connect() is clients[0]
