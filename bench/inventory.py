"""Inventory forecasting at assortment scale: batch forecasts, backtest selection and reorder maths.

    python -m bench.inventory --variants 10000

Simulates two years of daily demand for N variants, a quarter each smooth, erratic, intermittent
and lumpy, with weekly seasonality on most fast movers, Czech holidays, Black Friday and the
pre-Christmas rush, and stock-out episodes whose days are censored (NaN). The last `--horizon`
days are held out with their true demand. Timed: `forecast_many` (classification, calendar
effects, seasonality tests, rolling-origin backtest of the candidates, final fits with 80 %
intervals) plus the reorder point and EOQ of every variant. The baseline, measured on the same
holdout, is the seasonal naive forecast from the same prepared history; `mase_vs_naive` is the mean
MASE of the models over the mean MASE of seasonal naive across variants (MASE is scale-free, so
the means are comparable; a mean of per-variant ratios would be dominated by slow movers whose
naive error happens to be near zero). Below 1 when the models beat seasonal naive.
`--jobs` (default: every core) processes forecast the chunks. The last line is
`variants_per_s=<x> mase_vs_naive=<ratio> peak_rss_mb=<m> variants_per_cpu_s=<c> load1=<l>`:
on a shared machine the CPU-normalised rate (this process and its pool) is the comparable one.

    python -m bench.inventory --variants 10000 --from-db

`--from-db` runs the real activity path instead: the simulated shop (orders and items, the
oldest quarter in the archive tables, change-only stock history, today's stock, two suppliers)
is COPYed into a scratch database by a separate process, then the workflow's activities run in
order without Temporal: start, stock snapshot, every chunk of variants read with SQL and
forecast in its child process, the purchase plan (MILP) in its child, notifications, finish.
Its baseline is the cheapest pass over the same demand in PostgreSQL: one GROUP BY per variant
and local day streamed through a server-side cursor. `mase_vs_naive` is then the run report's
relative MASE (backtest of the chosen models against seasonal naive, as stored for the UI), and
peak RSS the largest of this process and the child processes.

    python -m bench.inventory --variants 2000 --from-db --open-orders 0.3

`--open-orders SHARE` also places three open purchase orders (due in 2, 10 and 25 days) with
lines for about SHARE of the variants, so the run nets stock on order and checks the orders for
arriving after the shelf runs empty (late_purchase_order anomalies).

    python -m bench.inventory --variants 10000 --e2e [--keep | --database URL]

`--e2e` runs the real InventoryWorkflow for the seeded shop on a Temporal dev server with a
`shopops worker` process for the analytics queue, and compares its rate with `forecast_many`
in memory over the same series in the same run (bench.inventory_e2e documents the figures).
"""

from __future__ import annotations

import argparse
import os
import resource
import time
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from activities.inventory.analytics import (
    demand_per_period,
    eoq,
    forecast_accuracy,
    forecast_many,
    reorder_point,
    shopping_calendar,
)
from bench.common import (
    BENCH_SHOP,
    Laps,
    peak_rss_mb,
    scratch_database,
    seed_in_child,
    stream_query,
)

if TYPE_CHECKING:
    import psycopg

    from tests.inventory.seed import Simulation

CLASSES = ("smooth", "erratic", "intermittent", "lumpy")
EFFECTS = {"public_holiday": 0.7, "black_friday": 2.5, "pre_christmas": 1.6, "christmas": 0.5}


def simulate_demand(
    n_variants: int, days: int, rng: np.random.Generator, end: str = "2025-12-31"
) -> tuple[pd.DataFrame, np.ndarray]:
    """True daily demand (days × variants) and the intended class of each variant."""
    periods = pd.period_range(end=end, periods=days, freq="D", name="period")
    calendar = shopping_calendar(periods, "CZ")
    lift = np.ones(days)
    for event, effect in EFFECTS.items():
        lift *= 1 + calendar[event].to_numpy() * (effect - 1)
    kind = np.array(CLASSES)[np.arange(n_variants) % 4]
    demand = np.empty((days, n_variants))
    for start in range(0, n_variants, 1000):  # in blocks, so temporaries stay small
        block = slice(start, min(start + 1000, n_variants))
        demand[:, block] = _simulate_block(kind[block], lift, rng)
    columns = [f"V{i:05d}" for i in range(n_variants)]
    return pd.DataFrame(demand, index=periods, columns=columns), kind


