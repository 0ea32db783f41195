from __future__ import annotations

import pytest

from tests.outbound import forget_usage


@pytest.fixture(autouse=True)
def fresh_meter() -> None:
    forget_usage()
