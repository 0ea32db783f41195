"""Exports: rows per second and peak memory of writing a shop's order items to CSV (and XLSX),
against PostgreSQL's own `COPY … TO STDOUT` of the same rows read and thrown away.

Seeds `--items` order items (4 per order) into a scratch database, then runs each measured
path in a fresh spawned process, so each peak RSS is that path's alone:
- baseline: `COPY (SELECT …) TO STDOUT (FORMAT csv)`, chunks discarded;
- CSV: the export writer as the activity runs it (ordered query, file on disk);
- XLSX: the same rows through the server-side cursor and XlsxWriter's constant-memory mode.

    python -m bench.exports --items 1000000 [--xlsx-items N]

Line before last: `xlsx rows=<n> rows_per_s=<x> peak_rss_mb=<m>`.
Last line: `rows_per_s=<x> peak_rss_mb=<m> ratio=<x ÷ COPY TO STDOUT rows/s>` (CSV).
"""

from __future__ import annotations

import argparse
import multiprocessing
import tempfile
import time
from pathlib import Path
from typing import Any

import psycopg

from bench.common import BENCH_SHOP, peak_rss_mb, scratch_database


def seed(url: str, items: int) -> None:
    orders = max(1, items // 4)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(BENCH_SHOP)
        conn.execute(
            "INSERT INTO orders (shop_id, code, created_at, total_with_vat, email, billing_name, "
            "status_id, item_count) SELECT 1, 'B' || lpad(g::text, 8, '0'), "
            "timestamptz '2026-09-01' + g * interval '7 seconds', g %% 700 + 0.5, "
            "'zakaznik' || g || '@example.com', 'Zákazník ' || g, -1, 4 "
            "FROM generate_series(1, %s) g",
            (orders,),
        )
        conn.execute(
            "INSERT INTO order_items (shop_id, order_code, item_id, created_at, item_type, code, "
            "name, amount, price_with_vat, vat_rate) SELECT shop_id, code, k, created_at, 'product', "
            "'HRN-' || k, 'Hrnek \"modrý\", ' || k || ' dl', k, 99.9 * k, 21 FROM orders, "
            "generate_series(1, 4) k WHERE shop_id = 1",
        )
        extra = items - orders * 4
        if extra > 0:
            conn.execute(
                "INSERT INTO order_items (shop_id, order_code, item_id, created_at, item_type, name, "
                "amount, price_with_vat) SELECT 1, 'B00000001', 100 + g, timestamptz '2026-09-01' "
                "+ interval '7 seconds', 'product', 'extra', 1, 1 FROM generate_series(1, %s) g",
                (extra,),
            )
        conn.execute("ANALYZE orders; ANALYZE order_items")


def _baseline(url: str, out: Any) -> None:
    from db.export_queries import Filters, export_query

    query = export_query("order_items", 1, Filters(), ordered=False)
    started = time.perf_counter()
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        with cur.copy(psycopg.sql.SQL("COPY ({}) TO STDOUT (FORMAT csv)").format(query)) as copy:
            for _ in copy:
                pass
        rows = cur.rowcount
    out.put((rows, time.perf_counter() - started, peak_rss_mb()))


def _export(url: str, fmt: str, limit: int | None, out: Any) -> None:
    from psycopg import sql

    from activities.exports.writer import write_export
    from db.export_queries import Filters, export_query

    query: Any = export_query("order_items", 1, Filters())
    if limit is not None:
        query = sql.SQL("SELECT * FROM ({}) q LIMIT {}").format(query, sql.Literal(limit))
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        with psycopg.connect(url) as conn:
            conn.execute("SET TimeZone = 'UTC'")
            rows = write_export(conn, query, fmt, Path(tmp) / f"bench.{fmt}", lambda _: None)
        out.put((rows, time.perf_counter() - started, peak_rss_mb()))


def in_child(target: Any, *args: Any) -> tuple[int, float, float]:
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    proc = ctx.Process(target=target, args=(*args, out))
    proc.start()
    result = out.get()
    proc.join()
    if proc.exitcode != 0:
        raise SystemExit(f"{target.__name__} failed with exit code {proc.exitcode}")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument(
        "--xlsx-items", type=int, default=100_000,
        help="rows for XLSX (0: all; XLSX is CPU-bound Python, ~10x slower than CSV)",
    )
    args = parser.parse_args()
    with scratch_database("bench_exports") as url:
        started = time.perf_counter()
        seed(url, args.items)
        print(f"seeded items={args.items} in {time.perf_counter() - started:.1f} s", flush=True)
        base_rows, base_s, base_rss = in_child(_baseline, url)
        print(f"baseline COPY TO STDOUT rows={base_rows} rows_per_s={base_rows / base_s:.0f} peak_rss_mb={base_rss:.1f}", flush=True)
        csv_rows, csv_s, csv_rss = in_child(_export, url, "csv", None)
        assert csv_rows == args.items, (csv_rows, args.items)
        x_rows, x_s, x_rss = in_child(_export, url, "xlsx", args.xlsx_items or None)
        print(f"xlsx rows={x_rows} rows_per_s={x_rows / x_s:.0f} peak_rss_mb={x_rss:.1f}")
        rate = csv_rows / csv_s
        print(f"rows_per_s={rate:.0f} peak_rss_mb={csv_rss:.1f} ratio={rate / (base_rows / base_s):.3f}")


if __name__ == "__main__":
    main()
