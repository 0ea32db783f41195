"""The receiver's cache of signature keys: a verified notification costs one statement, a
renewed key takes effect at once, and an entry expires on the injected clock."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import event, text, update
from sqlalchemy.orm import Session

from api.services.webhooks import KEYS, InstallationKeys, signature
from db.models import Installation, Shop
from tests.support import installed_shop

OLD, NEW = "0123456789abcdef0123456789abcdef", "fedcba9876543210fedcba9876543210"


@pytest.fixture
def shop(db_session: Session) -> Shop:
    return installed_shop(db_session, OLD, "keys")


def _body(eshop_id: int, instance: str) -> bytes:
    # a job event: stored and dispatched to a (here absent) snapshot, never a sync nudge
    return orjson.dumps({"eshopId": eshop_id, "event": "job:finished", "eventInstance": instance,
                         "eventCreated": datetime.now(UTC).isoformat()})


async def _post(api: httpx.AsyncClient, body: bytes, key: str) -> int:
    answer = await api.post("/api/webhooks/shoptet", content=body,
                            headers={"Shoptet-Webhook-Signature": signature(key, body)})
    return answer.status_code


async def test_a_verified_notification_is_one_insert_and_a_renewed_key_counts_at_once(
    api: httpx.AsyncClient, shop: Shop, db_session: Session
) -> None:
    from db.engine import async_engine

    assert await _post(api, _body(shop.eshop_id, "k1"), OLD) == 200  # reads the key, caches it
    statements: list[str] = []

    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement.split()[0] + " " + statement.split()[2])

    engine = async_engine().sync_engine
    event.listen(engine, "before_cursor_execute", seen)
    try:
        assert await _post(api, _body(shop.eshop_id, "k2"), OLD) == 200
        inserts = [s for s in statements if s.startswith("INSERT")]
        # the key came from the cache: no SELECT of shops/installations on the way in
        assert inserts[:1] == ["INSERT webhook_events"] and statements[0] == "INSERT webhook_events"
    finally:
        event.remove(engine, "before_cursor_execute", seen)

    db_session.execute(update(Installation).where(Installation.shop_id == shop.id).values(webhook_key=NEW))
    db_session.commit()
    assert await _post(api, _body(shop.eshop_id, "k3"), NEW) == 200  # the cached key mismatched: re-read
    assert await _post(api, _body(shop.eshop_id, "k4"), OLD) == 401  # the old key is refused at once
    stored = db_session.execute(
        text("SELECT event_instance FROM webhook_events WHERE shop_id = :s AND status <> 'rejected' ORDER BY id"),
        {"s": shop.id},
    ).scalars().all()
    assert stored == ["k1", "k2", "k3"]


def test_an_entry_expires_after_its_ttl_and_the_cache_stays_bounded() -> None:
    now = [100.0]
    keys = InstallationKeys(ttl=10.0, size=2, clock=lambda: now[0])
    keys.put(1, 11, "a")
    assert keys.get(1) == (11, "a")
    now[0] = 109.9
    assert keys.get(1) == (11, "a")
    now[0] = 110.0
    assert keys.get(1) is None  # expired: the next notification reads the row again
    keys.put(1, 11, "a")
    keys.put(2, 12, "b")
    keys.put(3, 13, "c")  # over its size: the least recently stored goes
    assert keys.get(1) is None and keys.get(2) == (12, "b") and keys.get(3) == (13, "c")
    assert KEYS.ttl == 10.0  # the receiver's own: a replaced key verifies for at most 10 s