def _simulate_block(kind: np.ndarray, lift: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    days, n = len(lift), len(kind)
    t = np.arange(days)[:, None]
    fast = np.isin(kind, ["smooth", "erratic"])
    level = np.where(fast, rng.lognormal(np.log(12), 0.8, n), rng.lognormal(np.log(3), 0.5, n))
    weekly = rng.uniform(0.0, 0.5, n) * (rng.random(n) < 0.7)
    phase = rng.uniform(0, 2 * np.pi, n)
    trend = 1 + rng.normal(0, 0.15, n) * t / days
    shape = np.maximum(level * (1 + weekly * np.sin(2 * np.pi * t / 7 + phase)) * trend, 0.01)
    shape *= lift[:, None]
    demand = np.where(
        kind == "smooth",
        rng.poisson(shape),
        rng.poisson(rng.gamma(1.0, shape)),  # erratic: every day, sizes with CV² ≈ 1
    ).astype(float)
    occurs = rng.uniform(0.05, 0.4, n)  # probability of a demand day
    happens = rng.random((days, n)) < np.minimum(occurs * shape / level, 0.95)
    size = np.where(
        kind == "lumpy",
        np.ceil(rng.lognormal(np.log(level), 1.0, (days, n))),
        1 + rng.poisson(np.maximum(level - 0.5, 0.0), (days, n)),
    )
    return np.where(fast, demand, happens * size)


def censor_stockouts(demand: pd.DataFrame, rng: np.random.Generator, until: int) -> pd.DataFrame:
    """Stock-out episodes (3–15 days) on a third of the variants before `until`; NaN = censored."""
    values = demand.to_numpy().copy()
    n = values.shape[1]
    for j in np.flatnonzero(rng.random(n) < 1 / 3):
        for _ in range(rng.integers(1, 4)):
            start = rng.integers(0, until - 15)
            values[start : start + rng.integers(3, 16), j] = np.nan
    return pd.DataFrame(values, index=demand.index, columns=demand.columns)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=730, help="history length including holdout")
    parser.add_argument("--horizon", type=int, default=28, help="forecast and holdout days")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument(
        "--jobs", type=int, default=os.cpu_count() or 1, help="processes (default: every core)"
    )
    parser.add_argument("--end", default="2025-10-31", help="last simulated day (holdout end)")
    parser.add_argument(
        "--from-db", action="store_true", help="run the activity path on PostgreSQL"
    )
    parser.add_argument(
        "--open-orders",
        type=float,
        default=0.0,
        help="with --from-db: share of variants on open purchase orders",
    )
    parser.add_argument(
        "--e2e",
        action="store_true",
        help="the real InventoryWorkflow on Temporal and worker processes (bench.inventory_e2e)",
    )
    parser.add_argument(
        "--database", help="with --e2e: a seeded database URL to reuse (nothing seeded or dropped)"
    )
    parser.add_argument(
        "--keep", action="store_true", help="with --e2e: keep the seeded database (URL printed)"
    )
    parser.add_argument(
        "--demand-scale", type=float, default=1.0,
        help="with --e2e: keep each unit of simulated demand with this probability (0.015 makes "
        "100 000 variants about the seed's 8.2 M order items: a large catalogue's long tail)",
    )
    args = parser.parse_args()
    if args.e2e:
        from bench import inventory_e2e

        inventory_e2e.main(args.variants, args.days, args.seed, args.database, args.keep, args.demand_scale)
        return
    if args.from_db:
        run_from_db(args.variants, args.days, args.seed, args.open_orders)
        return

    rng = np.random.default_rng(args.seed)
    truth, kind = simulate_demand(args.variants, args.days, rng, end=args.end)
    observed = censor_stockouts(truth, rng, until=args.days - args.horizon)
    history, holdout = observed.iloc[: -args.horizon], truth.iloc[-args.horizon :]
    censored = int(history.isna().to_numpy().sum())
    print(
        f"simulated variants={args.variants} days={len(history)} horizon={args.horizon} "
        f"censored_days={censored}"
    )

    started, cpu_started = time.perf_counter(), cpu_seconds()
    batch = forecast_many(history, args.horizon, n_jobs=args.jobs)
    forecast_s = time.perf_counter() - started
    rate = demand_per_period(batch)
    lead = rng.uniform(3, 21, len(rate))
    policy = reorder_point(rate["mean_demand"], rate["sd_demand"], lead, lead * 0.25, 0.95)
    quantities = [
        eoq(max(d * 365, 1e-6), 40.0, 0.25, 100.0, moq=5, pack_size=5).quantity
        for d in rate["mean_demand"].to_numpy()
    ]
    elapsed = time.perf_counter() - started
    cpu_s = cpu_seconds() - cpu_started
    peak_mb = peak_rss_mb()

    accuracy = forecast_accuracy(holdout, batch.forecasts, history)
    scored = accuracy[["mase", "naive_mase"]].replace([np.inf, -np.inf], np.nan).dropna()
    summary = batch.summary.assign(simulated=kind)
    by_class = {
        c: round(relative_mase(scored.reindex(summary.index[kind == c]).dropna()), 3)
        for c in CLASSES
    }
    per_variant = accuracy["relative_mae"].replace([np.inf, -np.inf], np.nan).dropna()
    print(
        f"forecast_s={forecast_s:.1f} reorder_and_eoq_s={elapsed - forecast_s:.1f} "
        f"cpu_s={cpu_s:.1f} jobs={args.jobs} (this process and its pool; wall × jobs > cpu "
        f"when other processes share the cores) load={open_load()}"
    )
    print(f"class_matches_simulated={summary['pattern'].eq(summary['simulated']).mean():.3f}")
    print("models:", summary["model"].value_counts().to_dict())
    print("mase_vs_naive by simulated class:", by_class)
    print(
        f"mean MASE model={scored['mase'].mean():.3f} naive={scored['naive_mase'].mean():.3f} "
        f"over {len(scored)} variants; median per-variant MAE ratio={per_variant.median():.3f}; "
        f"mean safety stock={float(np.mean(policy.safety_stock)):.1f}, "
        f"median EOQ={float(np.median(quantities)):.0f}"
    )
    print(
        f"variants_per_s={args.variants / elapsed:.2f} mase_vs_naive={relative_mase(scored):.3f} "
        f"peak_rss_mb={peak_mb:.0f} variants_per_cpu_s={args.variants / cpu_s:.1f} "
        f"load1={open_load().split()[0]}"
    )


