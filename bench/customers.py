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
"""

from __future__ import annotations

import argparse
import time

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
    args = parser.parse_args()
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


if __name__ == "__main__":
    pd.set_option("mode.copy_on_write", True)
    main()
