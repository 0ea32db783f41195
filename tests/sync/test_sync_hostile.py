"""A value PostgreSQL would refuse, met in an incremental sync's detail fetch, quarantines
that one order with its reason; the pass completes, every other order lands, and the order
lands whole once Shoptet serves it clean again (issue 14, case 1, through the sync path)."""

from __future__ import annotations

import pytest

from infra.sandbox.generator import HOSTILE_ORDER_VALUES
from infra.temporal_client import connect
from tests.sync.harness import app_sandbox, installed_shop, running_workers, scalar, small_shop
from workflows.queues import Queue
from workflows.sync import SyncReport, SyncRequest, SyncWorkflow

pytestmark = pytest.mark.usefixtures("temporal_env")


async def test_hostile_detail_is_quarantined_and_the_rest_of_the_pass_lands() -> None:
    async with app_sandbox() as sb, running_workers((Queue.TOKENS, Queue.SYNC)):
        ref = await installed_shop(sb, small_shop())
        client = await connect()

        async def run(name: str) -> SyncReport:
            return await client.execute_workflow(
                SyncWorkflow.run, SyncRequest(ref.shop_id, "orders"),
                id=f"test-sync-hostile-{ref.shop_id}-{name}", task_queue=Queue.SYNC.value,
            )

        kinds = sorted(HOSTILE_ORDER_VALUES)
        codes = [sb.state.create_order(ref.eshop_id) for _ in range(len(kinds) + 2)]
        bad = dict(zip(codes, kinds, strict=False))  # the last two stay clean
        for code, kind in bad.items():
            sb.state.update_order(ref.eshop_id, code, hostile=kind)

        first = await run("1")
        assert (first.changes.seen, first.changes.fetched) == (len(codes), len(codes))
        assert first.changes.rejected == len(kinds)
        rejected = await scalar(
            "SELECT array_agg(entity_key ORDER BY entity_key) FROM sync_rejects "
            "WHERE shop_id = :s AND resource = 'orders' AND reason <> ''", s=ref.shop_id,
        )
        assert rejected == sorted(bad)
        landed = await scalar(
            "SELECT array_agg(code ORDER BY code) FROM orders WHERE shop_id = :s AND code = ANY(:c)",
            s=ref.shop_id, c=codes,
        )
        assert landed == sorted(set(codes) - set(bad))
        assert await scalar(
            "SELECT count(*) FROM order_items WHERE shop_id = :s AND order_code = ANY(:c)",
            s=ref.shop_id, c=sorted(bad),
        ) == 0  # no half order: its items stayed out with it

        for code in bad:  # the merchant mends the data at Shoptet
            sb.state.update_order(ref.eshop_id, code, hostile="")
        second = await run("2")
        assert second.changes.rejected == 0 and second.changes.fetched >= len(kinds)  # + unsettled clean ones
        assert await scalar(
            "SELECT count(*) FROM orders WHERE shop_id = :s AND code = ANY(:c)", s=ref.shop_id, c=codes
        ) == len(codes)
        items = await scalar(
            "SELECT count(*) FROM order_items WHERE shop_id = :s AND order_code = ANY(:c)",
            s=ref.shop_id, c=codes,
        )
        data = sb.state.shop(ref.eshop_id).data
        indexes = [data.order_index(c) for c in codes]
        served = sum(len(data.order_full(i)["items"]) for i in indexes if i is not None)
        assert None not in indexes
        assert items == served
