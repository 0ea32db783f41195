"""Search stays current through the real workflows: the install's snapshots index every record
(once, after each run, on the indexing queue),
and a sync pass that applies deletions at Shoptet removes exactly their documents."""

from __future__ import annotations

from datetime import timedelta

import pytest

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
from workflows.sync import SyncRequest, SyncWorkflow

pytestmark = pytest.mark.usefixtures("temporal_env")
QUEUES = (Queue.TOKENS, Queue.SYNC, Queue.SNAPSHOTS, Queue.INDEXING)
SHOP = {"orders": 30, "products": 12, "customers": 15}
KIND = {"orders": "order", "products": "product", "customers": "customer"}


async def documents(shop_id: int, kind: str) -> int:
    return await scalar("SELECT count(*) FROM search_documents WHERE shop_id = :s AND kind = :k", s=shop_id, k=kind)


async def indexed(shop_id: int, kind: str, ref: str) -> bool:
    return bool(await scalar(
        "SELECT count(*) FROM search_documents WHERE shop_id = :s AND kind = :k AND ref = :r",
        s=shop_id, k=kind, r=ref,
    ))


async def test_snapshots_index_everything_and_sync_deletions_remove_their_documents(live_api: str) -> None:
    async with app_sandbox(job_pending_ms=20, job_running_ms=50, webhook_retry_ms=100) as sb, running_workers(QUEUES):
        shop_id, eshop_id = await install_through_shoptet(sb, **SHOP)
        await sync_schedules(shop_id, timedelta(hours=1), paused=True)

        async def landed() -> bool:
            return await scalar(
                "SELECT count(*) FROM snapshot_runs WHERE shop_id = :s AND status = 'completed'", s=shop_id
            ) == 3

        await wait_until(landed, timeout=60, what="the install's three snapshots")

        async def searchable() -> bool:  # each full snapshot indexes its documents after its run
            return all([await documents(shop_id, KIND[r]) == n for r, n in SHOP.items()])

        await wait_until(searchable, timeout=60, what="the snapshots' documents, indexed after their runs")

        sb.state.set_knobs({"drop_webhooks": 1.0})  # only the explicit passes below run
        code = await scalar("SELECT min(code) FROM orders WHERE shop_id = :s", s=shop_id)
        product = await scalar("SELECT min(guid::text) FROM products WHERE shop_id = :s", s=shop_id)
        customer = await scalar("SELECT min(guid::text) FROM customers WHERE shop_id = :s", s=shop_id)
        assert await indexed(shop_id, "order", code) and await indexed(shop_id, "product", product)
        sb.state.delete_order(eshop_id, code)
        sb.state.delete_product(eshop_id, product)
        sb.state.delete_customer(eshop_id, customer)
        client = await connect()
        for resource in ("orders", "products", "customers"):
            await client.execute_workflow(
                SyncWorkflow.run, SyncRequest(shop_id, resource),
                id=f"test-search-{shop_id}-{resource}", task_queue=Queue.SYNC.value,
            )
        for kind, ref in (("order", code), ("product", product), ("customer", customer)):
            assert not await indexed(shop_id, kind, ref), kind
        for resource, n in SHOP.items():
            assert await documents(shop_id, KIND[resource]) == n - 1, resource
