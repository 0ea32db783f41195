"""Database engines and sessions: async SQLAlchemy for the API and activities, psycopg for COPY."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from functools import lru_cache
from typing import Any

import psycopg
from sqlalchemy import CursorResult, Engine, Executable, create_engine, event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from db.config import get_settings


def libpq_url(url: str | None = None) -> str:
    """The URL without SQLAlchemy's driver suffix, as psycopg and pg_dump want it."""
    url = url or get_settings().database_url
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def sqlalchemy_url(url: str | None = None) -> str:
    url = url or get_settings().database_url
    if url.startswith("postgresql://"):
        return url.replace("postgresql://", "postgresql+psycopg://", 1)
    return url


_ASYNC_ENGINES: dict[tuple[str, int], AsyncEngine] = {}


def _loop_id() -> int:
    try:
        return id(asyncio.get_running_loop())
    except RuntimeError:
        return 0


def async_engine() -> AsyncEngine:
    """One pooled engine per database URL and event loop (pooled connections belong to a loop;
    tests run the API server and the worker on loops of their own)."""
    return _pooled(sqlalchemy_url())


def _pooled(url: str) -> AsyncEngine:
    key = (url, _loop_id())
    if key not in _ASYNC_ENGINES:
        settings = get_settings()
        engine = create_async_engine(
            url,
            pool_size=settings.database_pool_size,
            max_overflow=settings.database_max_overflow,
            pool_timeout=settings.database_pool_timeout,
            pool_recycle=1800,
        )
        _ping_when_idle(engine.sync_engine)
        _ASYNC_ENGINES[key] = engine
    return _ASYNC_ENGINES[key]


# A connection back in the pool for less than this is used without a ping first.
IDLE_PING_SECONDS = 2.0


def _ping_when_idle(engine: Engine) -> None:
    """`pool_pre_ping`, but only for connections that sat idle: a ping is a round trip on every
    checkout, and under load (200 webhooks/s, measured in `make load`) each round trip waits
    its turn on a busy event loop, so it cost more than the query. A connection used a moment
    ago was alive a moment ago; one that broke since (a failover) fails its statement, and
    SQLAlchemy then invalidates the whole pool, so the next checkouts reconnect."""

    pool = engine.pool

    @event.listens_for(pool, "checkin")
    def _idle_from(dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(pool, "checkout")
    def _ping(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        since = record.info.pop("idle_since", None)
        if since is None or time.monotonic() - since < IDLE_PING_SECONDS:
            return  # just connected, or just used
        try:  # the dialect's ping, as pool_pre_ping runs it (in autocommit: no transaction left open)
            alive = engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:
            raise DisconnectionError("pooled connection failed its ping") from exc
        if not alive:  # the pool discards it and checks out another (3 tries)
            raise DisconnectionError("pooled connection failed its ping")


@lru_cache
def _sync_engine(url: str) -> Engine:
    return create_engine(url, pool_pre_ping=True)


def sync_engine() -> Engine:
    return _sync_engine(sqlalchemy_url())


def session_factory() -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(async_engine(), expire_on_commit=False)


@asynccontextmanager
async def session_scope() -> AsyncGenerator[AsyncSession, None]:
    """A session that commits on success and rolls back on error."""
    async with session_factory()() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise


def replica_url() -> str:
    """DATABASE_REPLICA_URL when set, else the primary: heavy reads go to the standby."""
    return sqlalchemy_url(get_settings().database_replica_url or None)


def replica_engine() -> AsyncEngine:
    """The pooled engine of the read replica (the primary's when no replica is configured)."""
    return _pooled(replica_url())


@asynccontextmanager
async def replica_session() -> AsyncGenerator[AsyncSession, None]:
    """A session for heavy reads (analytics, reports, exports, monitoring) on the read replica.

    Writes do not belong here: the session is rolled back at the end, and on a hot standby
    PostgreSQL refuses them anyway. Reads may lag the primary by the replication delay, so
    nothing that must see a write it just made reads through this."""
    async with async_sessionmaker(replica_engine(), expire_on_commit=False)() as session:
        try:
            yield session
        finally:
            await session.rollback()


async def raw_connection() -> psycopg.AsyncConnection:
    """A plain psycopg connection in autocommit mode, for COPY and statements SQLAlchemy does
    not help with; group statements with `async with conn.transaction():`."""
    return await psycopg.AsyncConnection.connect(libpq_url(), autocommit=True)


async def dispose_engines() -> None:
    """Close every pool (tests and shutdown), so the next use starts fresh."""
    loop = _loop_id()
    for key in [k for k in _ASYNC_ENGINES if k[1] == loop]:
        await _ASYNC_ENGINES.pop(key).dispose()
    _sync_engine.cache_clear()


async def rows_touched(
    session: AsyncSession, statement: Executable, params: dict[str, Any] | None = None
) -> int:
    """Rows an INSERT, UPDATE or DELETE touched (`execute` is typed as returning a plain Result, but
    DML answers a CursorResult, which carries the count)."""
    result = await session.execute(statement, params)
    assert isinstance(result, CursorResult)
    return result.rowcount
