"""PartitionMaintenanceWorkflow on a real PostgreSQL and a real Temporal dev server."""

from __future__ import annotations

import asyncio
import secrets
import time

from temporalio.client import ScheduleActionStartWorkflow

from tests.maintenance.conftest import add_orders, keep_history, parent_of, totals
from tests.support import RunSql
from workflows.maintenance.partitions import (
    MaintenanceReport,
    MaintenanceRequest,
    PartitionMaintenanceWorkflow,
)
from workflows.queues import Queue


async def run_maintenance(req: MaintenanceRequest, keep_as: str | None = None) -> MaintenanceReport:
    from infra.temporal_client import connect

    client = await connect()
    handle = await client.start_workflow(
        PartitionMaintenanceWorkflow.run,
        req,
        id=f"maint:partitions:test-{secrets.token_hex(4)}",
        task_queue=Queue.MAINTENANCE.value,
    )
    report = await handle.result()
    progress = await handle.query(PartitionMaintenanceWorkflow.progress)
    assert progress.phase == "done" and progress.tasks_done == progress.tasks_total
    if keep_as:
        await keep_history(handle, keep_as)
    return report


async def test_premake_keeps_future_quarters_and_records_the_run(
    scratch_db: str, sql: RunSql, maint_worker: object
) -> None:
    # 0001 made quarters up to four ahead of its own run; acting from mid-2028 needs new ones
    report = await run_maintenance(MaintenanceRequest(steps=["premake"], as_of="2028-05-10"))
    made = {(a.table, a.quarter) for a in report.actions if a.action == "ensure_partition"}
    for table in ("orders", "order_items"):
        for quarter in ("2028q2", "2028q3", "2028q4", "2029q1", "2029q2"):
            assert parent_of(sql, f"{table}_{quarter}") == table
            assert (table, quarter) in made or quarter == "2028q2"
    # the new partition carries every index of the parent, the search index and the guest
    # e-mail key (customer analytics) included
    indexes = {
        r[0] for r in sql("SELECT indexdef FROM pg_indexes WHERE tablename = 'orders_2029q2'")
    }
    assert any("gin_trgm_ops" in d for d in indexes) and len(indexes) == 8
    assert any("lower(btrim((email)::text))" in d for d in indexes)
    run = sql(
        "SELECT kind, status, jsonb_array_length(actions) FROM maintenance_last_run WHERE kind = 'partitions'"
    )
    assert run == [("partitions", "completed", len(report.actions))]
    again = await run_maintenance(MaintenanceRequest(steps=["premake"], as_of="2028-05-10"))
    assert again.actions == []


async def test_rows_in_the_default_partition_move_out_in_batches(
    scratch_db: str, sql: RunSql, maint_worker: object
) -> None:
    add_orders(sql, "2031-05-02T08:00:00Z", 7, prefix="F")  # beyond premade quarters
    add_orders(
        sql, "2015-08-01T08:00:00Z", 3, prefix="H"
    )  # before the first quarter, past retention
    add_orders(sql, "2026-10-01T08:00:00Z", 2, prefix="N")  # an ordinary hot quarter
    assert sql("SELECT count(*) FROM orders_default") == [(10,)]
    before = totals(sql)

    report = await run_maintenance(
        MaintenanceRequest(steps=["drain"], as_of="2026-11-28", batch_rows=3),
        keep_as="partitions_drain",
    )
    assert report.default_rows == {"orders_default": 10, "order_items_default": 20}
    moved = {(a.table, a.quarter, a.target): a.rows for a in report.actions}
    assert moved == {
        ("orders", "2015q3", "orders_archive"): 3,
        ("order_items", "2015q3", "order_items_archive"): 6,
        ("orders", "2031q2", "orders"): 7,
        ("order_items", "2031q2", "order_items"): 14,
    }
    assert sql("SELECT count(*) FROM orders_default") == [(0,)]
    assert sql("SELECT count(*) FROM order_items_default") == [(0,)]
    assert parent_of(sql, "orders_2031q2") == "orders"
    assert parent_of(sql, "order_items_2015q3") == "order_items_archive"
    assert sql("SELECT count(*) FROM orders_2031q2") == [(7,)]
    assert totals(sql) == before


