"""Archive moves: crash recovery, restore (the CLI's one command), lock retries, loud verify."""

from __future__ import annotations

import asyncio
import os
import sys
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest
from temporalio.exceptions import ApplicationError

from tests.maintenance.conftest import add_orders, keep_history, parent_of, totals
from tests.maintenance.test_partitions import run_maintenance
from tests.support import RunSql
from workflows.maintenance.partitions import MaintenanceRequest, PartitionTask, TaskInput

RETENTION = MaintenanceRequest(steps=["retention"], as_of="2026-11-28")


async def test_a_crash_between_detach_and_attach_is_finished_by_the_next_run(
    scratch_db: str, sql: RunSql, maint_worker: object
) -> None:
    add_orders(sql, "2023-05-01T10:00:00Z", 25, prefix="Q")
    add_orders(sql, "2026-01-10T10:00:00Z", 5, prefix="K")
    before = totals(sql)
    # what a mover that died after DETACH and before ATTACH leaves behind: for an old quarter
    # (belongs in the archive) and for a recent one (belongs back in the hot table)
    sql("ALTER TABLE orders DETACH PARTITION orders_2023q2")
    sql("ALTER TABLE order_items DETACH PARTITION order_items_2026q1")
    assert totals(sql) != before  # the detached rows are visible nowhere

    report = await run_maintenance(RETENTION)
    recovered = [a for a in report.actions if a.quarter == "2023q2"]
    assert len(recovered) == 1 and "standalone -> orders_archive" in recovered[0].detail
    assert parent_of(sql, "orders_2023q2") == "orders_archive"
    assert parent_of(sql, "order_items_2023q2") == "order_items_archive"
    assert parent_of(sql, "order_items_2026q1") == "order_items"
    assert totals(sql) == before
    assert sql(
        "SELECT kind, rows_before, rows_after, verified FROM partition_moves WHERE table_name = 'orders' AND quarter = '2023q2'"
    ) == [("recover", 25, 25, True)]
    await run_maintenance(RETENTION)  # once more: attached exactly once, nothing duplicated
    assert sql("SELECT count(*) FROM pg_inherits WHERE inhrelid = 'orders_2023q2'::regclass") == [
        (1,)
    ]
    assert totals(sql) == before


async def test_an_interrupted_concurrent_detach_is_finalized_and_reattached(
    scratch_db: str, sql: RunSql, maint_worker: object
) -> None:
    add_orders(sql, "2021-03-01T10:00:00Z", 10, prefix="R")
    await run_maintenance(RETENTION)
    before = totals(sql)
    # the archive has no default partition, so DETACH … CONCURRENTLY is allowed there; a reader
    # holding the quarter open makes its second phase time out, leaving it "detach pending"
    reader = psycopg.connect(scratch_db)
    reader.execute("SELECT count(*) FROM orders_archive")
    with psycopg.connect(scratch_db, autocommit=True) as conn:
        conn.execute("SET statement_timeout = 500")
        with pytest.raises(psycopg.errors.QueryCanceled):
            conn.execute("ALTER TABLE orders_archive DETACH PARTITION orders_2021q1 CONCURRENTLY")
    reader.close()
    assert sql(
        "SELECT inhdetachpending FROM pg_inherits WHERE inhrelid = 'orders_2021q1'::regclass"
    ) == [(True,)]

    await run_maintenance(RETENTION)
    assert sql(
        "SELECT inhdetachpending FROM pg_inherits WHERE inhrelid = 'orders_2021q1'::regclass"
    ) == [(False,)]
    assert parent_of(sql, "orders_2021q1") == "orders_archive"
    assert totals(sql) == before


