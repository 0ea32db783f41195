"""Customer analytics at shop scale: summary, model selection, scoring and segments for N customers.

    python -m bench.customers --customers 200000
    python -m bench.customers --customers 200000 --from-db

Simulates two years of orders of a BG/NBD shop with Gamma-Gamma order values and 2 % refunds,
then times `analyse_customers` (summary of calibration and full history, fit of the three
transaction models with holdout scoring, refit of the winner and Gamma-Gamma, scoring of every
customer with CLV, churn risk and segment). The baseline is the cheapest possible pass over the
same orders: one pandas groupby computing each customer's first and last order, count and spend.
The last line is `customers_per_s=<x> fit_s=<y> peak_rss_mb=<m>`.

`--from-db` runs the real activity path instead: the simulated orders (with items, a third of
the customers guests, the oldest quarter in the archive tables, and with `--guest-checkouts`
(0.1) that share of registered customers' orders placed as guest checkouts with the account
e-mail, guest e-mails in mixed case with stray spaces, and a `customers` row per registered
customer; 0 seeds the data of the benchmark before identity resolution) are COPYed into a
scratch database, then the workflow's activities run in order without Temporal (start, customer chunks
streamed from `orders_all`, the fit in its child process, rule mining, finish). Its baseline is
the cheapest streaming pass over the same orders in PostgreSQL: one GROUP BY per customer
(first and last order, count, spend) read through a server-side cursor. Peak RSS is the larger
of this process and the child processes.

`--e2e` runs the nightly analytics as production does: the real `CustomerAnalyticsWorkflow`
on a Temporal dev server, its activities in a worker process of its own (`shopops worker
--no-schedules --queue=shopops-analytics`), whose resident memory with its children (the fit,
price and rules child processes) is sampled every 200 ms (bench/snapshot_e2e.py's helpers).
The orders are seeded as above, their items in the seed's shape (`--items-per-order`, 4.5 rows
per purchase with a shipping and a billing row, purchase prices, 10 % of orders with a coupon,
sale weeks), so the margins and elasticities have their real work; `--database URL` reuses an
already seeded database instead (no seeding; the shop with the most orders; e.g. one that
`bench.snapshot_e2e --keep` or `--e2e --keep` left), `--keep` keeps the scratch database.
Printed: orders and items counts, seconds per activity (summed over its calls, from the
workflow history), the fit's own stages, the peak worker RSS and the ratio of the workflow's
wall time to the streaming GROUP BY baseline measured in the same run. Last line:
customers=<n> orders=<o> items=<i> wall_s=<t> ratio=<wall ÷ baseline> peak_worker_rss_mb=<r>
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import numpy as np
import pandas as pd
import psutil

from activities.customers.analytics import analyse_customers
from activities.customers.simulation import simulate_transactions
from bench.common import (
    BENCH_SHOP,
    Laps,
    peak_rss_mb,
    scratch_database,
    seed_in_child,
    stream_query,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=200_000)
    parser.add_argument("--days", type=int, default=730, help="length of the order history")
    parser.add_argument("--holdout-weeks", type=int, default=26)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--from-db", action="store_true", help="run the activity path on PostgreSQL"
    )
    parser.add_argument(
        "--guest-checkouts",
        type=float,
        default=0.1,
        help="--from-db: share of registered customers' orders placed as guest checkouts",
    )
    parser.add_argument(
        "--e2e", action="store_true", help="run the real workflow on Temporal with a worker"
    )
    parser.add_argument(
        "--items-per-order",
        type=float,
        default=4.5,
        help="--e2e: order_items rows per purchase, shipping and billing rows included (>= 3)",
    )
    parser.add_argument("--database", help="--e2e: reuse this seeded database (no seeding)")
    parser.add_argument("--keep", action="store_true", help="--e2e: keep the scratch database")
    args = parser.parse_args()
    if args.e2e:
        if args.items_per_order < 3:
            parser.error("--items-per-order must be at least 3 (a product, shipping, billing)")
        print(
            run_e2e(
                args.customers,
                args.days,
                args.holdout_weeks,
                args.seed,
                args.guest_checkouts,
                args.items_per_order,
                args.database,
                args.keep,
            ),
            flush=True,
        )
        return
    if args.from_db:
        run_from_db(args.customers, args.days, args.holdout_weeks, args.seed, args.guest_checkouts)
        return

    rng = np.random.default_rng(args.seed)
    orders = simulate_transactions(args.customers, days=args.days, rng=rng)
    end = orders["created_at"].max()
    rss_before = psutil.Process().memory_info().rss / 2**20
    peak_before = peak_rss_mb()
    print(
        f"simulated customers={args.customers} order_rows={len(orders)} days={args.days} "
        f"rss_before_pipeline_mb={rss_before:.0f} peak_rss_of_simulation_mb={peak_before:.0f}"
    )

    started = time.perf_counter()
    baseline = orders.groupby("customer_id").agg(
        first=("created_at", "min"),
        last=("created_at", "max"),
        orders=("created_at", "size"),
        spend=("total", "sum"),
    )
    groupby_s = time.perf_counter() - started
    del baseline

    started = time.perf_counter()
    analysis = analyse_customers(
        orders, "customer_id", "created_at", "total", end, holdout_periods=args.holdout_weeks
    )
    pipeline_s = time.perf_counter() - started
    peak_mb = peak_rss_mb()

    report = analysis.selection.report()
    for r in analysis.selection.reports:
        print(
            f"holdout model={r.model.replace('/', '_')} mae={r.mae:.4f} "
            f"baseline_mae={r.baseline_mae:.4f} predicted={r.predicted_purchases:.0f} "
            f"actual={r.actual_purchases:.0f} auc_p_alive={r.auc_p_alive:.3f} "
            f"auc_expected={r.auc_expected_purchases:.3f}"
        )
    print(f"chosen={report.model.replace('/', '_')} {analysis.model!r} {analysis.spend!r}")
    segments = analysis.metrics["segment"].value_counts()
    print("segments " + " ".join(f"{k}={v}" for k, v in segments.items()))
    print(
        "stages_s "
        + " ".join(f"{k}={v:.2f}" for k, v in analysis.seconds.items())
        + f" total={pipeline_s:.2f}"
    )
    print(
        f"baseline pandas_groupby_s={groupby_s:.3f} "
        f"customers_per_s={args.customers / groupby_s:.0f} "
        f"pipeline_vs_groupby_time_ratio={pipeline_s / groupby_s:.1f}"
    )
    print(
        f"customers_per_s={args.customers / pipeline_s:.0f} "
        f"fit_s={analysis.seconds['fit']:.2f} peak_rss_mb={peak_mb:.0f}"
    )


def run_from_db(
    customers: int, days: int, holdout_weeks: int, seed: int, guest_checkouts: float
) -> None:
    """Seed a scratch database, run the workflow's activities on it, print the figures."""
    import asyncio

    with scratch_database("shopops_bench_customers") as url:
        asyncio.run(_bench_db(url, customers, days, holdout_weeks, seed, guest_checkouts))


