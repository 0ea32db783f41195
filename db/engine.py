"""Database engines and sessions: async SQLAlchemy for the API and activities, psycopg for COPY."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import lru_cache

import psycopg
from sqlalchemy import Engine, create_engine
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


_ASYNC_ENGINES: dict[str, AsyncEngine] = {}


def async_engine() -> AsyncEngine:
    """One pooled engine per database URL per process."""
    url = sqlalchemy_url()
    if url not in _ASYNC_ENGINES:
        _ASYNC_ENGINES[url] = create_async_engine(
            url, pool_size=10, max_overflow=10, pool_pre_ping=True, pool_recycle=1800
        )
    return _ASYNC_ENGINES[url]


@lru_cache
def _sync_engine(url: str) -> Engine:
    return create_engine(url, pool_pre_ping=True)


def sync_engine() -> Engine:
    return _sync_engine(sqlalchemy_url())


def session_factory() -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(async_engine(), expire_on_commit=False)


@asynccontextmanager
async def session_scope() -> AsyncIterator[AsyncSession]:
    """A session that commits on success and rolls back on error."""
    async with session_factory()() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise


async def raw_connection() -> psycopg.AsyncConnection:
    """A plain psycopg connection, for COPY and statements SQLAlchemy does not help with."""
    return await psycopg.AsyncConnection.connect(libpq_url())


async def dispose_engines() -> None:
    """Close every pool (tests and shutdown), so the next use starts fresh."""
    for engine in _ASYNC_ENGINES.values():
        await engine.dispose()
    _ASYNC_ENGINES.clear()
    _sync_engine.cache_clear()
