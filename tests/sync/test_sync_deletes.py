"""Deletions at Shoptet reaching PostgreSQL end to end: a shop installed through the real
install service gets its first data by snapshots; an order, a product and a customer are
then deleted in the sandbox, whose change feeds report them as `changeType: delete`.

Our delete path (activities/sync.py `Applier._delete`) removes orders with their items and
only flags products and customers `deleted` (their variants, translations and the orders
that name them stay). The tests hold it to exactly that, with nothing else written, a second
pass changing nothing and the daily reconciliation not bringing anything back."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import text

from db.engine import session_scope
from infra.sandbox.testing import RunningSandbox
from infra.temporal_client import connect
from tests.sync.harness import (
    app_sandbox,
    install_through_shoptet,
    running_workers,
    scalar,
    sync_schedules,
    wait_until,
)
from workflows.queues import Queue
from workflows.sync import SyncReport, SyncRequest, SyncWorkflow

pytestmark = pytest.mark.usefixtures("temporal_env")
QUEUES = (Queue.TOKENS, Queue.SYNC, Queue.SNAPSHOTS)
SHOP = {"orders": 60, "products": 20, "customers": 30}
FAST_JOBS = {"job_pending_ms": 20, "job_running_ms": 50, "webhook_retry_ms": 100}

# every table a sync or snapshot writes for a shop, with a key that names a row
TABLES = {
    "orders": "code",
    "order_items": "order_code || '/' || item_id",
    "customers": "guid::text",
    "products": "guid::text",
    "product_translations": "product_guid::text || '/' || locale",
    "variants": "code",
    "stock_levels": "stock_id || '/' || variant_code",
}

Rows = dict[str, dict[str, dict[str, Any]]]


async def _rows(shop_id: int) -> Rows:
    """Every stored row of the shop, whole (synced_at included, so any write shows)."""
    out: Rows = {}
    async with session_scope() as session:
        for table, key in TABLES.items():
            result = await session.execute(
                text(f"SELECT {key} AS k, to_jsonb(t) AS r FROM {table} t WHERE shop_id = :s"),
                {"s": shop_id},
            )
            out[table] = {k: r for k, r in result}
    return out


async def _installed_with_first_data(sb: RunningSandbox) -> tuple[int, int]:
    """Install as Shoptet does and wait for the install's three snapshots to land."""
    shop_id, eshop_id = await install_through_shoptet(sb, **SHOP)
    await sync_schedules(shop_id, timedelta(hours=1), paused=True)  # no pass by the clock

    async def landed() -> bool:
        done = await scalar(
            "SELECT count(*) FROM snapshot_runs WHERE shop_id = :s AND status = 'completed'", s=shop_id
        )
        return done == 3

    await wait_until(landed, timeout=60, what="the install's three snapshots")
    for table, n in SHOP.items():
        assert await scalar(f"SELECT count(*) FROM {table} WHERE shop_id = :s", s=shop_id) == n
    return shop_id, eshop_id


async def _victims(shop_id: int) -> tuple[str, str, str]:
    """An order, a product that another order's items name, and a customer who has orders
    left, so keeping what refers to the deleted entities is part of the check."""
    code = await scalar("SELECT min(code) FROM orders WHERE shop_id = :s", s=shop_id)
    product = await scalar(
        "SELECT min(i.product_guid::text) FROM order_items i JOIN products p "
        "ON p.shop_id = i.shop_id AND p.guid = i.product_guid "
        "WHERE i.shop_id = :s AND i.order_code <> :c",
        s=shop_id, c=code,
    )
    customer = await scalar(
        "SELECT min(o.customer_guid::text) FROM orders o JOIN customers c "
        "ON c.shop_id = o.shop_id AND c.guid = o.customer_guid WHERE o.shop_id = :s AND o.code <> :c",
        s=shop_id, c=code,
    )
    assert code and product and customer
    return code, product, customer


def _expected_after(before: Rows, code: str, product: str, customer: str) -> Rows:
    """`before` as the delete path should leave it, except the flagged rows' synced_at."""
    after = {table: dict(rows) for table, rows in before.items()}
    after["orders"].pop(code)
    items = [k for k, row in before["order_items"].items() if row["order_code"] == code]
    assert items, "the deleted order had items"
    for key in items:
        after["order_items"].pop(key)
    for table, guid in (("products", product), ("customers", customer)):
        after[table][guid] = {**before[table][guid], "deleted": True}
    return after


def _masked(rows: Rows, flagged: dict[str, str]) -> Rows:
    """`rows` with the synced_at of the flagged rows blanked (a flag write sets it to now)."""
    out = dict(rows)
    for table, key in flagged.items():
        out[table] = {**rows[table], key: {**rows[table][key], "synced_at": None}}
    return out