def cpu_seconds() -> float:
    """CPU time of this process and its reaped children (the forecast pool's processes)."""
    own, children = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def open_load() -> str:
    """The 1, 5 and 15 minute load averages (the machine is shared: figures need them)."""
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def relative_mase(scored: pd.DataFrame) -> float:
    """Mean MASE of the models over mean MASE of seasonal naive (M4-style relative MASE)."""
    return float(scored["mase"].mean() / scored["naive_mase"].mean())


def run_from_db(variants: int, days: int, seed: int, open_orders: float = 0.0) -> None:
    """Seed a scratch database, run the workflow's activities on it, print the figures."""
    import asyncio

    import psycopg

    with scratch_database("shopops_bench_inventory") as url:
        seed_s = seed_in_child(_seed, url, variants, days, seed, open_orders)
        with psycopg.connect(url) as conn:
            counts = conn.execute(
                "SELECT (SELECT count(*) FROM order_items_all), "
                "(SELECT count(*) FROM stock_history), (SELECT count(*) FROM supplier_offers), "
                "(SELECT count(*) FROM purchase_order_lines)"
            ).fetchone()
        print(
            f"seeded variants={variants} days={days} order_items={counts[0]} "
            f"stock_history_rows={counts[1]} offers={counts[2]} "
            f"purchase_order_lines={counts[3]} seed_s={seed_s:.1f}"
        )
        asyncio.run(_bench_db(url, variants))


def _seed(url: str, variants: int, days: int, seed: int, open_orders: float = 0.0) -> None:
    import psycopg

    from tests.inventory.seed import copy_shop, simulate_shop, yesterday

    sim = simulate_shop(variants, days, yesterday(), seed)
    with psycopg.connect(url) as conn:
        conn.execute(BENCH_SHOP)
        copy_shop(conn, 1, sim, archive_days=90, partitions=True, seed=seed)
        if open_orders > 0:
            _seed_open_orders(conn, sim, open_orders, np.random.default_rng(seed))
        conn.commit()
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE")


