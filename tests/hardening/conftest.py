"""Fixtures of the hardening tests: a shop installed with a known webhook key."""

from __future__ import annotations

import pytest

WEBHOOK_KEY = "61d1175f54c47dd67df14c17002a17b2"


@pytest.fixture
def installed(db_session):  # type: ignore[no-untyped-def]
    from db.models import Installation, Shop
    from tests.support import fresh_eshop_id

    shop = Shop(eshop_id=fresh_eshop_id(), name="hooks", status="active")
    db_session.add(shop)
    db_session.flush()
    db_session.add(Installation(shop_id=shop.id, oauth_token="x" * 255, webhook_key=WEBHOOK_KEY))
    db_session.commit()
    return shop
