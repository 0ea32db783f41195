"""Exports tests: a manager of one shop signed in, orders seeded by SQL, the app's workers."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from tests.support import TEST_NOW

HISTORIES = Path(__file__).parent / "histories"
RECORD = bool(os.environ.get("SHOPOPS_RECORD_HISTORIES"))


@pytest.fixture
def pg(database_url: str) -> Iterator[psycopg.Connection[Any]]:
    conn = psycopg.connect(database_url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True)
    yield conn
    conn.close()


def seed_orders(pg: psycopg.Connection[Any], shop_id: int, orders: int, items_per_order: int) -> None:
    """`orders` orders over the 90 days before TEST_NOW, status -1..-3, each with its items."""
    pg.execute(
        "INSERT INTO orders (shop_id, code, created_at, total_with_vat, email, billing_name, "
        "status_id, status_name, item_count) "
        "SELECT %(shop)s, 'E' || lpad(g::text, 7, '0'), %(now)s - (g %% 90) * interval '1 day' "
        "- (g %% 1000) * interval '1 second', (g %% 500) + 0.5, 'zakaznik' || g || '@example.com', "
        "'Zákazník ' || g, -(1 + g %% 3), 'Stav ' || (1 + g %% 3), %(items)s "
        "FROM generate_series(1, %(n)s) g",
        {"shop": shop_id, "n": orders, "items": items_per_order, "now": TEST_NOW},
    )
    if items_per_order:
        pg.execute(
            "INSERT INTO order_items (shop_id, order_code, item_id, created_at, item_type, name, "
            "amount, price_with_vat) SELECT shop_id, code, k, created_at, 'product', "
            "'Hrnek, \"modrý\" ' || k, k, 10 * k FROM orders, generate_series(1, %(k)s) k "
            "WHERE shop_id = %(shop)s",
            {"shop": shop_id, "k": items_per_order},
        )


def drop_orders(pg: psycopg.Connection[Any], shop_id: int) -> None:
    pg.execute("DELETE FROM order_items WHERE shop_id = %s", (shop_id,))
    pg.execute("DELETE FROM orders WHERE shop_id = %s", (shop_id,))


async def wait_done(api: httpx.AsyncClient, url: str, timeout: float = 300) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Poll the export until it is no longer pending or running: (final, every answer seen)."""
    seen: list[dict[str, Any]] = []
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        response = await api.get(url)
        assert response.status_code == 200, response.text
        body = response.json()
        seen.append(body)
        if body["status"] not in ("pending", "running"):
            return body, seen
        assert asyncio.get_running_loop().time() < deadline, f"export still {body['status']}: {body}"
        await asyncio.sleep(0.25)
