"""Staying inside Shoptet's rate limits instead of fighting them.

- at most `max_concurrency` requests in flight per client (Shoptet allows 3 per token), and,
  when the client is given a `SharedPace`, at most that many across every process using the
  same token (`db.shared_pace.RedisPace`);
- after a 429 every request of the client waits out `Retry-After` (HTTP date, seconds or
  ISO datetime; a date is read relative to the response's `Date` so clock skew does not
  matter), never less than `min_wait` and with jitter (`settle_wait`);
- above 75 % of the bucket (`X-RateLimit-Bucket-Filling`) the client slows down by the time
  the bucket needs to leak back to the threshold;
- 5xx and network errors are retried with exponential backoff and jitter, a bounded number
  of times.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager, suppress
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Protocol


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5  # for 5xx, 423 and network errors
    backoff_base: float = 0.5  # seconds; doubles per attempt
    backoff_max: float = 30.0
    max_rate_limited: int = 100  # 429 answers tolerated for one call before giving up
    max_retry_after: float = 300.0  # never wait longer than this for one 429
    throttle_threshold: float = 0.75  # share of the bucket above which we slow down (>=1 disables)
    leak_per_second: float = 10.0  # Shoptet's documented leak rate
    # every computed wait is at least this long, plus up to `wait_jitter` of itself: a
    # Retry-After at or before the response's Date (clock skew, rounding) must not become
    # a burst of instant retries, and many workers must not retry in lockstep
    min_wait: float = 0.5
    wait_jitter: float = 0.25


def settle_wait(seconds: float, policy: RetryPolicy, rng: random.Random | None = None) -> float:
    """A computed wait with the floor and jitter applied, then capped at `max_retry_after`."""
    floored = max(seconds, policy.min_wait)
    return min(floored * (1 + (rng or random).uniform(0, policy.wait_jitter)), policy.max_retry_after)


def backoff_delay(attempt: int, policy: RetryPolicy, rng: random.Random | None = None) -> float:
    """Delay before retry number `attempt` (1-based): exponential, capped, with equal jitter."""
    ceiling = min(policy.backoff_max, policy.backoff_base * 2 ** (attempt - 1))
    return ceiling / 2 + (rng or random).uniform(0, ceiling / 2)


def parse_retry_after(
    value: str | None, date_header: str | None = None, now: float | None = None
) -> float | None:
    """Seconds to wait from a `Retry-After` value: delta seconds, HTTP date or ISO 8601 datetime."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        target = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        try:
            target = datetime.fromisoformat(value)
        except ValueError:
            return None
    if target.tzinfo is None:
        return None
    reference = now if now is not None else time.time()
    if date_header:
        with suppress(TypeError, ValueError):
            reference = parsedate_to_datetime(date_header).timestamp()
    return max(0.0, target.timestamp() - reference)


def parse_filling(value: str | None) -> tuple[float, float] | None:
    """(current, capacity) from `X-RateLimit-Bucket-Filling: 37/200`."""
    if not value or "/" not in value:
        return None
    current, _, capacity = value.partition("/")
    try:
        cur, cap = float(current), float(capacity)
    except ValueError:
        return None
    return (cur, cap) if cap > 0 else None


def throttle_delay(filling: str | None, policy: RetryPolicy) -> float:
    """How long to pause so the bucket leaks back to the threshold (0 below it)."""
    parsed = parse_filling(filling)
    if parsed is None or policy.throttle_threshold >= 1:
        return 0.0
    current, capacity = parsed
    excess = current - policy.throttle_threshold * capacity
    return excess / policy.leak_per_second if excess > 0 else 0.0


class SharedPace(Protocol):
    """The pace of one token shared across processes: a slot cap and a common pause."""

    def slot(self) -> AbstractAsyncContextManager[None]: ...

    async def pause(self, seconds: float) -> None: ...

    async def wait(self) -> float: ...


class RateGovernor:
    """The shared pace of one client: a concurrency cap and a 'not before' instant for all requests."""

    def __init__(self, policy: RetryPolicy, max_concurrency: int) -> None:
        if max_concurrency < 1:
            raise ValueError(f"max_concurrency must be >= 1, got {max_concurrency}")
        self.policy = policy
        self._slots = asyncio.Semaphore(max_concurrency)
        self._resume_at = 0.0
        self.paused_seconds = 0.0  # total time requests were held back (for tests and metrics)

    def pause(self, seconds: float) -> None:
        if seconds > 0:
            self._resume_at = max(self._resume_at, time.monotonic() + seconds)

    async def wait_turn(self) -> None:
        while (delay := self._resume_at - time.monotonic()) > 0:
            self.paused_seconds += delay
            await asyncio.sleep(delay)

    def observe(self, filling: str | None) -> float:
        delay = throttle_delay(filling, self.policy)
        self.pause(delay)
        return delay

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        async with self._slots:
            yield