def _seed_open_orders(
    conn: psycopg.Connection, sim: Simulation, share: float, rng: np.random.Generator
) -> None:
    """Three open purchase orders (due in 2, 10 and 25 days), each with lines for half of the
    chosen `share` of variants, about two weeks of their recent demand each."""
    from tests.inventory.seed import copy

    n = len(sim.codes)
    chosen = rng.random(n) < share
    units = np.ceil(sim.demand[-60:].mean(axis=0) * 14) + 1
    for days in (2, 10, 25):
        row = conn.execute(
            "INSERT INTO purchase_orders (shop_id, status, expected_at) "
            "VALUES (1, 'open', now() + make_interval(days => %s)) RETURNING id",
            (days,),
        ).fetchone()
        assert row is not None
        order_id = row[0]
        on = np.flatnonzero(chosen & (rng.random(n) < 0.5))
        lines = pd.DataFrame(
            {
                "purchase_order_id": order_id,
                "shop_id": 1,
                "variant_code": np.asarray(sim.codes)[on],
                "quantity": units[on],
            }
        )
        copy(conn, "purchase_order_lines", lines)


async def _bench_db(url: str, variants: int) -> None:
    import secrets
    from datetime import UTC, datetime

    import psycopg

    from activities import child_process
    from activities.inventory import planning as acts
    from db.engine import dispose_engines
    from workflows.inventory import ChunkRequest, FinishRequest, StartRunRequest

    baseline_s, baseline_rows = stream_query(
        url,
        "SELECT code, (created_at AT TIME ZONE 'Europe/Prague')::date, sum(amount) "
        "FROM order_items_all WHERE shop_id = 1 AND item_type = 'product' GROUP BY 1, 2",
        50_000,
        settings=["SET LOCAL cursor_tuple_fraction = 1.0"],
    )

    lap = Laps()
    run = await acts.start_inventory_run(
        StartRunRequest(1, "manual", "bench:inventory:1", secrets.token_hex(8), datetime.now(UTC))
    )
    await dispose_engines()
    lap("start")
    stock_rows = acts.snapshot_stock(run)
    lap("snapshot")
    after, chunks, child_peak, compute_s = None, 0, 0.0, 0.0
    while True:
        chunk = acts.forecast_inventory_chunk(ChunkRequest(run, after))
        chunks += 1
        compute_s += chunk.seconds
        child_peak = max(child_peak, child_process.CHILD_PEAK_RSS_MB.get("forecast_and_store", 0))
        if chunk.last_code is None:
            break
        after = chunk.last_code
    lap("forecast_chunks")
    plan = acts.plan_inventory_purchases(run)
    child_peak = max(child_peak, child_process.CHILD_PEAK_RSS_MB.get("plan_and_store", 0))
    lap("purchase_plan")
    notified = await acts.notify_inventory_anomalies(run)
    await acts.finish_inventory_run(FinishRequest(run.id, "completed", plan.message, compute_s))
    await dispose_engines()
    lap("notify_and_finish")
    total_s = lap.total
    with psycopg.connect(url) as conn:
        report = conn.execute(
            "SELECT variants_forecast, mase, naive_mase, relative_mase, beats_naive_share, models, "
            "recommendations, recommended_cost, anomalies_new, plan FROM inventory_runs "
            "WHERE id = %s",
            (run.id,),
        ).fetchone()
        forecasts = conn.execute("SELECT count(*) FROM inventory_forecasts").fetchone()
    assert report is not None and forecasts is not None
    forecast, mase, naive, relative, beats, models, recs, cost, anomalies, plan_info = report
    self_peak = peak_rss_mb()
    print(
        f"run variants_total={run.variants_total} forecast={forecast} chunks={chunks} "
        f"stock_rows_written={stock_rows} forecast_rows={forecasts[0]} recommendations={recs} "
        f"recommended_cost={cost} anomalies={anomalies} notifications={notified} "
        f"plan_solve_s={plan_info.get('seconds')}"
    )
    print(
        f"accuracy mase={mase:.3f} naive_mase={naive:.3f} beats_naive_share={beats:.3f} "
        f"models={models}"
    )
    print(lap.line(1))
    print(
        f"baseline sql_groupby_stream_s={baseline_s:.1f} rows={baseline_rows} "
        f"pipeline_vs_groupby_time_ratio={total_s / baseline_s:.1f} "
        f"forecast_compute_s={compute_s:.1f} peak_rss_bench_mb={self_peak:.0f} "
        f"peak_rss_child_mb={child_peak:.0f}"
    )
    print(
        f"variants_per_s={variants / total_s:.2f} mase_vs_naive={relative:.3f} "
        f"peak_rss_mb={max(self_peak, child_peak):.0f}"
    )


if __name__ == "__main__":
    main()
