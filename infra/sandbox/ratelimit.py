"""Shoptet's two rate-limit layers: a leaky bucket per (addon × shop) and a cap on requests in
flight per token. Both answer 429; only the bucket sends `Retry-After` (an HTTP date).
"""

from __future__ import annotations

import math
from collections import Counter

from infra.sandbox.knobs import Limits


class LeakyBucket:
    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self._level = 0.0
        self._at = 0.0

    def level(self, now: float) -> float:
        if now > self._at:
            self._level = max(0.0, self._level - (now - self._at) * self.limits.leak_per_second)
            self._at = now
        return self._level

    def is_full(self, now: float) -> bool:
        """No room for one more drop."""
        return self.level(now) + 1 > self.limits.bucket_capacity

    def add(self, drops: float, now: float) -> None:
        self._level = self.level(now) + drops

    def retry_at(self, now: float) -> int:
        """Epoch second (rounded up) when one more drop fits."""
        excess = self.level(now) - self.limits.bucket_capacity + 1
        return math.ceil(now + max(excess, 0.0) / self.limits.leak_per_second)

    def filling(self, now: float) -> str:
        """`X-RateLimit-Bucket-Filling` value, e.g. `37/200`."""
        return f"{min(self.limits.bucket_capacity, math.ceil(self.level(now)))}/{self.limits.bucket_capacity}"


class InFlight:
    """Requests currently being served per API token (nginx `limit_conn` in front of Shoptet)."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()

    def try_enter(self, token: str, limit: int) -> bool:
        if self.counts[token] >= limit:
            return False
        self.counts[token] += 1
        return True

    def leave(self, token: str) -> None:
        self.counts[token] -= 1
        if self.counts[token] <= 0:
            del self.counts[token]
