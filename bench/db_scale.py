"""The database at the old system's scale: pruning, keyset pagination and the orders API.

    python -m bench.db_scale --items 8200000 [--workers 2] [--keep]

Loads a fresh scratch database (full schema, by our migrations) with one shop's orders from the
sandbox generator (`infra/sandbox/generator.py`, about 3.3 items per order, six years of
history), mapped to rows by the snapshot ingest's own mapper and streamed with COPY into the
partitioned `orders` / `order_items` and into an unpartitioned copy of the items shaped like the
legacy table (serial id, same columns, same indexes). Then, each baseline measured in this run:

- pruning_ratio: a last-quarter aggregate of the shop's items, unpartitioned ms ÷ partitioned ms;
- pruning_ratio_indexed: the same after adding the `(shop_id, created_at)` index a careful DBA
  would give the unpartitioned table (the legacy table lacked it);
- keyset_ratio: the page at depth 5 M (or 60 % of the rows when there are fewer), OFFSET ms ÷
  keyset ms (the two pages are checked to be the same rows);
- api_p95_ms: p95 of `GET /api/shops/{id}/orders?cursor=…&limit=100` through the real API app
  (in-process over ASGI) for cursors at random depths, after the quarters past the retention
  were moved to the archive as the daily maintenance would (so pages read hot + archive).

The last line is `pruning_ratio=… pruning_ratio_indexed=… keyset_ratio=… api_p95_ms=…`, followed by whatever the
functions in FIGURE_HOOKS add (name=value pairs). The scratch database is dropped at the end
unless --keep.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import multiprocessing
import os
import random
import resource
import secrets
import shutil
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any

import httpx
import psycopg

ADMIN_DSN = os.environ.get("BENCH_ADMIN_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
ESHOP_ID = 990006
CHUNK_ORDERS = 4000
ITEMS_PER_ORDER = 3.3  # mean_items 1.3 product rows + shipping + billing
OFFSET_DEPTH = 5_000_000
PAGE = 100


@dataclass
class BenchContext:
    """What a figure hook may use: the scratch database, the shop, a signed-in API client."""

    dsn: str
    shop_id: int
    orders: int
    items: int
    api: httpx.AsyncClient


# Other domains append `async def hook(ctx) -> {"name": value}`; their figures end the last line
# (e.g. the monitoring page's latency as monitoring_ms=…).
FIGURE_HOOKS: list[Callable[[BenchContext], Awaitable[dict[str, float]]]] = []

from bench.monitoring import monitoring_figure  # noqa: E402 (registers after the list exists)

FIGURE_HOOKS.append(monitoring_figure)


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def peak_rss_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return (own + child) / 1024


# ----------------------------------------------------------------------------- load


@lru_cache(maxsize=4)
def _spec(orders: int, last_day: date) -> Any:
    from infra.sandbox.generator import ShopSpec

    return ShopSpec(
        eshop_id=ESHOP_ID,
        seed=6,
        orders=orders,
        products=max(500, orders // 200),
        customers=max(1000, orders // 4),
        mean_items=1.3,
        date_from=last_day - timedelta(days=6 * 365),
        date_to=last_day,
    )


def _render(job: tuple[int, int, int, date, int]) -> tuple[bytes, bytes, int, int]:
    """Orders [start, end) as COPY text for orders and order_items (runs in a worker process)."""
    from activities.snapshots.ingest.documents import order_rows
    from activities.snapshots.ingest.loader import tsv
    from activities.snapshots.ingest.tables import ORDERS
    from infra.sandbox.generator import order_detail

    start, end, orders, last_day, shop_id = job
    spec = _spec(orders, last_day)
    order_lines, item_lines = [], []
    for i in range(start, end):
        for table, row in order_rows(order_detail(spec, i), shop_id):
            (order_lines if table is ORDERS else item_lines).append(tsv(row))
    return (
        "".join(order_lines).encode(),
        "".join(item_lines).encode(),
        len(order_lines),
        len(item_lines),
    )


def load(dsn: str, shop_id: int, orders: int, last_day: date, workers: int) -> tuple[int, int]:
    """Generate in `workers` processes; COPY into orders, order_items and the flat copy at once."""
    from activities.snapshots.ingest.tables import ORDER_ITEMS, ORDERS

    jobs = [
        (s, min(s + CHUNK_ORDERS, orders), orders, last_day, shop_id)
        for s in range(0, orders, CHUNK_ORDERS)
    ]
    flat_copy = f"COPY order_items_flat ({', '.join(ORDER_ITEMS.columns)}) FROM STDIN"
    # the workers fork before any connection opens, so none shares a socket with them
    pool = multiprocessing.get_context("fork").Pool(workers)
    conns = [psycopg.connect(dsn) for _ in range(3)]
    for conn in conns:
        conn.execute("SET synchronous_commit = off")
    n_orders = n_items = 0
    started = time.monotonic()
    with (
        pool,
        conns[0].cursor().copy(ORDERS.copy_target_sql()) as c_orders,
        conns[1].cursor().copy(ORDER_ITEMS.copy_target_sql()) as c_items,
        conns[2].cursor().copy(flat_copy) as c_flat,
    ):
        for done, (o, it, no, ni) in enumerate(pool.imap_unordered(_render, jobs), 1):
            c_orders.write(o)
            c_items.write(it)
            c_flat.write(it)
            n_orders, n_items = n_orders + no, n_items + ni
            if done % 50 == 0 or done == len(jobs):
                rate = n_items / (time.monotonic() - started)
                log(f"loaded {n_orders:,} orders, {n_items:,} items ({rate:,.0f} items/s)")
    for conn in conns:
        conn.commit()
        conn.close()
    return n_orders, n_items


def prepare(dsn: str) -> int:
    """Shop, admin user and the legacy-shaped flat table (indexes built after the load)."""
    from sqlalchemy.orm import Session

    from api.cli.users import ensure_user
    from db.engine import sync_engine
    from db.models import Shop

    with Session(sync_engine()) as session:
        shop = Shop(eshop_id=ESHOP_ID, name="Bench shop", status="active")
        session.add(shop)
        ensure_user(session, "bench@example.com", "bench-password", role="admin")
        session.commit()
        shop_id = shop.id
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE order_items_flat (id bigserial PRIMARY KEY, LIKE order_items INCLUDING DEFAULTS)"
        )
    return shop_id


def finish_load(dsn: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("SET maintenance_work_mem = '1GB'")
        conn.execute(
            "CREATE UNIQUE INDEX order_items_flat_key ON order_items_flat (shop_id, order_code, item_id, created_at)"
        )
        conn.execute(
            "CREATE INDEX order_items_flat_shop_code ON order_items_flat (shop_id, code, created_at)"
        )
        for table in ("orders", "order_items", "order_items_flat"):
            conn.execute(f"VACUUM (ANALYZE) {table}")


# ----------------------------------------------------------------------------- measurements


def timed(
    conn: psycopg.Connection, sql: str, params: tuple[Any, ...], runs: int
) -> tuple[float, list[Any]]:
    """Median ms of `runs` executions after one warm-up, and the rows of the last."""
    conn.execute(sql, params).fetchall()
    times, rows = [], []
    for _ in range(runs):
        started = time.perf_counter()
        rows = conn.execute(sql, params).fetchall()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), rows


def pruning(dsn: str, shop_id: int, last_day: date) -> tuple[float, float]:
    """(unpartitioned ms ÷ partitioned ms) for the legacy table as it was, then again after a
    careful DBA's `(shop_id, created_at)` index on it: partitioning's edge over a good index."""
    from db.partitions import Quarter

    quarter = Quarter.of(datetime(last_day.year, last_day.month, last_day.day, tzinfo=UTC)).prev()
    sql = "SELECT count(*), sum(price_with_vat) FROM {} WHERE shop_id = %s AND created_at >= %s AND created_at < %s"
    params = (shop_id, quarter.start, quarter.end)
    with psycopg.connect(dsn) as conn:
        plan = "\n".join(r[0] for r in conn.execute("EXPLAIN " + sql.format("order_items"), params))
        scanned = plan.count("order_items_20")
        part_ms, part_rows = timed(conn, sql.format("order_items"), params, 5)
        flat_ms, flat_rows = timed(conn, sql.format("order_items_flat"), params, 5)
        conn.execute("CREATE INDEX order_items_flat_shop_created ON order_items_flat (shop_id, created_at)")
        conn.execute("ANALYZE order_items_flat")
        conn.commit()
        indexed_ms, indexed_rows = timed(conn, sql.format("order_items_flat"), params, 5)
    assert part_rows == flat_rows == indexed_rows, f"the copies disagree: {part_rows} vs {flat_rows}"
    log(
        f"last-quarter aggregate ({quarter}, {part_rows[0][0]:,} items): partitioned {part_ms:.1f} ms "
        f"({scanned} partition scanned), unpartitioned {flat_ms:.1f} ms, unpartitioned with a "
        f"(shop_id, created_at) index {indexed_ms:.1f} ms"
    )
    return flat_ms / part_ms, indexed_ms / part_ms


def keyset(dsn: str, shop_id: int, items: int) -> tuple[float, int]:
    depth = OFFSET_DEPTH if items > OFFSET_DEPTH + 10 * PAGE else int(items * 0.6)
    cols = "order_code, item_id, price_with_vat"
    offset_sql = f"SELECT {cols} FROM order_items WHERE shop_id = %s ORDER BY order_code, item_id OFFSET %s LIMIT {PAGE}"
    with psycopg.connect(dsn) as conn:
        conn.execute("SET max_parallel_workers_per_gather = 0")  # one backend, like an API request
        offset_ms, page = timed(conn, offset_sql, (shop_id, depth), 3)
        anchor = conn.execute(
            "SELECT order_code, item_id FROM order_items WHERE shop_id = %s ORDER BY order_code, item_id "
            "OFFSET %s LIMIT 1",
            (shop_id, depth - 1),
        ).fetchone()
        keyset_sql = (
            f"SELECT {cols} FROM order_items WHERE shop_id = %s AND (order_code, item_id) > (%s, %s) "
            f"ORDER BY order_code, item_id LIMIT {PAGE}"
        )
        keyset_ms, same = timed(conn, keyset_sql, (shop_id, *anchor), 20)
    assert same == page, "keyset and OFFSET pages differ"
    log(f"page at depth {depth:,}: OFFSET {offset_ms:.1f} ms, keyset {keyset_ms:.2f} ms")
    return offset_ms / keyset_ms, depth


async def archive_past_retention(as_of: date) -> float:
    """Move quarters past the retention to the archive with the maintenance activities."""
    from activities.maintenance.archive import archive_quarter
    from activities.maintenance.partitions import plan_partition_maintenance, start_maintenance_run
    from db.engine import dispose_engines
    from workflows.maintenance.partitions import PlanRequest, RunStart, TaskInput

    started = time.monotonic()
    plan = await plan_partition_maintenance(PlanRequest(["retention"], as_of.isoformat()))
    run_id = await start_maintenance_run(RunStart("archive", "bench", secrets.token_hex(4), {}))
    for task in plan.tasks:
        await archive_quarter(TaskInput(task, run_id))
    seconds = time.monotonic() - started
    await dispose_engines()
    log(f"archived {len(plan.tasks)} quarter(s) past {plan.retention_days} days in {seconds:.1f} s")
    return seconds


async def api_latency(ctx: BenchContext, samples: int) -> tuple[float, float]:
    """p95 and p50 ms of orders pages that start at random depths, through the real API."""
    from api.services.orders import OrderFilters, cursor_after

    with psycopg.connect(ctx.dsn) as conn:
        anchors = conn.execute(
            "SELECT created_at, code FROM orders TABLESAMPLE SYSTEM (5) WHERE shop_id = %(s)s UNION ALL "
            "SELECT created_at, code FROM orders_archive TABLESAMPLE SYSTEM (5) WHERE shop_id = %(s)s",
            {"s": ctx.shop_id},
        ).fetchall()
    rng = random.Random(6)
    picks = rng.sample(anchors, min(len(anchors), samples + 20))
    url = f"/api/shops/{ctx.shop_id}/orders"
    times = []
    for n, (created_at, code) in enumerate(picks):
        cursor = cursor_after(ctx.shop_id, OrderFilters(), created_at, code)
        started = time.perf_counter()
        response = await ctx.api.get(url, params={"cursor": cursor, "limit": PAGE})
        elapsed = (time.perf_counter() - started) * 1000
        assert response.status_code == 200, response.text
        assert response.json()["items"], "a page at depth came back empty"
        if n >= 20:  # the first requests warm the pools and caches
            times.append(elapsed)
    times.sort()
    p95 = times[max(0, round(0.95 * len(times)) - 1)]
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    log(
        f"orders API, {len(times)} pages at random depths: p50 {statistics.median(times):.1f} ms, "
        f"p95 {p95:.1f} ms (machine load average {load} on {os.cpu_count()} cores)"
    )
    return p95, statistics.median(times)


# ----------------------------------------------------------------------------- main


async def measure_api(
    dsn: str, shop_id: int, orders: int, items: int, samples: int
) -> tuple[float, dict[str, float]]:
    from api.app import create_app
    from db.engine import dispose_engines

    app = create_app()
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request drowns the figures
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://bench"
    ) as client:
        response = await client.post(
            "/api/auth/login", json={"email": "bench@example.com", "password": "bench-password"}
        )
        assert response.status_code == 200, response.text
        ctx = BenchContext(dsn, shop_id, orders, items, client)
        p95, _ = await api_latency(ctx, samples)
        extra: dict[str, float] = {}
        for hook in FIGURE_HOOKS:
            extra.update(await hook(ctx))
    await dispose_engines()
    return p95, extra


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--items", type=int, default=1_000_000, help="order items to load (orders ≈ items / 3.3)"
    )
    parser.add_argument(
        "--workers", type=int, default=max(1, (os.cpu_count() or 2)), help="generator processes"
    )
    parser.add_argument("--samples", type=int, default=200, help="API pages to time")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    args = parser.parse_args(argv)
    if args.items < 10_000:
        parser.error(f"--items must be at least 10000 to measure anything, got {args.items}")

    free_gb = shutil.disk_usage("/").free / 1e9
    need_gb = args.items * 1.3e-6  # ≈ 1.3 kB per item with its order, indexes and the flat copy
    log(f"disk: {free_gb:.0f} GB free, this run needs about {need_gb:.0f} GB")
    if free_gb < need_gb * 1.5:
        raise SystemExit(f"not enough disk: {free_gb:.0f} GB free, about {need_gb:.0f} GB needed")

    name = f"shopops_bench_{secrets.token_hex(4)}"
    dsn = f"{ADMIN_DSN.rsplit('/', 1)[0]}/{name}"
    with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    os.environ["DATABASE_URL"] = dsn.replace("postgresql://", "postgresql+psycopg://")
    from db import migrate
    from db.config import get_settings

    get_settings.cache_clear()
    try:
        migrate.upgrade(dsn)
        shop_id = prepare(dsn)
        from db.engine import sync_engine

        sync_engine().dispose()
        today = datetime.now(UTC).date()
        last_day = today - timedelta(days=1)
        orders = round(args.items / ITEMS_PER_ORDER)
        started = time.monotonic()
        n_orders, n_items = load(dsn, shop_id, orders, last_day, args.workers)
        copy_s = time.monotonic() - started
        finish_load(dsn)
        load_s = time.monotonic() - started
        log(
            f"load: {n_orders:,} orders, {n_items:,} items; COPY {copy_s:.0f} s, with indexes and VACUUM {load_s:.0f} s"
        )
        with psycopg.connect(dsn) as conn:
            sizes = conn.execute(
                "SELECT pg_size_pretty(pg_database_size(current_database())), "
                "pg_size_pretty(pg_total_relation_size('order_items_flat'))"
            ).fetchone()
        log(f"database {sizes[0]}, of which the unpartitioned copy of the items {sizes[1]}")

        pruning_ratio, pruning_ratio_indexed = pruning(dsn, shop_id, last_day)
        keyset_ratio, _ = keyset(dsn, shop_id, n_items)
        asyncio.run(archive_past_retention(today))
        api_p95, extra = asyncio.run(measure_api(dsn, shop_id, n_orders, n_items, args.samples))
    finally:
        if "db.telemetry_store" in sys.modules:  # the API's flusher holds a connection to it
            sys.modules["db.telemetry_store"].STORE.close()
        if not args.keep:
            with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        else:
            log(f"kept database {name}")
    log(f"peak RSS {peak_rss_mb():.0f} MB (this process plus its largest child)")
    figures = (
        f"pruning_ratio={pruning_ratio:.1f} pruning_ratio_indexed={pruning_ratio_indexed:.1f} "
        f"keyset_ratio={keyset_ratio:.0f} api_p95_ms={api_p95:.1f}"
    )
    print(" ".join([figures, *(f"{k}={v:.1f}" for k, v in extra.items())]), flush=True)


if __name__ == "__main__":
    main()
