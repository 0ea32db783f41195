"""Shops with simulated order histories in the session's database, and history recording."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from datetime import UTC, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from temporalio.client import WorkflowHandle

from db.engine import libpq_url
from tests.customers.seed import (
    CREATED_PARTITIONS,
    copy_customers,
    copy_orders,
    simulated_orders,
)
from tests.support import TEST_NOW

HISTORIES = Path(__file__).resolve().parent / "histories"


SHOP_IDS = range(900_000, 990_000)  # above the ids (and eshop ids) other suites' shops get
CREATED_SHOPS: list[int] = []


def new_shop(conn: psycopg.Connection, name: str) -> int:
    shop_id = SHOP_IDS[len(CREATED_SHOPS)]  # never reused: ids are deleted, not recycled
    conn.execute(
        "INSERT INTO shops (id, eshop_id, name, status) VALUES (%s, %s, %s, 'active')",
        (shop_id, shop_id, name),
    )
    conn.commit()
    CREATED_SHOPS.append(shop_id)
    return shop_id


@pytest.fixture(scope="module")
def pg() -> Iterator[psycopg.Connection]:
    """A connection to the session database; after each module the orders, items and shops it
    made are deleted and the archive partitions it made dropped, so other suites sharing the
    database never see them."""
    conn = psycopg.connect(libpq_url(os.environ["DATABASE_URL"]))
    yield conn
    conn.rollback()
    for table in ("order_items", "orders", "order_items_archive", "orders_archive"):
        conn.execute(f"DELETE FROM {table} WHERE shop_id = ANY(%s)", (CREATED_SHOPS,))
    conn.execute("DELETE FROM shops WHERE id = ANY(%s)", (CREATED_SHOPS,))
    for name in CREATED_PARTITIONS:
        conn.execute(f"DROP TABLE IF EXISTS {name}")
    conn.commit()
    conn.close()
    CREATED_PARTITIONS.clear()


def history_start(days: int = 728) -> str:
    """Histories end a few hours before the test clock, so a run at TEST_NOW closes them."""
    return (TEST_NOW - timedelta(days=days, hours=6)).astimezone(UTC).strftime("%Y-%m-%d %H:%M")


async def record_history(handle: WorkflowHandle[Any, Any], name: str) -> None:
    """Store a run's history for the replay test (always when missing, or when asked with
    SHOPOPS_RECORD_HISTORIES=1)."""
    path = HISTORIES / f"{name}.json"
    if os.environ.get("SHOPOPS_RECORD_HISTORIES") or not path.exists():
        history = await handle.fetch_history()
        path.write_text(history.to_json())


@pytest.fixture(scope="module")
def simulated_shop(pg: psycopg.Connection) -> tuple[int, object]:
    """A 2 000-customer shop over two years: a third guests, 2 % refunds, 1 % free orders,
    15 % of registered customers' orders placed as guest checkouts, guest e-mails in mixed
    case with stray spaces, the first quarter in the archive tables, plus one customer who only
    ever got a refund."""
    shop_id = new_shop(pg, "Simulated shop")
    orders = simulated_orders(shop_id, 2_000, seed=91, start=history_start(), guest_checkouts=0.15)
    copy_orders(pg, shop_id, orders, archive_before=orders["created_at"].min() + timedelta(days=80))
    copy_customers(pg, shop_id, 2_000)
    pg.execute(
        "INSERT INTO orders (shop_id, code, created_at, email, total_with_vat) "
        "VALUES (%s, 'REFUND-ONLY', %s - interval '30 days', 'refund-only@example.cz', -500)",
        (shop_id, TEST_NOW),
    )
    pg.commit()
    return shop_id, orders


async def analyse_now(shop_id: int) -> int:
    """Run the workflow's activities in order, without Temporal (fixtures for API tests);
    returns the report id."""
    from activities.customers import pipeline as acts
    from workflows.customers import (
        CUSTOMER_PHASES,
        ChunkRequest,
        FinishRequest,
        StartRunRequest,
    )

    run = await acts.start_customer_run(
        StartRunRequest(
            shop_id,
            "manual",
            f"test:customers:{shop_id}",
            secrets.token_hex(6),
            TEST_NOW.isoformat(),
        )
    )
    acts.estimate_price_sensitivity(run)
    for phase in CUSTOMER_PHASES:
        after = None
        while True:
            chunk = acts.summarise_customer_chunk(ChunkRequest(run, phase, after))
            if chunk.last_key is None:
                break
            after = chunk.last_key
    fit = acts.fit_customer_models(run)
    acts.mine_item_rules(run)
    await acts.finish_customer_run(FinishRequest(run.report_id, fit.status, fit.message))
    return run.report_id
