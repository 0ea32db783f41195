"""Sign-in throttling in Redis, per account (the e-mail as typed) and per client IP.

Each subject keeps a small hash: failures, the time of the last one, and a lockout end. The
first `max_failures - 1` failures cost nothing; the next one locks the subject for
`lockout_seconds`, and every further failure after a lockout doubles it (capped), so guessing
gets exponentially slower. A success forgets the account's failures (not the IP's: a valid
account of the attacker's own must not reset the IP's count). Failures are forgotten once
`window_seconds` passed since the last one and since the lockout ended (so waiting a lockout
out and guessing again doubles it instead of starting over).

Unknown e-mails are counted like known ones, so a lockout reveals nothing about which
accounts exist. Times come from an injected clock (tests move it); Redis only expires the keys
long after they stop mattering.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import AsyncGenerator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from api.problems import Problem
from db.config import Settings

KEY_PREFIX = "signin:"

# KEYS[1]: the subject's hash; ARGV: now, window, max failures, base lockout, max lockout, ttl.
# Returns the lockout (seconds) this failure started, 0 for none. Atomic, so concurrent guesses
# cannot slip past the count.
_FAIL = """
local now = tonumber(ARGV[1])
local failures = tonumber(redis.call('HGET', KEYS[1], 'failures') or '0')
local last = tonumber(redis.call('HGET', KEYS[1], 'last') or '0')
local locked_until = tonumber(redis.call('HGET', KEYS[1], 'locked_until') or '0')
if now - math.max(last, locked_until) > tonumber(ARGV[2]) then
  failures = 0
end
failures = failures + 1
local lockout = 0
local over = failures - tonumber(ARGV[3])
if over >= 0 then
  lockout = math.min(tonumber(ARGV[4]) * 2 ^ math.min(over, 40), tonumber(ARGV[5]))
  locked_until = now + lockout
end
redis.call('HSET', KEYS[1], 'failures', failures, 'last', ARGV[1], 'locked_until', tostring(locked_until))
redis.call('EXPIRE', KEYS[1], ARGV[6])
return tostring(lockout)
"""


@dataclass(frozen=True)
class Limits:
    max_failures: int
    lockout_seconds: int
    lockout_max_seconds: int
    window_seconds: int


@asynccontextmanager
async def _counting() -> AsyncGenerator[None, None]:
    """Without its counts sign-in would be unthrottled: refuse (503) rather than let guesses through."""
    try:
        yield
    except RedisError as exc:
        raise Problem(
            503,
            "Sign-in unavailable",
            f"Sign-in attempts cannot be counted because Redis is not reachable ({exc}); "
            "try again in a minute.",
        ) from exc


class SigninThrottle:
    def __init__(
        self, redis: aioredis.Redis, settings: Settings, clock: Callable[[], float] = time.time
    ) -> None:
        self.redis, self.clock = redis, clock
        self.account_limits = Limits(
            settings.signin_max_failures_account,
            settings.signin_lockout_seconds,
            settings.signin_lockout_max_seconds,
            settings.signin_failure_window_seconds,
        )
        self.ip_limits = Limits(
            settings.signin_max_failures_ip,
            settings.signin_lockout_seconds,
            settings.signin_lockout_max_seconds,
            settings.signin_failure_window_seconds,
        )

    @staticmethod
    def account_key(email: str) -> str:
        # hashed: the key names no address, and any length or byte fits
        return f"{KEY_PREFIX}account:{hashlib.sha256(email.strip().lower().encode()).hexdigest()}"

    @staticmethod
    def ip_key(ip: str | None) -> str:
        return f"{KEY_PREFIX}ip:{ip or 'unknown'}"

    async def locked_for(self, email: str, ip: str | None) -> float:
        """Seconds until this e-mail and IP may try again (0 = now)."""
        now = self.clock()
        ends: list[float] = []
        async with _counting():
            for key in (self.account_key(email), self.ip_key(ip)):
                value = await self.redis.hget(key, "locked_until")
                ends.append(float(value) if value else 0.0)
        return max(0.0, max(ends) - now)

    async def failed(self, email: str, ip: str | None) -> float:
        """Count a failure against both; the lockout it started (seconds, 0 = none)."""
        now = self.clock()
        started = 0.0
        for key, limits in (
            (self.account_key(email), self.account_limits),
            (self.ip_key(ip), self.ip_limits),
        ):
            ttl = limits.window_seconds + limits.lockout_max_seconds
            async with _counting():
                result = await self.redis.eval(
                    _FAIL,
                    1,
                    key,
                    repr(now),
                    limits.window_seconds,
                    limits.max_failures,
                    limits.lockout_seconds,
                    limits.lockout_max_seconds,
                    ttl,
                )
            started = max(started, float(result))
        return started

    async def succeeded(self, email: str) -> None:
        async with _counting():
            await self.redis.delete(self.account_key(email))
