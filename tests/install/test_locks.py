"""The Redis lock with a fencing token (db/locks.py), against real Redis and PostgreSQL."""

from __future__ import annotations

import asyncio
import secrets

import pytest
from sqlalchemy import text

from db.engine import session_scope
from db.locks import (
    LockLost,
    LockNotAcquired,
    StaleFence,
    acquire,
    check_fence,
    extend,
    hold_lock,
    release,
)


def lock_name() -> str:
    return f"test:{secrets.token_hex(6)}"


async def test_one_holder_at_a_time() -> None:
    name = lock_name()
    async with hold_lock(name) as lease:
        with pytest.raises(LockNotAcquired, match=name):
            await acquire(name, wait=0.2)
    again = await acquire(name, wait=0.2)  # released on exit
    assert again.fence == lease.fence + 1
    assert await release(again)


async def test_an_expired_holder_is_fenced_off() -> None:
    name = lock_name()
    slow = await acquire(name, ttl=0.2)
    await asyncio.sleep(0.3)  # the slow holder stalls past its TTL
    fast = await acquire(name, ttl=5, wait=1)
    assert fast.fence > slow.fence
    async with session_scope() as session:
        await check_fence(session, fast)  # the new holder writes first
    with pytest.raises(StaleFence, match=f"fence {slow.fence}"):
        async with session_scope() as session:
            await check_fence(session, slow)
    with pytest.raises(LockLost):
        await extend(slow)
    assert not await release(slow), "a stale lease must not free the new holder's lock"
    await extend(fast)
    assert await release(fast)


async def test_guarded_read_modify_write_loses_no_update() -> None:
    name = lock_name()
    async with session_scope() as session:
        await session.execute(text("CREATE TABLE IF NOT EXISTS lock_test_counter (name text PRIMARY KEY, n int)"))
        await session.execute(text("INSERT INTO lock_test_counter VALUES (:n, 0)"), {"n": name})

    async def bump() -> None:
        async with hold_lock(name, wait=20) as lease, session_scope() as session:
            await check_fence(session, lease)
            n = (await session.execute(text("SELECT n FROM lock_test_counter WHERE name = :n"), {"n": name})).scalar()
            await asyncio.sleep(0.005)  # widen the race window
            await session.execute(text("UPDATE lock_test_counter SET n = :v WHERE name = :n"), {"v": n + 1, "n": name})

    try:
        await asyncio.gather(*(bump() for _ in range(20)))
        async with session_scope() as session:
            final = (await session.execute(text("SELECT n FROM lock_test_counter WHERE name = :n"), {"n": name})).scalar()
    finally:
        async with session_scope() as session:  # leave the schema as the migrations made it
            await session.execute(text("DROP TABLE lock_test_counter"))
    assert final == 20


async def test_bad_ttl_is_refused() -> None:
    with pytest.raises(ValueError, match="ttl must be positive"):
        await acquire(lock_name(), ttl=0)
