"""One shop's Shoptet pace, shared by every process that calls the API for it.

Shoptet allows three requests in flight per API token, and a shop's four syncs, its snapshot
activities and the installer all use the same token, often from different worker processes.
A per-client semaphore cannot see the others, so together they overshoot and collect 429s.
`RedisPace` is the shared half: a counting semaphore in Redis (a sorted set of leases that
expire, so a crashed holder frees its slot after `lease_ttl`) and a shared "not before"
instant set by any caller that was told to wait (429 `Retry-After`, a nearly full bucket).

Times come from Redis's own clock (`TIME` inside the scripts), so hosts with skewed clocks
agree on when a lease expires.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager

from redis.asyncio import Redis
from sqlalchemy.engine import make_url

from db.config import get_settings
from db.redis_client import redis_client

PREFIX = "shopops:pace:"

# Drop expired leases, then take a slot if one is free; 1 when taken, 0 when all are held.
_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[3])
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]))
  return 1
end
return 0
"""
# Move the shared resume instant later, never earlier.
_PAUSE = """
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], '1', 'PX', tonumber(ARGV[1]))
end
return 1
"""


class RedisPace:
    """A shared concurrency cap (`limit` requests in flight) and pause for one name."""

    def __init__(
        self,
        name: str,
        limit: int,
        *,
        lease_ttl: float = 120.0,
        poll: float = 0.02,
        redis: Redis | None = None,
    ) -> None:
        if limit < 1:
            raise ValueError(f"limit must be >= 1, got {limit}")
        self.name = name
        self.limit = limit
        self.lease_ttl = lease_ttl
        self.poll = poll
        self._redis = redis
        self._slots_key = f"{PREFIX}{name}:slots"
        self._pause_key = f"{PREFIX}{name}:pause"
        self.waited_seconds = 0.0  # time spent waiting for a shared slot (tests, metrics)

    @property
    def redis(self) -> Redis:
        return self._redis or redis_client()

    async def _try(self, owner: str) -> bool:
        taken = await self.redis.eval(
            _ACQUIRE, 1, self._slots_key, self.limit, int(self.lease_ttl * 1000), owner
        )
        return bool(taken)

    @asynccontextmanager
    async def slot(self) -> AsyncGenerator[None, None]:
        """Hold one of the `limit` shared slots for the block."""
        owner = secrets.token_hex(8)
        loop = asyncio.get_running_loop()
        started = loop.time()
        delay = self.poll
        while not await self._try(owner):
            await asyncio.sleep(delay)
            delay = min(delay * 1.5, 0.25)
        self.waited_seconds += loop.time() - started
        try:
            yield
        finally:
            # shielded: a cancelled request must still give its slot back at once
            await asyncio.shield(self.redis.zrem(self._slots_key, owner))

    async def pause(self, seconds: float) -> None:
        """Hold every sharer's next request back for at least `seconds`."""
        if seconds > 0:
            await self.redis.eval(_PAUSE, 1, self._pause_key, max(1, int(seconds * 1000)))

    async def wait(self) -> float:
        """Sleep out a shared pause, if one is set; the seconds slept."""
        slept = 0.0
        while (remaining := await self.redis.pttl(self._pause_key)) > 0:
            await asyncio.sleep(remaining / 1000)
            slept += remaining / 1000
        return slept

    async def in_flight(self) -> int:
        """Leases currently held (expired ones included until the next acquisition)."""
        return int(await self.redis.zcard(self._slots_key))


def shop_pace(shop_id: int) -> RedisPace:
    """The pace of one shop's API token, scoped by database so deployments sharing Redis never mix."""
    settings = get_settings()
    database = make_url(settings.database_url).database or "default"
    return RedisPace(f"{database}:shoptet:{shop_id}", settings.shoptet_max_in_flight)
