"""Whole SnapshotWorkflow runs at the sizes that broke it: 120 000 lines (past the unpack's
50 000-line progress report, six chunks, sixty batches, each a heartbeat) and 0 lines.

Both go through the API, the Temporal dev server, the app's workers and the Shoptet sandbox,
and count rows exactly. No activity may need a second attempt: a heartbeat sent from the wrong
thread used to fail the download at 50 000 lines and retry it forever.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import orjson
from sqlalchemy import text
from temporalio.api.enums.v1 import EventType

from infra.sandbox.generator import ShopSpec
from infra.temporal_client import connect
from tests.snapshots.conftest import connect_shop, new_eshop_id
from tests.snapshots.test_snapshot_e2e import db_orders, wait_for_run

LINES = 120_000


def _count_file(raw: Path) -> tuple[int, int]:
    """(orders, items) in the downloaded result, read straight from Shoptet's file."""
    orders = items = 0
    with gzip.open(raw, "rb") as fh:
        for line in fh:
            orders += 1
            items += len(orjson.loads(line)["items"])
    return orders, items


async def _attempts(workflow_id: str) -> dict[str, int]:
    """The highest attempt each activity type of the run needed, once the workflow has closed
    (the run row reads `completed` inside `finish_run`, before that activity's events are
    written: Temporal records an activity's start together with its end)."""
    client = await connect()
    handle = client.get_workflow_handle(workflow_id)
    await handle.result()
    scheduled: dict[int, str] = {}
    worst: dict[str, int] = {}
    async for event in handle.fetch_history_events():
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            scheduled[event.event_id] = event.activity_task_scheduled_event_attributes.activity_type.name
        elif event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED:
            attrs = event.activity_task_started_event_attributes
            name = scheduled[attrs.scheduled_event_id]
            worst[name] = max(worst.get(name, 0), attrs.attempt)
    return worst


def _analyses(db_session) -> int:  # type: ignore[no-untyped-def]
    """How often the order and item partitions have been analysed so far."""
    db_session.execute(text("SELECT pg_stat_clear_snapshot()"))
    return int(db_session.execute(text(
        "SELECT coalesce(sum(analyze_count), 0) FROM pg_stat_user_tables "
        "WHERE relname ~ '^(orders|order_items)_[0-9]{4}q[1-4]$'"
    )).scalar_one())


async def test_120k_line_orders_snapshot_lands_exactly(api, worker, live_api, sandbox, db_session, manager) -> None:  # type: ignore[no-untyped-def]
    spec = ShopSpec(eshop_id=new_eshop_id(), seed=41, orders=LINES, products=50, customers=500, mean_items=1.01)
    connected = await connect_shop(sandbox, live_api, db_session, spec)
    shop_id = connected.shop.id
    await manager(shop_id)
    analysed_before = _analyses(db_session)
    started = await api.post(f"/api/shops/{shop_id}/snapshot-runs", json={"resource": "orders"})
    assert started.status_code == 202, started.text
    run = await wait_for_run(api, started.json()["id"], timeout=600)
    assert run["status"] == "completed", run
    assert run["processed_lines"] == run["total_lines"] == LINES and run["percent"] == 100.0
    assert run["rejected_lines"] == 0 and run["error"] is None
    raw = db_session.execute(text("SELECT file_path FROM snapshot_runs WHERE id = :r"), {"r": run["id"]}).scalar_one()
    orders, items = _count_file(Path(raw))
    assert orders == LINES
    stored = db_orders(db_session, shop_id)
    assert stored[:2] == (orders, items)
    assert run["rows_upserted"] == orders + items
    assert all(p is None or 0 <= p <= 100 for p in run["seen_progress"])
    attempts = await _attempts(run["workflow_id"])
    assert attempts["download_result"] == 1 and attempts["ingest_chunk"] == 1, attempts
    # a run this large leaves its tables analysed (autovacuum never analyses partitioned parents)
    assert _analyses(db_session) > analysed_before


async def test_empty_orders_snapshot_completes_with_no_rows(api, worker, live_api, sandbox, db_session, manager) -> None:  # type: ignore[no-untyped-def]
    spec = ShopSpec(eshop_id=new_eshop_id(), seed=43, orders=0, products=5, customers=5)
    connected = await connect_shop(sandbox, live_api, db_session, spec)
    shop_id = connected.shop.id
    await manager(shop_id)
    started = await api.post(f"/api/shops/{shop_id}/snapshot-runs", json={"resource": "orders"})
    assert started.status_code == 202, started.text
    run = await wait_for_run(api, started.json()["id"])
    assert run["status"] == "completed", run
    assert run["total_lines"] == 0 and run["processed_lines"] == 0 and run["rows_upserted"] == 0
    assert run["percent"] == 100.0 and run["error"] is None
    assert db_orders(db_session, shop_id)[:2] == (0, 0)
    attempts = await _attempts(run["workflow_id"])
    assert "ingest_chunk" not in attempts and attempts["finish_run"] == 1, attempts
