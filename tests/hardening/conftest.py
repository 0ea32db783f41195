"""Fixtures of the hardening tests: a shop installed with a known webhook key."""

from __future__ import annotations

import pytest

WEBHOOK_KEY = "61d1175f54c47dd67df14c17002a17b2"


@pytest.fixture
def installed(db_session):  # type: ignore[no-untyped-def]
    from tests.support import installed_shop

    return installed_shop(db_session, WEBHOOK_KEY)