async def _bench_db(
    url: str, customers: int, days: int, holdout_weeks: int, seed: int, guest_checkouts: float
) -> None:
    import secrets
    from datetime import UTC, timedelta

    import psycopg

    from activities import child_process
    from activities.customers import pipeline as acts
    from db.app_settings import set_setting
    from db.engine import dispose_engines, session_scope
    from workflows.customers import (
        CUSTOMER_PHASES,
        ChunkRequest,
        FinishRequest,
        StartRunRequest,
    )

    seed_s = seed_in_child(_seed, url, customers, days, seed, guest_checkouts)
    with psycopg.connect(url) as conn:
        orders_n, guest_n, end = conn.execute(
            "SELECT count(*), count(*) FILTER (WHERE customer_guid IS NULL), max(created_at) "
            "FROM orders_all"
        ).fetchone()
        accounts = conn.execute("SELECT count(*) FROM customers").fetchone()[0]
    end += timedelta(seconds=1)
    print(
        f"seeded customers={customers} order_rows={orders_n} guest_order_rows={guest_n} "
        f"customer_rows={accounts} guest_checkouts={guest_checkouts} days={days} "
        f"seed_s={seed_s:.1f}"
    )
    async with session_scope() as session:
        await set_setting(session, "analytics.customers.holdout_weeks", holdout_weeks)

    baseline_s, _ = stream_query(
        url,
        "SELECT coalesce(customer_guid::text, email), min(created_at), max(created_at), "
        "count(*), sum(total_with_vat) FROM orders_all WHERE shop_id = 1 AND NOT cancelled "
        "GROUP BY 1",
        20_000,
    )

    lap = Laps()
    run = await acts.start_customer_run(
        StartRunRequest(
            1,
            "manual",
            "bench:customers:1",
            secrets.token_hex(8),
            end.astimezone(UTC).isoformat(),
        )
    )
    await dispose_engines()
    lap("start")
    prices = acts.estimate_price_sensitivity(run)
    lap("prices")
    chunks = 0
    for phase in CUSTOMER_PHASES:
        after = None
        while True:
            chunk = acts.summarise_customer_chunk(ChunkRequest(run, phase, after))
            chunks += 1
            if chunk.last_key is None:
                break
            after = chunk.last_key
    lap("summarise")
    fit = acts.fit_customer_models(run)
    lap("fit_and_store")
    rules = acts.mine_item_rules(run)
    lap("rules")
    await acts.finish_customer_run(FinishRequest(run.report_id, fit.status, fit.message))
    await dispose_engines()
    lap("finish")
    total_s = lap.total
    with psycopg.connect(url) as conn:
        stored = conn.execute("SELECT count(*) FROM customer_metrics WHERE shop_id = 1").fetchone()
        report = conn.execute(
            "SELECT chosen_model, holdout_mae, baseline_mae, beats_baseline, auc_p_alive, seconds "
            "FROM customer_model_reports WHERE id = %s",
            (run.report_id,),
        ).fetchone()
    assert stored is not None and report is not None
    model, mae, baseline_mae, beats, auc_alive, seconds = report
    self_peak = peak_rss_mb()
    child_peak = max(child_process.CHILD_PEAK_RSS_MB.values(), default=0.0)
    print(
        f"run status={fit.status} chosen={model} customers_total={run.customers_total} "
        f"stored_metrics={stored[0]} chunks={chunks} holdout_mae={mae} baseline_mae={baseline_mae} "
        f"beats_baseline={beats} auc_p_alive={auc_alive} rules={rules.rules} bundles={rules.bundles} "
        f"products={prices.products} elasticities_estimated={prices.estimated}"
    )
    print(lap.line(2))
    print("fit_stages_s " + " ".join(f"{k}={v:.2f}" for k, v in (seconds or {}).items()))
    print(
        f"baseline sql_groupby_stream_s={baseline_s:.2f} "
        f"pipeline_vs_groupby_time_ratio={total_s / baseline_s:.1f} "
        f"peak_rss_worker_mb={self_peak:.0f} peak_rss_child_mb={child_peak:.0f}"
    )
    print(
        f"customers_per_s={run.customers_total / total_s:.0f} "
        f"fit_s={(seconds or {}).get('fit', float('nan')):.2f} "
        f"peak_rss_mb={max(self_peak, child_peak):.0f}"
    )


