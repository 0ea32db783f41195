"""The sandbox's controllable clock: real time plus an offset tests can advance.

Token expiry, job life cycles, result validity and the leaky bucket all read this clock, so
a test can jump 30 minutes or 24 hours ahead instead of waiting.
"""

from __future__ import annotations

import time


class SandboxClock:
    def __init__(self) -> None:
        self.offset = 0.0

    def now(self) -> float:
        return time.time() + self.offset

    def advance(self, seconds: float) -> float:
        if seconds < 0:
            raise ValueError(f"the sandbox clock only moves forward; got advance_seconds={seconds}")
        self.offset += seconds
        return self.now()

    def reset(self) -> None:
        self.offset = 0.0