async def test_restore_is_one_command_and_takes_in_late_rows(scratch_db: str, sql: RunSql, maint_worker: object) -> None:
    add_orders(sql, "2023-05-01T10:00:00Z", 12, prefix="Q")
    await run_maintenance(RETENTION)
    assert parent_of(sql, "orders_2023q2") == "orders_archive"
    # a late sync writes a new version of an archived order and a brand-new old order: both
    # land in the hot default partition while the quarter is archived
    sql(
        "INSERT INTO orders (shop_id, code, created_at, total_with_vat) VALUES "
        "(1, 'Q3', '2023-05-01T10:03:00Z', 999), (1, 'LATE', '2023-06-30T23:00:00Z', 50)"
    )
    assert sql("SELECT count(*) FROM orders_default") == [(2,)]

    proc = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).parent / "shopops"),
        "maintenance",
        "archive",
        "restore",
        "2023q2",
        "--hold-days",
        "10",
        env={**os.environ},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 180)
    assert proc.returncode == 0, f"stdout: {out.decode()}\nstderr: {err.decode()}"
    assert '"action": "restore"' in out.decode(), out.decode()
    from infra.temporal_client import connect

    await keep_history(
        (await connect()).get_workflow_handle("maint:restore:2023q2"), "archive_restore"
    )

    assert parent_of(sql, "orders_2023q2") == "orders"
    assert parent_of(sql, "order_items_2023q2") == "order_items"
    assert sql("SELECT count(*) FROM orders_default") == [(0,)]
    assert sql(
        "SELECT count(*), sum(total_with_vat) FROM orders WHERE code LIKE 'Q%' OR code = 'LATE'"
    ) == [(13, Decimal(sum(100 + g for g in range(1, 13)) - 103 + 999 + 50))]
    assert sql("SELECT verified FROM partition_moves WHERE kind = 'restore'") == [(True,), (True,)]
    # the hold keeps retention from archiving it again straight away
    again = await run_maintenance(RETENTION)
    assert all(a.quarter != "2023q2" for a in again.actions)
    assert parent_of(sql, "orders_2023q2") == "orders"


async def test_moves_wait_for_locks_with_a_timeout_and_retry(scratch_db: str, sql: RunSql) -> None:
    from activities.maintenance.archive import archive_quarter

    add_orders(sql, "2022-07-01T10:00:00Z", 3, prefix="L")
    blocker = psycopg.connect(scratch_db)
    blocker.execute("SELECT count(*) FROM orders")  # an open transaction holds orders for a while
    loop = asyncio.get_running_loop()
    loop.call_later(1.0, blocker.rollback)
    task = TaskInput(
        PartitionTask("archive_quarter", "2022q3", None, "archive", "retention"),
        maintenance_run_id=_run(sql),
        lock_timeout_ms=150,
        lock_attempts=12,
    )
    started = loop.time()
    action = await archive_quarter(task)
    assert loop.time() - started >= 0.9  # it waited for the reader, in short bounded tries
    assert action.rows == 3 and parent_of(sql, "orders_2022q3") == "orders_archive"

    blocker.execute("SELECT count(*) FROM orders")
    stuck = TaskInput(
        PartitionTask("archive_quarter", "2022q4", None, "archive", "retention"),
        _run(sql),
        1000,
        100,
        2,
    )
    with pytest.raises(
        ApplicationError, match="could not get its locks within 100 ms in 2 attempts"
    ):
        await archive_quarter(stuck)
    blocker.close()
    assert parent_of(sql, "orders_2022q4") == "orders"


async def test_a_verification_mismatch_fails_loudly_and_notifies(scratch_db: str, sql: RunSql) -> None:
    from activities.maintenance.archive import Tally, _record
    from db.partitions import Quarter

    with pytest.raises(ApplicationError, match="changed the data") as failure:
        await _record(
            _run(sql),
            "archive",
            Quarter(2022, 1),
            {
                "orders": (
                    "orders",
                    "orders_archive",
                    Tally(10, Decimal("5.00")),
                    Tally(9, Decimal("4.00")),
                )
            },
        )
    assert failure.value.non_retryable
    assert sql("SELECT level, kind, title FROM notifications") == [
        ("critical", "maintenance.verify_failed", "Archive verification failed for 2022q1")
    ]
    assert sql("SELECT verified, detail FROM partition_moves") == [
        (False, "before 10 rows, 5.00; after 9 rows, 4.00")
    ]


def _run(sql: RunSql) -> int:
    return sql(
        "INSERT INTO maintenance_runs (kind, workflow_id, run_id) VALUES ('test', gen_random_uuid()::text, 'r') RETURNING id"
    )[0][0]
