"""Issue 14, case 2: the daily reconciliation over a listing that shifts between its pages.

One stored order is lost locally, so the counts differ and the window is compared key by
key. While Shoptet's listing is paged, two orders of the first page are deleted and one is
created (the sandbox's `deletes_between_pages` / `inserts_between_pages`): two live orders
slide from page 2 to page 1 unseen. Before, those two were deleted locally and the two really
deleted ones stayed. Now the shift is seen and the listing read again, and a stored order
missing from it is deleted only when its detail answers 404."""

from __future__ import annotations

from datetime import timedelta

import pytest

from activities.shoptet.client import ShoptetClient
from activities.shoptet.tokens import StaticToken
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
FAST_JOBS = {"job_pending_ms": 20, "job_running_ms": 50, "webhook_retry_ms": 100}


async def _local_codes(shop_id: int) -> set[str]:
    from sqlalchemy import text

    from db.engine import session_scope

    async with session_scope() as session:
        rows = await session.execute(text("SELECT code FROM orders WHERE shop_id = :s"), {"s": shop_id})
        return {r[0] for r in rows}


async def test_reconciliation_survives_deletions_and_insertions_between_pages(live_api: str) -> None:
    async with app_sandbox(**FAST_JOBS) as sb, running_workers(QUEUES):
        shop_id, eshop_id = await install_through_shoptet(sb, orders=60, products=20, customers=30)
        await sync_schedules(shop_id, timedelta(hours=1), paused=True)

        async def landed() -> bool:
            return await scalar(
                "SELECT count(*) FROM snapshot_runs WHERE shop_id = :s AND status = 'completed'", s=shop_id
            ) == 3

        await wait_until(landed, timeout=60, what="the install's three snapshots")
        before = await _local_codes(shop_id)
        assert len(before) == 60
        sb.state.set_knobs({"drop_webhooks": 1.0})  # no webhook nudges a pass meanwhile
        lost = sorted(before)[30]
        await scalar("WITH i AS (DELETE FROM order_items WHERE shop_id = :s AND order_code = :c) "
                     "DELETE FROM orders WHERE shop_id = :s AND code = :c RETURNING 1", s=shop_id, c=lost)
        sb.state.set_knobs({"deletes_between_pages": 2, "inserts_between_pages": 1})

        report: SyncReport = await (await connect()).execute_workflow(
            SyncWorkflow.run, SyncRequest(shop_id, "orders", reconcile=True),
            id=f"test-reconcile-shift-{shop_id}", task_queue=Queue.SYNC.value,
        )
        result = report.reconciliation
        assert result is not None and sb.state.stats["listing_shifts"] == 1
        async with ShoptetClient(sb.url, StaticToken(sb.api_token(eshop_id))) as client:
            shoptet = {o["code"] async for o in client.iter_list("/api/orders", "orders", items_per_page=50)}
        assert len(shoptet) == 60 - 2 + 1
        after = await _local_codes(shop_id)
        assert after == shoptet  # nothing live was deleted, nothing deleted stayed, the new one came
        assert len(before - after) == 2 and lost in after
        assert (result.shoptet_total, result.local_total) == (60, 59)  # before the shift
        assert result.deleted == 2
        # the lost and the new order, and the details (404) of the two deleted between pages
        assert result.fetched == 2 + 2