def _seed(url: str, customers: int, days: int, seed: int, guest_checkouts: float) -> None:
    import psycopg

    from tests.customers.seed import copy_customers, copy_orders, simulated_orders

    orders = simulated_orders(1, customers, seed=seed, days=days, guest_checkouts=guest_checkouts)
    with psycopg.connect(url) as conn:
        conn.execute(BENCH_SHOP)
        archive_before = orders["created_at"].min() + pd.Timedelta(days=90)
        copy_orders(conn, 1, orders, archive_before=archive_before)
        if guest_checkouts > 0:
            copy_customers(conn, 1, customers)
        conn.execute("ANALYZE")


# --e2e ------------------------------------------------------------------------------------------

# a seeded purchase's lines besides its products: one shipping and one billing row
SERVICE_ROWS = 2
VAT_RATE = 21.0


def run_e2e(
    customers: int,
    days: int,
    holdout_weeks: int,
    seed: int,
    guest_checkouts: float,
    items_per_order: float,
    database: str | None,
    keep: bool,
) -> str:
    """Seed (or reuse `database`), run CustomerAnalyticsWorkflow through Temporal and a worker
    process, print the figures; returns the last line."""
    import contextlib
    import os
    import tempfile
    from pathlib import Path

    import psycopg

    if database is not None:
        url = database.replace("postgresql+psycopg://", "postgresql://")
        os.environ["DATABASE_URL"] = url.replace("postgresql://", "postgresql+psycopg://")
        os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/9")
        source: contextlib.AbstractContextManager[str] = contextlib.nullcontext(url)
    else:
        source = scratch_database("shopops_bench_customers", keep)
    with source as url, tempfile.TemporaryDirectory(prefix="shopops-customers-e2e-") as tmp:
        if database is None:
            seed_s = seed_in_child(
                _seed_e2e, url, customers, days, seed, guest_checkouts, items_per_order
            )
            print(f"seeded in {seed_s:.1f} s", flush=True)
        with psycopg.connect(url, autocommit=True) as conn:
            row = conn.execute(
                "SELECT shop_id, count(*), max(created_at) FROM orders_all "
                "GROUP BY 1 ORDER BY 2 DESC LIMIT 1"
            ).fetchone()
            if row is None:
                raise SystemExit(f"{url} holds no orders")
            shop_id, orders_n, end = row
            items_n = conn.execute(
                "SELECT count(*) FROM order_items_all WHERE shop_id = %s", (shop_id,)
            ).fetchone()[0]  # type: ignore[index]
        print(f"shop={shop_id} orders={orders_n} items={items_n} end={end}", flush=True)
        import asyncio

        asyncio.run(_set_holdout(holdout_weeks))
        baseline_s, baseline_rows = stream_query(
            url,
            "SELECT coalesce(customer_guid::text, lower(btrim(email))), min(created_at), "
            "max(created_at), count(*), sum(total_with_vat) FROM orders_all "
            f"WHERE shop_id = {int(shop_id)} AND NOT cancelled GROUP BY 1",
            20_000,
        )
        print(f"baseline sql_groupby_stream_s={baseline_s:.2f} rows={baseline_rows}", flush=True)
        logs = Path(tmp) / "logs"
        logs.mkdir()
        print(f"logs in {logs}", flush=True)
        outcome = asyncio.run(_run_workflow(url, logs, shop_id, end))
    wall_s = outcome["wall_s"]
    for name, (calls, seconds) in outcome["activities"].items():
        print(f"activity {name} calls={calls} s={seconds:.2f}", flush=True)
    print(
        "fit_stages_s "
        + " ".join(f"{k}={v:.2f}" for k, v in (outcome["fit_seconds"] or {}).items()),
        flush=True,
    )
    print(f"result {outcome['result']}", flush=True)
    print(f"worker memory at its peak: {outcome['peak_parts']}", flush=True)
    return (
        f"customers={outcome['result'].customers} orders={orders_n} items={items_n} "
        f"wall_s={wall_s:.1f} ratio={wall_s / baseline_s:.1f} "
        f"peak_worker_rss_mb={outcome['peak_rss'] / 2**20:.0f}"
    )