async def test_retention_moves_old_quarters_to_the_archive_without_blocking_ingest(
    scratch_db: str, sql: RunSql, maint_worker: object
) -> None:
    add_orders(sql, "2022-02-01T08:00:00Z", 40, prefix="A")
    add_orders(sql, "2024-08-01T08:00:00Z", 30, prefix="B")  # 2024q3 ends 2024-10-01 < cutoff
    add_orders(sql, "2024-11-01T08:00:00Z", 20, prefix="C")  # 2024q4 straddles the cutoff: stays
    before = totals(sql)
    stop = asyncio.Event()
    latencies: list[float] = []

    async def ingest() -> None:
        import psycopg

        async with await psycopg.AsyncConnection.connect(scratch_db, autocommit=True) as conn:
            n = 0
            while not stop.is_set():
                n += 1
                started = time.perf_counter()
                await conn.execute(
                    "INSERT INTO orders (shop_id, code, created_at, total_with_vat) "
                    "VALUES (2, %s, '2026-11-20T10:00:00Z', 1)",
                    (f"live{n}",),
                )
                latencies.append(time.perf_counter() - started)
                await asyncio.sleep(0.005)

    writer = asyncio.create_task(ingest())
    try:
        report = await run_maintenance(
            # an insert waits at most one lock_timeout behind a move, then the move steps back
            MaintenanceRequest(steps=["retention"], as_of="2026-11-28", lock_timeout_ms=300),
            keep_as="partitions_retention",
        )
    finally:
        stop.set()
        await writer
    archived = {a.quarter for a in report.actions if a.action == "archive_quarter"}
    assert archived == {f"{y}q{q}" for y in range(2019, 2024) for q in range(1, 5)} | {
        "2024q1",
        "2024q2",
        "2024q3",
    }
    assert parent_of(sql, "orders_2022q1") == "orders_archive"
    assert parent_of(sql, "order_items_2024q3") == "order_items_archive"
    assert parent_of(sql, "orders_2024q4") == "orders"
    assert sql("SELECT count(*) FROM orders WHERE code LIKE 'A%'") == [(0,)]
    assert sql("SELECT count(*) FROM orders_all WHERE code LIKE 'A%'") == [(40,)]
    live = len(latencies)
    assert totals(sql)[0] == before[0] + live and totals(sql)[2:] == before[2:]
    verified = sql(
        "SELECT table_name, rows_before, rows_after, sum_before = sum_after, verified FROM partition_moves "
        "WHERE quarter = '2022q1' ORDER BY table_name"
    )
    assert verified == [("order_items", 80, 80, True, True), ("orders", 40, 40, True, True)]
    assert live > 10 and max(latencies) < 1.5, f"ingest stalled {max(latencies):.2f} s"
    again = await run_maintenance(MaintenanceRequest(steps=["retention"], as_of="2026-11-28"))
    assert again.actions == []


async def test_the_daily_schedule_is_declared_and_starts_this_workflow(temporal_env: object) -> None:
    from infra.temporal_client import connect, ensure_schedule
    from workflows.registry import WORKFLOWS
    from workflows.schedules import APP_SCHEDULES

    decl = next(d for d in APP_SCHEDULES if d.workflow_id == "maint:partitions")
    assert (
        decl.workflow == PartitionMaintenanceWorkflow.__name__ and decl.queue is Queue.MAINTENANCE
    )
    assert (
        decl.cron == "30 3 * * *" and PartitionMaintenanceWorkflow in WORKFLOWS[Queue.MAINTENANCE]
    )
    client = await connect()
    await ensure_schedule(client, decl)
    described = await client.get_schedule_handle(decl.id).describe()
    action = described.schedule.action
    assert isinstance(action, ScheduleActionStartWorkflow)
    assert action.workflow == "PartitionMaintenanceWorkflow"
    upcoming = described.info.next_action_times
    assert upcoming and all((t.hour, t.minute) == (3, 30) for t in upcoming)  # daily, 03:30 UTC


async def test_statistics_step_analyses_each_partitioned_parent_once_a_day(
    scratch_db: str, sql: RunSql, maint_worker: object
) -> None:
    # autovacuum never analyses a partitioned parent: without this step its planner statistics
    # are whatever the last large snapshot left (here: none at all)
    add_orders(sql, "2024-10-01T08:00:00Z", 40, prefix="S")
    assert sql("SELECT count(*) FROM pg_stats WHERE tablename = 'orders' AND inherited") == [(0,)]

    report = await run_maintenance(MaintenanceRequest(steps=["statistics"], as_of="2020-01-02"))

    analysed = sorted((a.action, a.table) for a in report.actions)
    # the archive parents have no partitions yet: nothing to analyse there
    assert analysed == [("analyze_parent", "order_items"), ("analyze_parent", "orders")]
    (columns,) = sql("SELECT count(*) FROM pg_stats WHERE tablename = 'orders' AND inherited")[0]
    assert isinstance(columns, int) and columns > 10  # the whole table's statistics exist now
    assert sql(
        "SELECT reltuples FROM pg_class WHERE relname = 'orders_2024q4'"
    ) == [(40.0,)]  # and each partition's, on the way
    # analysed since the start of that day already: the next run of the day does nothing
    again = await run_maintenance(MaintenanceRequest(steps=["statistics"], as_of="2020-01-02"))
    assert again.actions == []
