"""Heavy reads go to DATABASE_REPLICA_URL when it is set, and to the primary when it is not.

The "replica" here is a second database on the same server with the same schema and different
rows: a read that answers with the replica's rows went to the replica."""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime

import psycopg
import pytest
from sqlalchemy import text

from db.scratch import empty_database
from tests.conftest import ADMIN_DSN


@pytest.fixture(scope="module")
def replica_url() -> Iterator[str]:
    from db import migrate

    name = f"{os.environ['DATABASE_URL'].rsplit('/', 1)[1]}_replica_{secrets.token_hex(2)}"
    with empty_database(ADMIN_DSN, name) as url:
        migrate.upgrade(url)
        yield url.replace("postgresql://", "postgresql+psycopg://")


@pytest.fixture
async def with_replica(replica_url: str, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[str]:
    from db.config import get_settings
    from db.engine import dispose_engines

    monkeypatch.setenv("DATABASE_REPLICA_URL", replica_url)
    get_settings.cache_clear()
    yield replica_url.rsplit("/", 1)[1]
    await dispose_engines()  # the replica's pool, before the database is dropped
    monkeypatch.undo()
    get_settings.cache_clear()


async def test_replica_session_reads_the_replica(with_replica: str) -> None:
    from db.engine import replica_session, session_scope

    async with replica_session() as session:
        assert (await session.execute(text("SELECT current_database()"))).scalar() == with_replica
    async with session_scope() as session:  # writes and ordinary reads stay on the primary
        assert (await session.execute(text("SELECT current_database()"))).scalar() != with_replica


async def test_without_a_replica_heavy_reads_use_the_primary() -> None:
    from db.engine import replica_session

    async with replica_session() as session:
        name = (await session.execute(text("SELECT current_database()"))).scalar()
    assert name == os.environ["DATABASE_URL"].rsplit("/", 1)[1]


async def test_monitoring_performance_reads_the_replica(with_replica: str, replica_url: str) -> None:
    from db.telemetry_store import BUCKETS_MS
    from infra.monitoring import performance
    from infra.monitoring.checks import Context

    now = datetime(2026, 3, 2, 10, 30, tzinfo=UTC)
    buckets = [5] + [0] * len(BUCKETS_MS)
    with psycopg.connect(replica_url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        conn.execute(
            "INSERT INTO monitoring_latency_minutes (minute, kind, name, count, sum_ms, max_ms, buckets) "
            "VALUES (%s, 'http', 'GET /only-on-the-replica', 5, 5.0, 1.0, %s)",
            (now.replace(minute=20), buckets),
        )
    data = await performance.collect(Context(temporal=None, now=now))
    assert [r["name"] for r in data["routes"]] == ["GET /only-on-the-replica"]


async def test_csv_export_streams_from_the_replica(with_replica: str) -> None:
    from pydantic import BaseModel
    from sqlalchemy.ext.asyncio import AsyncSession

    from api.csv_export import keyset_csv
    from api.pagination import Page

    class Row(BaseModel):
        database: str

    async def read_page(session: AsyncSession, cursor: str | None, limit: int) -> Page[Row]:
        name = (await session.execute(text("SELECT current_database()"))).scalar_one()
        return Page[Row](items=[Row(database=name)])

    chunks = [chunk async for chunk in keyset_csv(["database"], read_page)]
    assert "".join(chunks).splitlines() == ["database", with_replica]