async def _set_holdout(holdout_weeks: int) -> None:
    from db.app_settings import set_setting
    from db.engine import dispose_engines, session_scope

    async with session_scope() as session:
        await set_setting(session, "analytics.customers.holdout_weeks", holdout_weeks)
    await dispose_engines()


async def _run_workflow(url: str, logs: Any, shop_id: int, end: Any) -> dict[str, Any]:
    """The workflow on a dev server with an analytics worker process; its history's activity
    seconds, its result, wall time and the worker's peak RSS (with its children)."""
    import os
    import sys
    from datetime import UTC, timedelta
    from pathlib import Path

    import psycopg
    from temporalio.client import Client

    from bench.snapshot_e2e import (
        Services,
        activity_seconds,
        free_port,
        port_open,
        wait_until,
        watch_until_closed,
        worker_polling,
    )
    from workflows import search_attributes
    from workflows.customers import (
        RUN_KIND,
        CustomerAnalyticsRequest,
        CustomerAnalyticsWorkflow,
        workflow_id,
    )
    from workflows.queues import Queue
    from workflows.search_attributes import dev_server_flags

    bin_dir = Path(sys.executable).parent
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": url.replace("postgresql://", "postgresql+psycopg://"),
        "TEMPORAL_ADDRESS": f"127.0.0.1:{port}",
        "LOG_LEVEL": "WARNING",
    }
    services = Services(logs, env)
    try:
        services.start(
            "temporal",
            [
                str(bin_dir / "temporal"), "server", "start-dev", "--ip", "127.0.0.1",
                "--port", str(port), "--headless", "--log-level", "error", *dev_server_flags(),
            ],
        )  # fmt: skip
        wait_until(services, "the Temporal dev server", lambda: port_open(port))
        worker = services.start(
            "analytics-worker",
            [str(bin_dir / "shopops"), "worker", "--no-schedules", f"--queue={Queue.ANALYTICS}"],
        )
        client = await Client.connect(env["TEMPORAL_ADDRESS"])
        await worker_polling(client, Queue.ANALYTICS.value, services)
        as_of = (end + timedelta(seconds=1)).astimezone(UTC).isoformat()
        handle = await client.start_workflow(
            CustomerAnalyticsWorkflow.run,
            CustomerAnalyticsRequest(shop_id, "manual", as_of=as_of),
            id=workflow_id(shop_id),
            task_queue=Queue.ANALYTICS.value,
            search_attributes=search_attributes.for_run(RUN_KIND, shop_id),
        )
        print(f"workflow {handle.id} running", flush=True)
        watch, outcome, desc = await watch_until_closed(handle, worker.pid, services)
        activities = await activity_seconds(handle)
    finally:
        services.stop()
    with psycopg.connect(url, autocommit=True) as conn:
        fit_seconds = conn.execute(
            "SELECT seconds FROM customer_model_reports WHERE id = %s", (outcome.report_id,)
        ).fetchone()
    return {
        "wall_s": (desc.close_time - desc.start_time).total_seconds(),
        "activities": activities,
        "fit_seconds": fit_seconds[0] if fit_seconds else None,
        "result": outcome,
        "peak_rss": watch.peak_rss,
        "peak_parts": ", ".join(
            f"{name} {rss / 2**20:.0f} MB" for name, rss in watch.peak_parts.items()
        ),
    }


