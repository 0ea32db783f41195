"""A Redis lock with a fencing token, for mutual exclusion outside workflows.

A bare SETNX lock is not enough: a holder that stalls (GC pause, slow network) past the
lock's TTL keeps writing while the next holder writes too. So every acquisition also takes
a number from a counter that only grows (the fencing token), and the resource refuses
writes that carry an older number than one it has already seen. For PostgreSQL that check
is `check_fence`, which records the token in `lock_fences` inside the caller's transaction:
a stale holder's transaction fails instead of overwriting newer data.

    async with hold_lock(f"installation:{eshop_id}") as lease:
        async with session_scope() as session:
            await check_fence(session, lease)
            ...  # writes guarded by the lease
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from db.redis_client import redis_client

PREFIX = "shopops:lock:"

# Take the lock only if free; the fence counter is bumped only on success, atomically.
_ACQUIRE = """
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  local fence = redis.call('INCR', KEYS[2])
  redis.call('SET', KEYS[1], ARGV[1] .. ':' .. fence, 'PX', ARGV[2])
  return fence
end
return false
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""
_EXTEND = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
"""


class LockNotAcquired(RuntimeError):
    """Another holder kept the lock for longer than we were willing to wait."""


class LockLost(RuntimeError):
    """The lease expired (or was taken over) before we released or extended it."""


class StaleFence(RuntimeError):
    """A newer lock holder already wrote: this holder's lease is outdated, its writes are refused."""


@dataclass(frozen=True)
class Lease:
    name: str
    owner: str
    fence: int  # grows with every acquisition of this lock name
    ttl: float

    @property
    def value(self) -> str:
        return f"{self.owner}:{self.fence}"


def _keys(name: str) -> list[str]:
    return [f"{PREFIX}{name}", f"{PREFIX}{name}:fence"]


async def acquire(
    name: str, *, ttl: float = 30.0, wait: float = 10.0, redis: Redis | None = None
) -> Lease:
    """Take the lock `name` for `ttl` seconds, waiting up to `wait` seconds for it."""
    if ttl <= 0:
        raise ValueError(f"lock ttl must be positive, got {ttl}")
    client = redis or redis_client()
    owner = secrets.token_hex(8)
    deadline = time.monotonic() + wait
    delay = 0.02
    while True:
        fence = await client.eval(_ACQUIRE, 2, *_keys(name), owner, int(ttl * 1000))
        if fence:
            return Lease(name=name, owner=owner, fence=int(fence), ttl=ttl)
        if time.monotonic() + delay > deadline:
            raise LockNotAcquired(
                f"lock {name!r} is held by another process; waited {wait:g} s. "
                "Retry later, or check for a stuck holder (it frees itself after its TTL)."
            )
        await asyncio.sleep(delay)
        delay = min(delay * 2, 0.25)


async def release(lease: Lease, *, redis: Redis | None = None) -> bool:
    """Free the lock if we still hold it; False when it had expired or been taken over."""
    client = redis or redis_client()
    return bool(await client.eval(_RELEASE, 1, _keys(lease.name)[0], lease.value))


async def extend(lease: Lease, *, redis: Redis | None = None) -> None:
    """Restart the lease's TTL; raises LockLost if it is no longer ours."""
    client = redis or redis_client()
    ok = await client.eval(
        _EXTEND, 1, _keys(lease.name)[0], lease.value, int(lease.ttl * 1000)
    )
    if not ok:
        raise LockLost(f"lock {lease.name!r} (fence {lease.fence}) expired before it was extended")


@asynccontextmanager
async def hold_lock(
    name: str, *, ttl: float = 30.0, wait: float = 10.0, redis: Redis | None = None
) -> AsyncIterator[Lease]:
    """Hold `name` for the block; writes inside should go through `check_fence`."""
    lease = await acquire(name, ttl=ttl, wait=wait, redis=redis)
    try:
        yield lease
    finally:
        await release(lease, redis=redis)


async def check_fence(session: AsyncSession, lease: Lease) -> None:
    """Record the lease's fence in PostgreSQL, in the caller's transaction.

    Raises StaleFence when a holder with a newer fence has already passed here; the row
    stays locked until commit, so an older holder waits and is then refused.
    """
    accepted = (
        await session.execute(
            text(
                "INSERT INTO lock_fences (name, fence) VALUES (:name, :fence) "
                "ON CONFLICT (name) DO UPDATE SET fence = excluded.fence, updated_at = now() "
                "WHERE lock_fences.fence <= excluded.fence RETURNING fence"
            ),
            {"name": lease.name, "fence": lease.fence},
        )
    ).scalar_one_or_none()
    if accepted is None:
        raise StaleFence(
            f"lock {lease.name!r}: fence {lease.fence} is older than one already written; "
            "this holder's lease expired while it worked, so its writes are refused"
        )
