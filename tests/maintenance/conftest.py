"""Maintenance tests move whole quarters around, so each runs in its own scratch database.

A migrated template is made once per session; each test clones it (CREATE DATABASE … TEMPLATE,
a fraction of a second) and points the process's settings at the clone, so activities run by
the in-process worker, and CLI subprocesses, all see it.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg.abc import Params, Query
from temporalio.client import WorkflowHandle

from tests.conftest import ADMIN_DSN
from tests.support import RunSql


def _url(name: str) -> str:
    return f"{ADMIN_DSN.rsplit('/', 1)[0]}/{name}"


def _admin(sql: str) -> None:
    with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
        conn.execute(sql)


@pytest.fixture(scope="session")
def migrated_template() -> Iterator[str]:
    from db import migrate

    name = f"shopops_mtpl_{os.getpid()}_{secrets.token_hex(3)}"
    _admin(f'CREATE DATABASE "{name}"')
    try:
        migrate.upgrade(_url(name))
        yield name
    finally:
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def scratch_names(migrated_template: str) -> Iterator[Callable[[str], None]]:
    """Drops finished scratch databases in background threads: DROP DATABASE forces a
    checkpoint (seconds on a busy server); this overlaps the next test instead of delaying
    it, and drops waiting together share one checkpoint. The session waits for them at its end."""
    dropper = ThreadPoolExecutor(max_workers=4, thread_name_prefix="scratch-drop")

    def drop_later(name: str) -> None:
        dropper.submit(_admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    yield drop_later
    dropper.shutdown(wait=True)


@asynccontextmanager
async def _scratch(template: str, drop_later: Callable[[str], None]) -> AsyncIterator[str]:
    from db.config import get_settings
    from db.engine import dispose_engines

    name = f"shopops_mnt_{secrets.token_hex(4)}"
    _admin(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    url = _url(name)
    session_url = os.environ["DATABASE_URL"]
    os.environ["DATABASE_URL"] = url.replace("postgresql://", "postgresql+psycopg://")
    get_settings.cache_clear()
    try:
        yield url
    finally:
        await dispose_engines()
        os.environ["DATABASE_URL"] = session_url
        get_settings.cache_clear()
        drop_later(name)


@pytest.fixture
async def scratch_db(
    migrated_template: str, scratch_names: Callable[[str], None]
) -> AsyncIterator[str]:
    """A fresh copy of the migrated schema; DATABASE_URL points at it for the test."""
    async with _scratch(migrated_template, scratch_names) as url:
        yield url


@pytest.fixture(scope="module")
async def module_scratch_db(
    migrated_template: str, scratch_names: Callable[[str], None]
) -> AsyncIterator[str]:
    """One copy for a module whose tests only read what a module fixture loaded."""
    async with _scratch(migrated_template, scratch_names) as url:
        yield url


@pytest.fixture
def sql(scratch_db: str) -> Iterator[Callable[..., list[tuple[object, ...]]]]:
    """Run SQL on the scratch database (autocommit) and get rows back."""
    conn = psycopg.connect(scratch_db, autocommit=True)

    def run(statement: Query, params: Params | None = None) -> list[tuple[object, ...]]:
        cur = conn.execute(statement, params)
        return cur.fetchall() if cur.description else []

    yield run
    conn.close()


def add_orders(sql: RunSql, at: str, n: int, *, prefix: str, shop_id: int = 1) -> None:
    """n orders a minute apart from `at`, each with two items (prices make sums checkable)."""
    sql(
        "INSERT INTO orders (shop_id, code, created_at, total_with_vat, email, billing_name, status_id) "
        "SELECT %(shop)s, %(p)s || g, %(at)s::timestamptz + g * interval '1 minute', 100 + g, "
        "'c' || g || '@example.com', 'Jana Nováková', -2 FROM generate_series(1, %(n)s) g",
        {"shop": shop_id, "p": prefix, "at": at, "n": n},
    )
    sql(
        "INSERT INTO order_items (shop_id, order_code, item_id, created_at, item_type, name, amount, price_with_vat) "
        "SELECT %(shop)s, %(p)s || g, k, %(at)s::timestamptz + g * interval '1 minute', 'product', 'Hrnek', 1, 10 * k + g "
        "FROM generate_series(1, %(n)s) g, generate_series(1, 2) k",
        {"shop": shop_id, "p": prefix, "at": at, "n": n},
    )


def totals(sql: RunSql) -> tuple[object, ...]:
    """Counts and money sums over hot + archive: must not change across any move."""
    return sql(
        "SELECT (SELECT count(*) FROM orders_all), (SELECT sum(total_with_vat) FROM orders_all), "
        "(SELECT count(*) FROM order_items_all), (SELECT sum(price_with_vat) FROM order_items_all)"
    )[0]


def parent_of(sql: RunSql, name: str) -> str | None:
    rows = sql(
        "SELECT p.relname FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent "
        "WHERE i.inhrelid = to_regclass(%s)",
        (name,),
    )
    return rows[0][0] if rows else None


@pytest.fixture(scope="module")
async def maint_worker(temporal_env: object) -> AsyncIterator[object]:
    """A worker for the maintenance queue with this domain's workflows and activities only, so
    these tests do not depend on other domains' registrations. Module-scoped: a worker must be
    gone before another test module registers the app's workers on the same queue."""
    import asyncio

    from temporalio.worker import Worker

    from activities.maintenance import archive, legacy_migration, partitions
    from infra.temporal_client import connect
    from workflows.maintenance.legacy_migration import LegacyMigrationWorkflow
    from workflows.maintenance.partitions import (
        ArchiveRestoreWorkflow,
        PartitionMaintenanceWorkflow,
    )
    from workflows.queues import Queue

    client = await connect()
    worker = Worker(
        client,
        task_queue=Queue.MAINTENANCE.value,
        workflows=[PartitionMaintenanceWorkflow, ArchiveRestoreWorkflow, LegacyMigrationWorkflow],
        activities=[
            partitions.plan_partition_maintenance,
            partitions.ensure_partition,
            partitions.analyze_parent,
            partitions.drain_default_to_archive,
            partitions.start_maintenance_run,
            partitions.finish_maintenance_run,
            archive.archive_quarter,
            archive.restore_quarter,
            legacy_migration.prepare_legacy_migration,
            legacy_migration.copy_legacy_batches,
            legacy_migration.replay_legacy_changes,
            legacy_migration.verify_legacy_migration,
            legacy_migration.swap_legacy_table,
        ],
    )
    task = asyncio.create_task(worker.run())
    try:
        yield worker
    finally:
        await worker.shutdown()
        await task


HISTORIES = Path(__file__).parent / "histories"


async def keep_history(handle: WorkflowHandle[Any, Any], name: str) -> None:
    """With SHOPOPS_RECORD_HISTORIES=1, store the run's history for the replay test."""
    if os.environ.get("SHOPOPS_RECORD_HISTORIES"):
        HISTORIES.mkdir(exist_ok=True)
        (HISTORIES / f"{name}.json").write_text((await handle.fetch_history()).to_json())