def _seed_e2e(
    url: str, customers: int, days: int, seed: int, guest_checkouts: float, items_per_order: float
) -> None:
    """The simulated orders (as `--from-db`), their items in the seed's shape, written a block
    of orders at a time (memory stays that of the order table)."""
    import psycopg

    from tests.customers.seed import copy_customers, copy_orders, simulated_orders

    orders = simulated_orders(1, customers, seed=seed, days=days, guest_checkouts=guest_checkouts)
    archive_before = orders["created_at"].min() + pd.Timedelta(days=90)
    rng = np.random.default_rng(seed + 1)
    products = max(40, len(orders) // 1000)
    base = np.round(rng.uniform(5, 200, products), 2)
    with psycopg.connect(url) as conn:
        conn.execute(BENCH_SHOP)
        copy_orders(conn, 1, orders, archive_before=archive_before, items=False)
        if guest_checkouts > 0:
            copy_customers(conn, 1, customers)
        purchases = orders.loc[orders["total"] >= 0, ["code", "created_at"]]
        old = (purchases["created_at"] < archive_before).to_numpy()
        for table, part in (("order_items_archive", old), ("order_items", ~old)):
            rows = purchases.loc[part]
            for lo in range(0, len(rows), 100_000):
                block = rows.iloc[lo : lo + 100_000]
                _copy_frame(conn, table, _items(block, base, items_per_order, rng))
        conn.commit()
        conn.execute("ANALYZE")


def _items(
    orders: pd.DataFrame, base: np.ndarray, items_per_order: float, rng: np.random.Generator
) -> pd.DataFrame:
    """Item rows of `orders` (code, created_at): products (a pair structure for the rules, a
    sale price in a product's sale weeks, a purchase price), a coupon on 10 % of orders, and a
    shipping and a billing row each."""
    n = len(orders)
    mean_products = max(1.0, items_per_order - SERVICE_ROWS)
    count = 1 + rng.poisson(mean_products - 1, n)
    coupon = rng.random(n) < 0.1
    # a coupon line counts toward the rows per order: fewer products on those orders
    count = np.maximum(1, count - coupon.astype(int))
    order = np.repeat(np.arange(n), count)
    line = np.arange(len(order)) - np.repeat(np.cumsum(count) - count, count)
    first = rng.integers(0, len(base), n)
    product = np.where(
        line == 0,
        first[order],
        np.where(line == 1, first[order] ^ 1, rng.integers(0, len(base), len(order))),
    )
    product = np.minimum(product, len(base) - 1)
    created = pd.to_datetime(orders["created_at"].to_numpy()[order], utc=True)
    week = created.asi8 // (7 * 86_400 * 10**9)
    on_sale = (week * 7919 + product * 104729) % 10 < 2  # a fifth of product-weeks
    price = np.round(base[product] * np.where(on_sale, 0.8, 1.0), 2)
    products = pd.DataFrame(
        {
            "order_code": orders["code"].to_numpy()[order],
            "item_id": line + 1,
            "created_at": created,
            "item_type": "product",
            "code": [f"P{p:05d}" for p in product],
            "name": [f"Product {p}" for p in product],
            "amount": 1,
            "unit_price_with_vat": price,
            "price_with_vat": price,
            "vat_rate": VAT_RATE,
            "purchase_price": np.round(base[product] * 0.6, 2),
        }
    )
    codes = orders["code"].to_numpy()
    when = pd.to_datetime(orders["created_at"].to_numpy(), utc=True)
    services = [
        pd.DataFrame(
            {
                "order_code": codes,
                "item_id": 1000 + k,
                "created_at": when,
                "item_type": kind,
                "code": None,
                "name": kind,
                "amount": 1,
                "unit_price_with_vat": price_each,
                "price_with_vat": price_each,
                "vat_rate": VAT_RATE,
                "purchase_price": None,
            }
        )
        for k, (kind, price_each) in enumerate((("shipping", 4.9), ("billing", 0.0)))
    ]
    coupons = pd.DataFrame(
        {
            "order_code": codes[coupon],
            "item_id": 2000,
            "created_at": when[coupon],
            "item_type": "discount-coupon",
            "code": None,
            "name": "coupon",
            "amount": 1,
            "unit_price_with_vat": -5.0,
            "price_with_vat": -5.0,
            "vat_rate": VAT_RATE,
            "purchase_price": None,
        }
    )
    frame = pd.concat([products, *services, coupons], ignore_index=True)
    frame.insert(0, "shop_id", 1)
    return frame


def _copy_frame(conn: Any, table: str, frame: pd.DataFrame) -> None:
    import io

    columns = ", ".join(frame.columns)
    with (
        conn.cursor() as cur,
        cur.copy(f"COPY {table} ({columns}) FROM STDIN (FORMAT csv)") as copy,
    ):
        buffer = io.StringIO()
        frame.to_csv(buffer, header=False, index=False)
        copy.write(buffer.getvalue())


if __name__ == "__main__":
    pd.set_option("mode.copy_on_write", True)
    main()
