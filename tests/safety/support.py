"""Helpers for the safety-net tests: seeding data and keeping workflow histories for replay."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.orm import Session
from temporalio.client import WorkflowHandle

HISTORIES = Path(__file__).resolve().parent / "histories"


async def keep_history(handle: WorkflowHandle, name: str) -> None:
    """Store the run's history for the replay test (when missing, or SHOPOPS_RECORD_HISTORIES=1)."""
    path = HISTORIES / f"{name}.json"
    if path.exists() and os.environ.get("SHOPOPS_RECORD_HISTORIES") != "1":
        return
    history = await handle.fetch_history()
    HISTORIES.mkdir(exist_ok=True)
    path.write_text(history.to_json())


def seed_orders(
    session: Session, shop_id: int, count: int, when: datetime, prefix: str = "S"
) -> None:
    """`count` orders with two items each whose prices add up to the order total."""
    for n in range(count):
        code = f"{prefix}{n:05d}"
        session.execute(
            text(
                "INSERT INTO orders (shop_id, code, created_at, total_with_vat) "
                "VALUES (:s, :c, :t, :total)"
            ),
            {"s": shop_id, "c": code, "t": when, "total": Decimal("150.00")},
        )
        for item_id, price in ((1, "100.00"), (2, "50.00")):
            session.execute(
                text(
                    "INSERT INTO order_items (shop_id, order_code, item_id, created_at, item_type, "
                    "name, amount, price_with_vat) VALUES (:s, :c, :i, :t, 'product', 'Mug', 1, :p)"
                ),
                {"s": shop_id, "c": code, "i": item_id, "t": when, "p": Decimal(price)},
            )
    session.commit()


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)
