"""The pool pings a connection only after it sat idle (db/engine.py `_ping_when_idle`): one
that died while idle is replaced without an error; one that died a moment after its last use
fails one statement, and the pool recovers for the next."""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from db import engine as engines
from tests.conftest import ADMIN_DSN


async def _pid() -> int:
    async with engines.async_engine().connect() as conn:
        return int((await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one())


def _kill(pid: int) -> None:
    with psycopg.connect(ADMIN_DSN, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))


async def test_a_connection_that_died_while_idle_is_replaced_without_an_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await engines.dispose_engines()
    monkeypatch.setattr(engines, "IDLE_PING_SECONDS", 0.0)  # every checkout counts as idle
    first = await _pid()
    _kill(first)

    second = await _pid()  # the ping found it dead; the pool connected anew

    assert second != first


async def test_a_connection_that_died_just_after_use_fails_once_then_the_pool_recovers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await engines.dispose_engines()
    monkeypatch.setattr(engines, "IDLE_PING_SECONDS", 3600.0)  # never idle long enough to ping
    first = await _pid()
    _kill(first)

    with pytest.raises(DBAPIError) as failed:
        await _pid()
    assert failed.value.connection_invalidated  # the pool drops it (and everything older)
    assert await _pid() != first


async def test_the_ping_leaves_no_transaction_open(monkeypatch: pytest.MonkeyPatch) -> None:
    await engines.dispose_engines()
    monkeypatch.setattr(engines, "IDLE_PING_SECONDS", 0.0)
    await _pid()
    async with engines.async_engine().connect() as conn:  # pinged on checkout
        # an isolation level can only be set outside a transaction (the webhook intake does)
        auto = await conn.execution_options(isolation_level="AUTOCOMMIT")
        assert (await auto.execute(text("SELECT 1"))).scalar_one() == 1