async def test_feed_passes_apply_deletions_once_and_reconciliation_keeps_them(live_api: str) -> None:
    async with app_sandbox(**FAST_JOBS) as sb, running_workers(QUEUES):
        shop_id, eshop_id = await _installed_with_first_data(sb)
        client = await connect()

        async def run(resource: str, name: str, reconcile: bool | None = None) -> SyncReport:
            return await client.execute_workflow(
                SyncWorkflow.run, SyncRequest(shop_id, resource, reconcile=reconcile),
                id=f"test-deletes-{shop_id}-{resource}-{name}", task_queue=Queue.SYNC.value,
            )

        # webhooks only nudge passes; the explicit ones below must be the only ones that run
        sb.state.set_knobs({"drop_webhooks": 1.0})
        before = await _rows(shop_id)
        assert before["stock_levels"]  # the products snapshot brings every variant's levels
        assert not any(row["deleted"] for t in ("products", "customers") for row in before[t].values())
        code, product, customer = await _victims(shop_id)
        sb.state.delete_order(eshop_id, code)
        sb.state.delete_product(eshop_id, product)
        sb.state.delete_customer(eshop_id, customer)

        for resource in ("orders", "products", "customers"):
            report = await run(resource, "1")
            assert report.skipped is None and report.reconciliation is None
            changes = report.changes
            # the feed since install holds only the deletion: nothing is fetched or written
            assert (changes.seen, changes.deleted, changes.fetched, changes.upserted) == (1, 1, 0, 0), resource
        stock = await run("stock", "1")  # Shoptet no longer lists the product's variants
        codes = {k for k, row in before["variants"].items() if row["product_guid"] == product}
        gone_levels = {k for k, row in before["stock_levels"].items() if row["variant_code"] in codes}
        assert codes and (stock.changes.deleted, stock.changes.upserted) == (len(gone_levels), 0)

        after = await _rows(shop_id)
        expected = _expected_after(before, code, product, customer)
        for key in gone_levels:
            expected["stock_levels"].pop(key)
        flagged = {"products": product, "customers": customer}
        for table, key in flagged.items():
            assert after[table][key]["synced_at"] != before[table][key]["synced_at"]
            assert after[table][key]["changed_at"] == before[table][key]["changed_at"]
        assert _masked(after, flagged) == _masked(expected, flagged)  # nothing else was written
        assert await scalar(
            "SELECT count(*) FROM orders WHERE shop_id = :s AND customer_guid = CAST(:g AS uuid)",
            s=shop_id, g=customer,
        ) > 0  # the deleted customer's orders stay, as at Shoptet

        for resource in ("orders", "products", "customers"):  # the overlap reads it again
            again = await run(resource, "2")
            assert (again.changes.seen, again.changes.deleted, again.changes.fetched,
                    again.changes.upserted) == (1, 0, 0, 0), resource
        assert await _rows(shop_id) == after

        for resource, n in SHOP.items():  # the daily reconciliation finds nothing to restore
            daily = await run(resource, "reconcile", reconcile=True)
            result = daily.reconciliation
            assert result is not None
            assert (result.shoptet_total, result.local_total) == (n - 1, n - 1), resource
            assert (result.windows_differing, result.fetched, result.upserted, result.deleted) == (0, 0, 0, 0)
        assert await _rows(shop_id) == after
        assert sb.state.stats["webhooks_dropped"] == 3  # order, product and customer:delete


async def test_delete_webhooks_alone_bring_deletions_to_postgres(live_api: str) -> None:
    async with app_sandbox(**FAST_JOBS) as sb, running_workers(QUEUES):
        shop_id, eshop_id = await _installed_with_first_data(sb)
        code, product, customer = await _victims(shop_id)
        sb.state.delete_order(eshop_id, code)
        sb.state.delete_product(eshop_id, product)
        sb.state.delete_customer(eshop_id, customer)

        async def all_applied() -> bool:
            order_left = await scalar(
                "SELECT count(*) FROM orders WHERE shop_id = :s AND code = :c", s=shop_id, c=code
            )
            flagged = await scalar(
                "SELECT count(*) FROM products WHERE shop_id = :s AND guid = CAST(:p AS uuid) AND deleted",
                s=shop_id, p=product,
            ) + await scalar(
                "SELECT count(*) FROM customers WHERE shop_id = :s AND guid = CAST(:c AS uuid) AND deleted",
                s=shop_id, c=customer,
            )
            return order_left == 0 and flagged == 2

        _, took = await wait_until(all_applied, timeout=15, what="the three deletions in PostgreSQL")
        print(f"deletions by webhook: {took:.2f} s")
        events = await scalar(
            "SELECT array_agg(event || ' ' || status ORDER BY event) FROM webhook_events "
            "WHERE shop_id = :s AND split_part(event, ':', 2) = 'delete'",
            s=shop_id,
        )
        assert events == ["customer:delete dispatched", "order:delete dispatched", "product:delete dispatched"]
        assert await scalar(
            "SELECT count(*) FROM order_items WHERE shop_id = :s AND order_code = :c", s=shop_id, c=code
        ) == 0
