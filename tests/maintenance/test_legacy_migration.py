"""Online migration of the old system's unpartitioned order_items, with writes going on."""

from __future__ import annotations

import asyncio
import random
import secrets
from typing import Any

import psycopg
import pytest
from alembic import command

from tests.maintenance.conftest import keep_history
from tests.support import RunSql
from workflows.maintenance.legacy_migration import LegacyMigrationRequest, LegacyMigrationWorkflow
from workflows.queues import Queue

COLUMNS = """
    shop_id bigint NOT NULL, order_code varchar(50) NOT NULL, item_id bigint NOT NULL,
    created_at timestamptz NOT NULL, item_type varchar(30) NOT NULL, product_guid uuid,
    code varchar(100), ean varchar(20), name varchar(300) NOT NULL, variant_name varchar(300),
    brand varchar(200), amount numeric(14,3) NOT NULL, amount_unit varchar(20),
    unit_price_with_vat numeric(14,2), price_with_vat numeric(14,2) NOT NULL,
    price_without_vat numeric(14,2), vat numeric(14,2), vat_rate numeric(5,2),
    purchase_price numeric(14,2), supplier_name varchar(200), status_id integer
"""
ROWS = 3000


def make_legacy_table(sql: RunSql) -> dict[tuple[object, ...], object]:
    """order_items as the old system had it: a serial id, the same columns, no partitioning
    (its index even uses the name our model gives ours). Returns key -> price."""
    sql("DROP VIEW order_items_all")
    sql("DROP TABLE order_items")
    sql(f"CREATE TABLE order_items (id serial PRIMARY KEY, {COLUMNS})")
    sql("CREATE INDEX ix_order_items_shop_code ON order_items (shop_id, code, created_at)")
    sql(
        "INSERT INTO order_items (shop_id, order_code, item_id, created_at, item_type, name, amount, price_with_vat, code) "
        "SELECT 1, 'L' || (g / 3), g %% 3, timestamptz '2023-01-01' + g * interval '11 hours', 'product', "
        "'Hrnek ' || g, 1, (g %% 97) + 0.5, 'P' || (g %% 50) FROM generate_series(1, %s) g",
        (ROWS,),
    )
    return {
        (1, o, i, c): p
        for o, i, c, p in sql(
            "SELECT order_code, item_id, created_at, price_with_vat FROM order_items"
        )
    }


async def writes(url: str, expected: dict[str, Any], stop: asyncio.Event, counts: dict[str, int]) -> None:
    """Keep inserting, updating and deleting by the natural key, as the old code did, recording
    the intended result; it neither knows nor cares that the table is being migrated."""
    rng = random.Random(7)
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        n = 0
        while not stop.is_set():
            n += 1
            op = rng.random()
            if op < 0.4 or not expected:
                key = (1, f"W{n}", 1, f"2026-11-0{1 + n % 9}T10:00:00+00:00")
                await conn.execute(
                    "INSERT INTO order_items (shop_id, order_code, item_id, created_at, item_type, name, amount, price_with_vat) "
                    "VALUES (%s, %s, %s, %s, 'product', 'Nový', 1, %s)",
                    (*key, n),
                )
                row = await (
                    await conn.execute(
                        "SELECT created_at FROM order_items WHERE shop_id = 1 AND order_code = %s",
                        (key[1],),
                    )
                ).fetchone()
                expected[(1, key[1], 1, row[0])] = n
                counts["insert"] += 1
            else:
                key = rng.choice(list(expected))
                if op < 0.8:
                    await conn.execute(
                        "UPDATE order_items SET price_with_vat = %s WHERE shop_id = %s AND order_code = %s "
                        "AND item_id = %s AND created_at = %s",
                        (n + 0.25, *key),
                    )
                    expected[key] = n + 0.25
                    counts["update"] += 1
                else:
                    await conn.execute(
                        "DELETE FROM order_items WHERE shop_id = %s AND order_code = %s AND item_id = %s AND created_at = %s",
                        key,
                    )
                    del expected[key]
                    counts["delete"] += 1
            await asyncio.sleep(0.002)


