"""Orders API tests run against a scratch database holding hot and archived quarters."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any

import psycopg
import pytest
from psycopg.abc import Params, Query

from db.partitions import Quarter
from tests.maintenance import conftest as maintenance
from tests.support import RunSql

# the scratch-database fixtures of the maintenance tests, registered here too
migrated_template = maintenance.migrated_template
scratch_names = maintenance.scratch_names
module_scratch_db = maintenance.module_scratch_db

STATUSES = ["Nevyřízená", "Vyřizuje se", "Vyřízena", "Stornována"]
NAMES = ["Jana Nováková", "Petr Svoboda", "Eva Dvořáková", "Tomáš Černý"]
ARCHIVED = [Quarter(2023, q) for q in (1, 2, 3, 4)] + [Quarter(2024, q) for q in (1, 2, 3)]


def seed_orders(sql: RunSql, shop_id: int, n: int, prefix: str) -> None:
    """n orders from 2023-01 to mid-2025, two sharing each timestamp (ties on created_at)."""
    sql(
        "INSERT INTO orders (shop_id, code, created_at, total_with_vat, email, billing_name, "
        "status_id, status_name, paid, item_count, billing_city, delivery_address) "
        "SELECT %(shop)s, %(p)s || lpad(g::text, 6, '0'), "
        "timestamptz '2023-01-03 08:00+00' + (g / 2) * interval '36 hours', (g %% 200) + 0.99, "
        "CASE WHEN g %% 10 = 0 THEN 'novak' || g || '@seznam.cz' ELSE 'zakaznik' || g || '@example.com' END, "
        "(%(names)s::text[])[1 + g %% 4], -(1 + g %% 4), (%(statuses)s::text[])[1 + g %% 4], g %% 3 = 0, 2, "
        "'Brno', '{\"city\": \"Praha\"}'::jsonb "
        "FROM generate_series(1, %(n)s) g",
        {"shop": shop_id, "p": prefix, "n": n, "names": NAMES, "statuses": STATUSES},
    )
    sql(
        "INSERT INTO order_items (shop_id, order_code, item_id, created_at, item_type, name, amount, price_with_vat) "
        "SELECT shop_id, code, k, created_at, 'product', 'Hrnek ' || k, k, 10 * k FROM orders, "
        "generate_series(1, 2) k WHERE shop_id = %(shop)s",
        {"shop": shop_id},
    )


def archive(sql: RunSql) -> None:
    for table in ("orders", "order_items"):
        for q in ARCHIVED:
            sql(f"ALTER TABLE {table} DETACH PARTITION {table}_{q.label}")
            sql(
                f"ALTER TABLE {table}_archive ATTACH PARTITION {table}_{q.label} "
                f"FOR VALUES FROM ('{q.start.isoformat()}') TO ('{q.end.isoformat()}')"
            )


@pytest.fixture(scope="module")
def sql(module_scratch_db: str) -> Iterator[Callable[..., list[tuple[Any, ...]]]]:
    """SQL on this module's database (its tests only read the orders loaded once)."""
    conn = psycopg.connect(module_scratch_db, autocommit=True)

    def run(statement: Query, params: Params | None = None) -> list[tuple[Any, ...]]:
        cur = conn.execute(statement, params)
        return cur.fetchall() if cur.description else []

    yield run
    conn.close()


@pytest.fixture(scope="module")
def shops(sql: Callable[..., list[tuple[Any, ...]]]) -> tuple[SimpleNamespace, SimpleNamespace]:
    """Two shops with orders, the older quarters archived: (ours, theirs)."""
    ours, theirs = (
        SimpleNamespace(
            id=sql("INSERT INTO shops (eshop_id, name) VALUES (%s, %s) RETURNING id", (e, n))[0][0]
        )
        for e, n in ((810001, "Naše"), (810002, "Cizí"))
    )
    seed_orders(sql, ours.id, 1200, "A")
    seed_orders(sql, theirs.id, 40, "B")
    archive(sql)
    return ours, theirs
