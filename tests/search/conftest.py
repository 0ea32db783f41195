"""The tagged cache's clock, moved by hand (`clock` fixture)."""

from __future__ import annotations

import pytest

from db import tagged_cache


class Clock:
    """The cache's clock, moved by hand."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(tagged_cache, "clock", fake)
    return fake