async def test_legacy_order_items_migrate_online_and_swap(scratch_db: str, sql: RunSql, maint_worker: object) -> None:
    from decimal import Decimal

    from db import migrate
    from infra.temporal_client import connect

    expected = make_legacy_table(sql)
    stop, counts = asyncio.Event(), {"insert": 0, "update": 0, "delete": 0}
    writer = asyncio.create_task(writes(scratch_db, expected, stop, counts))
    await asyncio.sleep(0.3)
    client = await connect()
    handle = await client.start_workflow(
        LegacyMigrationWorkflow.run,
        LegacyMigrationRequest(batch_rows=250, batches_per_call=3),
        id=f"maint:legacy-migration:test-{secrets.token_hex(4)}",
        task_queue=Queue.MAINTENANCE.value,
    )
    seen = []
    while not (desc := await handle.describe()).close_time:
        seen.append(await handle.query(LegacyMigrationWorkflow.progress))
        await asyncio.sleep(0.05)
    report = await handle.result()
    await keep_history(handle, "legacy_migration")
    await asyncio.sleep(0.3)  # writes carry on against the swapped-in table
    stop.set()
    await writer
    assert desc.status and desc.status.name == "COMPLETED"

    assert report.swapped and report.verification and report.verification.ok
    assert report.copied_rows >= ROWS - counts["delete"] and report.changes_replayed > 0
    assert min(counts.values()) > 5, counts
    copying = [p for p in seen if p.phase == "copying" and p.percent is not None]
    assert copying and any(0 < p.percent < 100 for p in copying), (
        "progress shows the copy advancing"
    )

    assert sql("SELECT relkind FROM pg_class WHERE relname = 'order_items'") == [("p",)]
    assert sql("SELECT count(*) FROM pg_inherits WHERE inhparent = 'order_items'::regclass") != [
        (0,)
    ]
    got = {
        (s, o, i, c): p
        for s, o, i, c, p in sql(
            "SELECT shop_id, order_code, item_id, created_at, price_with_vat FROM order_items"
        )
    }
    assert got == {k: Decimal(str(v)) for k, v in expected.items()}
    assert sql("SELECT count(*) FROM order_items_all") == [(len(expected),)]
    assert sql("SELECT count(*) FROM order_items_2023q1") != [(0,)]
    assert sql("SELECT phase FROM legacy_migrations") == [("swapped",)]

    # once the legacy copy is dropped, the schema is exactly what the models describe
    sql("DROP TABLE order_items_legacy")
    command.check(migrate.alembic_config(scratch_db))


async def test_the_copy_resumes_from_its_last_committed_batch(scratch_db: str, sql: RunSql) -> None:
    from activities.maintenance.legacy_migration import (
        copy_legacy_batches,
        prepare_legacy_migration,
    )

    make_legacy_table(sql)
    req = LegacyMigrationRequest(batch_rows=400, batches_per_call=2)
    state = await prepare_legacy_migration(req)
    assert (state.phase, state.high_water, state.last_key) == ("copying", ROWS, 0)
    first = await copy_legacy_batches(req)  # then the worker "dies"
    assert (first.copied_rows, first.last_key) == (800, 800)
    sql("UPDATE order_items SET price_with_vat = 1 WHERE id = 10")  # a write behind the copy
    again = await prepare_legacy_migration(req)  # a restarted run resumes, it does not restart
    assert again.last_key == 800
    while not (state := await copy_legacy_batches(req)).copied:
        pass
    assert state.copied_rows == ROWS and state.pending_changes == 1
    assert sql("SELECT count(*) FROM order_items_migrating") == [(ROWS,)]


async def test_bad_requests_fail_clearly(scratch_db: str, sql: RunSql) -> None:
    from temporalio.exceptions import ApplicationError

    from activities.maintenance.legacy_migration import prepare_legacy_migration

    with pytest.raises(ApplicationError, match="order_items is not an ordinary"):
        await prepare_legacy_migration(LegacyMigrationRequest())  # already partitioned
    sql("CREATE TABLE customers_old (id serial PRIMARY KEY, email text)")
    with pytest.raises(ApplicationError, match="no model for table 'customers_old'"):
        await prepare_legacy_migration(LegacyMigrationRequest(table="customers_old"))
