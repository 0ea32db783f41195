"""Incremental sync against the sandbox, real PostgreSQL and the Temporal dev server: one run
per shop and resource however it is asked for, an order's life reaching PostgreSQL within
one cycle by schedule alone and by webhooks alone, reconciliation, deletions, stock."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from activities.shoptet_access import shop_client
from activities.sync import ENTITIES, Applier
from api.services.sync import nudge_sync, start_sync
from db.engine import raw_connection, session_scope
from infra.sandbox.testing import RunningSandbox
from infra.temporal_client import connect
from tests.sync.harness import (
    app_sandbox,
    execute,
    install_through_shoptet,
    installed_shop,
    running_workers,
    save_history,
    scalar,
    small_shop,
    sync_schedules,
    wait_until,
    workflow_ids,
)
from workflows.queues import Queue
from workflows.sync import SyncReport, SyncRequest, SyncWorkflow, sync_id

pytestmark = pytest.mark.usefixtures("temporal_env")
QUEUES = (Queue.TOKENS, Queue.SYNC)


def runs_query(shop_id: int, resource: str) -> str:
    return f"WorkflowType = 'SyncWorkflow' AND ShopId = {shop_id} AND ShopResource = '{resource}'"


async def _finished_runs(shop_id: int, resource: str) -> list[str]:
    return await workflow_ids(runs_query(shop_id, resource) + " AND ExecutionStatus != 'Running'")


async def _order(shop_id: int, code: str) -> dict[str, Any] | None:
    async with session_scope() as session:
        row = (
            await session.execute(
                text(
                    "SELECT status_id, cancelled, paid, item_count, "
                    "(SELECT count(*) FROM order_items i WHERE i.shop_id = o.shop_id AND i.order_code = o.code) AS items "
                    "FROM orders o WHERE shop_id = :s AND code = :c"
                ),
                {"s": shop_id, "c": code},
            )
        ).mappings().first()
    return dict(row) if row else None


async def test_eight_concurrent_starts_make_one_run() -> None:
    async with app_sandbox(slow_ms=100) as sb, running_workers(QUEUES):
        ref = await installed_shop(sb, small_shop())
        await sync_schedules(ref.shop_id, timedelta(hours=1), paused=True)
        client = await connect()
        await asyncio.gather(*(start_sync(client, ref.shop_id, "orders") for _ in range(8)))
        await wait_until(lambda: _finished_runs(ref.shop_id, "orders"), timeout=20, what="the sync run")
        await asyncio.sleep(1.0)  # any second run would have started by now
        assert len(await workflow_ids(runs_query(ref.shop_id, "orders"))) == 1


async def test_webhook_storm_coalesces_into_one_extra_run() -> None:
    async with app_sandbox(slow_ms=400) as sb, running_workers(QUEUES):
        ref = await installed_shop(sb, small_shop())
        await sync_schedules(ref.shop_id, timedelta(hours=1), paused=True)
        client = await connect()
        await nudge_sync(client, ref.shop_id, "orders", reason="order:create")
        await asyncio.sleep(0.3)  # the first pass is running (each Shoptet call takes 400 ms)
        await asyncio.gather(
            *(nudge_sync(client, ref.shop_id, "orders", reason="order:update") for _ in range(30))
        )

        async def two_done() -> bool:
            return len(await _finished_runs(ref.shop_id, "orders")) >= 2

        await wait_until(two_done, timeout=30, what="two sync runs")
        await asyncio.sleep(1.5)
        assert len(await workflow_ids(runs_query(ref.shop_id, "orders"))) == 2


async def _follow_order(
    sb: RunningSandbox, shop_id: int, eshop_id: int, *, within: float, cancel: str
) -> dict[str, float]:
    """Create, change and cancel an order at the sandbox; time until PostgreSQL shows each."""
    took: dict[str, float] = {}
    code = sb.state.create_order(eshop_id)
    _, took["created"] = await wait_until(lambda: _order(shop_id, code), timeout=within, what="the new order")

    sb.state.update_order(eshop_id, code, status_id=-2, paid=True)

    async def changed() -> bool:
        row = await _order(shop_id, code)
        return bool(row and row["status_id"] == -2 and row["paid"])

    _, took["changed"] = await wait_until(changed, timeout=within, what="the changed order")

    if cancel == "cancel":
        sb.state.cancel_order(eshop_id, code)
    else:  # a status change to Stornována, which Shoptet reports as order:update
        sb.state.update_order(eshop_id, code, status_id=-4, paid=False)

    async def cancelled() -> dict[str, Any] | None:
        row = await _order(shop_id, code)
        return row if row and row["cancelled"] and row["status_id"] == -4 else None

    row, took["cancelled"] = await wait_until(cancelled, timeout=within, what="the cancelled order")
    assert row["items"] == row["item_count"] > 0
    assert row["paid"] is False
    return took


async def test_order_life_reaches_postgres_by_schedule_alone() -> None:
    every = 4.0
    async with app_sandbox(drop_webhooks=1.0) as sb, running_workers(QUEUES):
        shop_id, eshop_id = await install_through_shoptet(sb)
        await sync_schedules(shop_id, timedelta(seconds=every))
        took = await _follow_order(sb, shop_id, eshop_id, within=every + 4, cancel="cancel")
        print(f"schedule only (every {every:g} s): {took}")
        assert sb.state.stats["webhooks_dropped"] >= 3
        assert await scalar(
            "SELECT count(*) FROM webhook_events WHERE shop_id = :s", s=shop_id
        ) == 0, "no webhook reached us"
        finished = await _finished_runs(shop_id, "orders")
        assert finished
        await save_history("sync", "scheduled_orders", finished[0])


async def test_order_life_reaches_postgres_by_webhooks_alone(live_api: str) -> None:
    async with app_sandbox(webhook_retry_ms=100) as sb, running_workers(QUEUES):
        shop_id, eshop_id = await install_through_shoptet(sb)
        await sync_schedules(shop_id, timedelta(hours=1), paused=True)  # only webhooks drive syncs
        began = time.monotonic()
        took = await _follow_order(sb, shop_id, eshop_id, within=8, cancel="status")
        print(f"webhooks only: {took}")
        assert time.monotonic() - began < 20
        events = await scalar(
            "SELECT count(*) FROM webhook_events WHERE shop_id = :s AND event LIKE 'order:%%' AND status = 'dispatched'",
            s=shop_id,
        )
        assert events >= 3


async def test_a_repeated_order_notification_still_nudges_the_sync(api: httpx.AsyncClient) -> None:
    """`eventCreated` has whole seconds: two changes of one order within a second arrive as
    identical bodies. The second is stored as a duplicate and must still nudge the sync, since
    the pass the first started may already have read the feed (seen in the webhooks-only test)."""
    import orjson
    from sqlalchemy import update

    from api.services.webhooks import signature
    from db.models import Installation

    key = "61d1175f54c47dd67df14c17002a17b2"
    async with app_sandbox() as sb:  # no worker: the first nudge's pass stays running
        ref = await installed_shop(sb, small_shop())
        async with session_scope() as session:
            await session.execute(update(Installation).where(Installation.shop_id == ref.shop_id).values(webhook_key=key))
        await sync_schedules(ref.shop_id, timedelta(hours=1), paused=True)
        body = orjson.dumps(
            {"eshopId": ref.eshop_id, "event": "order:update", "eventCreated": "2026-11-28T10:00:00+0100",
             "eventInstance": "2026000001"}
        )
        headers = {"Content-Type": "application/json", "Shoptet-Webhook-Signature": signature(key, body)}
        schedule = (await connect()).get_schedule_handle(sync_id(ref.shop_id, "orders"))

        async def info() -> Any:
            return (await schedule.describe()).raw_description.info

        async def running() -> bool:
            return bool((await info()).running_workflows)

        first = await api.post("/api/webhooks/shoptet", content=body, headers=headers)
        assert first.json()["status"] == "received"
        # the first pass is under way (a nudge processed together with the first one would
        # simply be part of it: the pass starts after both changes)
        await wait_until(running, timeout=10, what="the first pass running")
        second = await api.post("/api/webhooks/shoptet", content=body, headers=headers)
        assert second.json()["status"] == "duplicate"
        reasons = await scalar(
            "SELECT array_agg(status || ': ' || reason ORDER BY id) FROM webhook_events WHERE shop_id = :s",
            s=ref.shop_id,
        )
        # the duplicate's nudge is coalesced: its own trailing trigger (the first window closed)
        assert reasons == ["dispatched: nudged orders sync", "duplicate: already received; orders sync nudge coalesced"]

        async def buffered() -> int:  # a second pass waits behind the first
            return (await info()).buffer_size

        await wait_until(buffered, timeout=10, what="a second pass buffered behind the first")


async def test_reconciliation_loads_and_repairs(db_session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    async with app_sandbox() as sb, running_workers(QUEUES):
        spec = small_shop(orders=60, products=20, customers=30)
        ref = await installed_shop(sb, spec)
        client = await connect()

        async def reconcile(resource: str, run: str) -> SyncReport:
            return await client.execute_workflow(
                SyncWorkflow.run, SyncRequest(ref.shop_id, resource, reconcile=True),
                id=f"test-reconcile-{ref.shop_id}-{resource}-{run}", task_queue=Queue.SYNC.value,
            )

        counts = {"orders": 60, "products": 20, "customers": 30}
        for resource, n in counts.items():  # an empty database: reconciliation loads everything
            report = await reconcile(resource, "load")
            assert report.reconciliation is not None
            assert report.reconciliation.shoptet_total == n and report.reconciliation.local_total == 0
            assert await scalar(f"SELECT count(*) FROM {resource} WHERE shop_id = :s", s=ref.shop_id) == n
        items = await scalar("SELECT count(*) FROM order_items WHERE shop_id = :s", s=ref.shop_id)
        assert items > 60 * 2  # shipping and billing rows at least

        # lose two orders, gain one Shoptet never had, wrongly delete a product, lose a customer
        lost = [r[0] for r in db_session.execute(text(
            "SELECT code FROM orders WHERE shop_id = :s ORDER BY code LIMIT 2"), {"s": ref.shop_id})]
        await execute("DELETE FROM order_items WHERE shop_id = :s AND order_code = ANY(:c)", s=ref.shop_id, c=lost)
        await execute("DELETE FROM orders WHERE shop_id = :s AND code = ANY(:c)", s=ref.shop_id, c=lost)
        await execute(
            "INSERT INTO orders (shop_id, code, created_at, total_with_vat) VALUES (:s, 'GHOST-1', '2001-05-05', 1)",
            s=ref.shop_id,
        )
        await execute(
            "UPDATE products SET deleted = true WHERE shop_id = :s AND guid = "
            "(SELECT guid FROM products WHERE shop_id = :s ORDER BY guid LIMIT 1)", s=ref.shop_id,
        )
        await execute(
            "DELETE FROM customers WHERE shop_id = :s AND guid = "
            "(SELECT guid FROM customers WHERE shop_id = :s ORDER BY guid LIMIT 1)", s=ref.shop_id,
        )
        monkeypatch.setattr("activities.sync.DIFF_LIMIT", 10)  # make 60 orders need bisection
        repaired = await reconcile("orders", "repair")
        assert repaired.reconciliation is not None
        # the two lost orders, and the ghost's detail: only its 404 deletes it (issue 14)
        assert (repaired.reconciliation.fetched, repaired.reconciliation.deleted) == (3, 1)
        assert repaired.reconciliation.windows_differing >= 3  # the whole range, then both halves
        assert repaired.reconciliation.windows_compared > repaired.reconciliation.windows_differing
        assert await scalar("SELECT count(*) FROM orders WHERE shop_id = :s", s=ref.shop_id) == 60
        assert await scalar("SELECT count(*) FROM order_items WHERE shop_id = :s", s=ref.shop_id) == items
        await reconcile("products", "repair")
        await reconcile("customers", "repair")
        assert await scalar("SELECT count(*) FROM products WHERE shop_id = :s AND NOT deleted", s=ref.shop_id) == 20
        assert await scalar("SELECT count(*) FROM customers WHERE shop_id = :s", s=ref.shop_id) == 30
        again = await reconcile("orders", "noop")
        assert again.reconciliation is not None
        assert (again.reconciliation.windows_compared, again.reconciliation.fetched) == (1, 0)
        await save_history("sync", "reconcile_orders", f"test-reconcile-{ref.shop_id}-orders-repair")

        # deletions reported by the feed: orders go, products and customers are flagged
        conn = await raw_connection()
        try:
            async with shop_client(ref.shop_id) as shoptet:
                for resource in ("orders", "products"):
                    entity = ENTITIES[resource]
                    key = await scalar(
                        f"SELECT {entity.key_column}::text FROM {entity.table} WHERE shop_id = :s "
                        f"ORDER BY {entity.key_column} LIMIT 1", s=ref.shop_id,
                    )
                    applier = Applier(shoptet, conn, ref.shop_id, entity)
                    await applier.apply({key: ("delete", None)}, None)
                    assert applier.tally.deleted == 1
        finally:
            await conn.close()
        assert await scalar("SELECT count(*) FROM orders WHERE shop_id = :s", s=ref.shop_id) == 59
        assert await scalar("SELECT count(*) FROM products WHERE shop_id = :s AND deleted", s=ref.shop_id) == 1


async def test_feed_pass_is_idempotent_and_stock_pass_fills_levels() -> None:
    async with app_sandbox() as sb, running_workers(QUEUES):
        ref = await installed_shop(sb, small_shop())
        client = await connect()

        async def run(resource: str, name: str) -> SyncReport:
            return await client.execute_workflow(
                SyncWorkflow.run, SyncRequest(ref.shop_id, resource),
                id=f"test-sync-{ref.shop_id}-{resource}-{name}", task_queue=Queue.SYNC.value,
            )

        code = sb.state.create_order(ref.eshop_id)
        first = await run("orders", "1")
        assert (first.changes.seen, first.changes.fetched) == (1, 1) and first.changes.upserted >= 1
        assert await _order(ref.shop_id, code)
        second = await run("orders", "2")  # the overlap lists it again: fetched, nothing written
        assert second.changes.seen == 1 and second.changes.upserted == 0

        stock = await run("stock", "1")
        variants = sum(len(p["variants"]) for p in _products(sb, ref.eshop_id))
        assert stock.changes.seen == variants * 2 == stock.changes.upserted
        assert await scalar("SELECT count(*) FROM stock_levels WHERE shop_id = :s", s=ref.shop_id) == variants * 2
        assert await scalar("SELECT count(*) FROM stocks WHERE shop_id = :s", s=ref.shop_id) == 2
        # a variant and a whole stock that Shoptet no longer lists go on the next pass
        stock_id = await scalar("SELECT min(stock_id) FROM stocks WHERE shop_id = :s", s=ref.shop_id)
        await execute(
            "INSERT INTO stock_levels (shop_id, stock_id, variant_code, amount) VALUES "
            "(:s, :st, 'GONE-VARIANT', 5), (:s, 999, 'ANY', 1)", s=ref.shop_id, st=stock_id,
        )
        await execute("INSERT INTO stocks (shop_id, stock_id, title) VALUES (:s, 999, 'Closed')", s=ref.shop_id)
        second_stock = await run("stock", "2")
        assert (second_stock.changes.upserted, second_stock.changes.deleted) == (0, 2)
        assert await scalar("SELECT count(*) FROM stock_levels WHERE shop_id = :s", s=ref.shop_id) == variants * 2
        assert await scalar("SELECT count(*) FROM stocks WHERE shop_id = :s", s=ref.shop_id) == 2
        await save_history("sync", "stock", f"test-sync-{ref.shop_id}-stock-1")
        await save_history("sync", "orders_feed", f"test-sync-{ref.shop_id}-orders-1")


def _products(sb: RunningSandbox, eshop_id: int) -> list[dict[str, Any]]:
    from infra.sandbox.generator import product_detail

    spec = sb.state.shops[eshop_id].spec
    return [product_detail(spec, j) for j in range(spec.products)]
