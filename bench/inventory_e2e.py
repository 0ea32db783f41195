"""The nightly inventory planning end to end: the real InventoryWorkflow on Temporal and worker
processes, on a database seeded with a simulated catalogue (`python -m bench.inventory --e2e`).

A scratch database is seeded in a separate process (tests.inventory.seed: the in-memory
bench's smooth, erratic, intermittent and lumpy series with weekly patterns and calendar
effects, a tenth of them dying out over the last year, stock-outs that censor days; two years
of sales as orders and items, change-only stock history, two suppliers; all COPY). Then a
Temporal dev server and an analytics worker (`shopops worker --no-schedules
--queue=shopops-analytics`, as deployed) start, the shop's InventoryWorkflow runs, and this
process samples the worker's resident memory with its children (each chunk's child process and
its forecast pool) while it runs. Per-step seconds come from the workflow's history (each
activity's started → completed time, summed per activity type).

The baseline, in the same run, on the same series: `forecast_many` over the simulated sales
(stock-out days censored) in memory, in a spawned process with every core (the in-memory
bench's path): its variants/s, against which the run's rate is a ratio.

`mase_vs_naive` is the mean backtest MASE of the chosen models over the mean MASE of seasonal
naive across the variants stored in `inventory_variant_metrics` by the run (as the in-memory
bench and the run report compute it). Last line:
variants=<n> wall_s=<t> variants_per_s=<x> extrapolated_100k_s=<s> ratio_vs_in_memory=<r>
peak_worker_rss_mb=<m> mase_vs_naive=<q> load1=<l>
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

import psycopg

from bench.common import BENCH_SHOP, scratch_database, seed_in_child
from bench.snapshot_e2e import (
    BIN,
    Services,
    Watch,
    activity_seconds,
    free_port,
    port_open,
    wait_until,
    watch_until_closed,
    worker_polling,
)

SHOP_ID = 1
TZ = "Europe/Prague"  # the seeded shop's time zone (tests.inventory.seed)
DYING_SHARE = 0.1
SAMPLE_EVERY = 0.5  # seconds between RSS samples of the worker and its children
CATALOGUE = 100_000  # the catalogue: the run's time extrapolated to it


def seed(url: str, variants: int, days: int, seed_value: int, scale: float = 1.0) -> None:
    """The simulated shop COPYed into `url` (runs in a child process)."""
    from tests.inventory.seed import copy_shop, simulate_shop, yesterday

    sim = simulate_shop(variants, days, yesterday(), seed_value, dying=DYING_SHARE, scale=scale)
    with psycopg.connect(url) as conn:
        conn.execute(BENCH_SHOP)
        copy_shop(conn, SHOP_ID, sim, archive_days=90, partitions=True, seed=seed_value)
        conn.commit()
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE")


def in_memory_baseline(
    variants: int, days: int, seed_value: int, as_of: date, out: Any, jobs: int, scale: float = 1.0
) -> None:
    """forecast_many over the same simulated sales in memory (child process): puts
    (seconds, variants forecast, relative backtest MASE) on `out`."""
    import numpy as np
    import pandas as pd

    from activities.inventory.analytics import forecast_many
    from tests.inventory.seed import simulate_shop

    sim = simulate_shop(variants, days, as_of, seed_value, dying=DYING_SHARE, scale=scale)
    # the run's history ends the day before the workflow starts (the seeded `as_of` is
    # yesterday); stock-out days are unknown demand, as demand_history makes them
    sales = np.where(sim.censored(), np.nan, sim.sales)
    history = pd.DataFrame(sales, index=sim.days, columns=sim.codes)
    started = time.perf_counter()
    batch = forecast_many(history, 28, n_jobs=jobs)
    seconds = time.perf_counter() - started
    scored = batch.summary[["mase", "naive_mase"]].replace([np.inf, -np.inf], np.nan).dropna()
    out.put(
        (seconds, len(batch.summary), float(scored["mase"].mean() / scored["naive_mase"].mean()))
    )


def run_baseline(
    variants: int, days: int, seed_value: int, as_of: date, scale: float = 1.0
) -> tuple[float, int, float]:
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    child = context.Process(
        target=in_memory_baseline,
        args=(variants, days, seed_value, as_of, queue, os.cpu_count() or 1, scale),
    )
    child.start()
    result = queue.get()
    child.join()
    return result


async def run_workflow(
    env: dict[str, str], worker_pid: int, services: Services
) -> tuple[Watch, dict[str, Any]]:
    """Start the shop's InventoryWorkflow, sample the worker's memory until it closes; returns
    the samples and what the history says (wall seconds, per-activity seconds and counts)."""
    from temporalio.client import Client

    from workflows import search_attributes
    from workflows.inventory import RUN_KIND, InventoryRequest, InventoryWorkflow, workflow_id
    from workflows.queues import Queue

    client = await Client.connect(env["TEMPORAL_ADDRESS"])
    await worker_polling(client, Queue.ANALYTICS.value, services)
    handle = await client.start_workflow(
        InventoryWorkflow.run,
        InventoryRequest(SHOP_ID, "manual"),
        id=workflow_id(SHOP_ID),
        task_queue=Queue.ANALYTICS.value,
        search_attributes=search_attributes.for_run(RUN_KIND, SHOP_ID),
    )
    watch, outcome, desc = await watch_until_closed(handle, worker_pid, services)
    per_activity = await activity_seconds(handle)
    wall = (desc.close_time - desc.start_time).total_seconds()
    return watch, {
        "wall_s": wall,
        "seconds": {name: total for name, (_, total) in per_activity.items()},
        "counts": {name: calls for name, (calls, _) in per_activity.items()},
        "result": outcome,
    }


def stored_accuracy(url: str) -> dict[str, Any]:
    """The run's report and the relative MASE of the stored per-variant accuracy rows."""
    with psycopg.connect(url) as conn:
        run = conn.execute(
            "SELECT id, variants_total, variants_forecast, relative_mase, seconds "
            "FROM inventory_runs WHERE shop_id = %s ORDER BY id DESC LIMIT 1",
            (SHOP_ID,),
        ).fetchone()
        assert run is not None
        scored = conn.execute(
            "SELECT avg(mase), avg(naive_mase), count(*) FROM inventory_variant_metrics "
            "WHERE shop_id = %s AND run_id = %s AND mase IS NOT NULL AND naive_mase IS NOT NULL "
            "AND mase <> 'NaN' AND naive_mase <> 'NaN'",
            (SHOP_ID, run[0]),
        ).fetchone()
        assert scored is not None
        mase, naive, n = scored
        forecasts = conn.execute(
            "SELECT count(*) FROM inventory_forecasts WHERE shop_id = %s", (SHOP_ID,)
        ).fetchone()
    return {
        "run_id": run[0],
        "variants_total": run[1],
        "variants_forecast": run[2],
        "run_relative_mase": run[3],
        "run_seconds": run[4],
        "mase_vs_naive": float(mase / naive) if naive else float("nan"),
        "scored": n,
        "forecast_rows": forecasts[0] if forecasts else 0,
    }


def seeded_facts(url: str) -> tuple[int, int, date]:
    """(variants, history days, last day) of the seeded shop."""
    with psycopg.connect(url) as conn:
        variants = conn.execute(
            "SELECT count(*) FROM variants WHERE shop_id = %s", (SHOP_ID,)
        ).fetchone()
        span = conn.execute(
            "SELECT min((created_at AT TIME ZONE %s)::date), max((created_at AT TIME ZONE %s)::date) "
            "FROM orders_all WHERE shop_id = %s",
            (TZ, TZ, SHOP_ID),
        ).fetchone()
    assert variants is not None and span is not None
    return int(variants[0]), (span[1] - span[0]).days + 1, span[1]


def measure(url: str, variants: int, days: int, seed_value: int, seeded_s: float | None,
            scale: float = 1.0) -> str:
    from workflows.queues import Queue
    from workflows.search_attributes import dev_server_flags

    n, history_days, last_day = seeded_facts(url)
    print(
        f"seeded variants={n} history_days={history_days} last_day={last_day}"
        + (f" seed_s={seeded_s:.1f}" if seeded_s is not None else " (reused database)"),
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="shopops-inventory-e2e-") as tmp:
        logs = Path(tmp) / "logs"
        logs.mkdir()
        port = free_port()
        env = {
            **os.environ,
            "DATABASE_URL": url.replace("postgresql://", "postgresql+psycopg://"),
            "TEMPORAL_ADDRESS": f"127.0.0.1:{port}",
            "SHOPOPS_DATA_DIR": str(Path(tmp) / "data"),
            "TMPDIR": tmp,
            "LOG_LEVEL": "WARNING",
        }
        services = Services(logs, env)
        try:
            services.start(
                "temporal",
                [
                    str(BIN / "temporal"),
                    "server",
                    "start-dev",
                    "--ip",
                    "127.0.0.1",
                    "--port",
                    str(port),
                    "--headless",
                    "--log-level",
                    "error",
                    *dev_server_flags(),
                ],
            )
            wait_until(services, "the Temporal dev server", lambda: port_open(port))
            worker = services.start(
                "analytics-worker",
                [
                    str(BIN / "shopops"),
                    "worker",
                    "--no-schedules",
                    f"--queue={Queue.ANALYTICS.value}",
                ],
            )
            print(f"logs in {logs}; running the InventoryWorkflow", flush=True)
            watch, facts = asyncio.run(run_workflow(env, worker.pid, services))
        finally:
            services.stop()
    stored = stored_accuracy(url)
    load1 = os.getloadavg()[0]
    steps = " ".join(
        f"{name}={facts['seconds'][name]:.1f}"
        + (f"(x{facts['counts'][name]})" if facts["counts"][name] > 1 else "")
        for name in facts["seconds"]
    )
    print(f"steps_s {steps} workflow_wall_s={facts['wall_s']:.1f}", flush=True)
    print(
        f"run id={stored['run_id']} variants_total={stored['variants_total']} "
        f"forecast={stored['variants_forecast']} forecast_rows={stored['forecast_rows']} "
        f"run_seconds={stored['run_seconds']} "
        f"run_relative_mase={stored['run_relative_mase']}",
        flush=True,
    )
    parts = ", ".join(f"{name} {rss / 2**20:.0f} MB" for name, rss in watch.peak_parts.items())
    print(f"worker memory at its peak: {parts}", flush=True)

    print("baseline: forecast_many in memory over the same series ...", flush=True)
    base_s, base_n, base_mase = run_baseline(n, history_days, seed_value, last_day, scale)
    base_rate = base_n / base_s
    print(
        f"baseline in_memory_s={base_s:.1f} variants={base_n} variants_per_s={base_rate:.1f} "
        f"mase_vs_naive={base_mase:.3f} jobs={os.cpu_count()}",
        flush=True,
    )
    rate = n / facts["wall_s"]
    return (
        f"variants={n} wall_s={facts['wall_s']:.1f} variants_per_s={rate:.1f} "
        f"extrapolated_100k_s={CATALOGUE / rate:.0f} ratio_vs_in_memory={rate / base_rate:.3f} "
        f"peak_worker_rss_mb={watch.peak_rss / 2**20:.0f} "
        f"mase_vs_naive={stored['mase_vs_naive']:.3f} load1={load1:.2f}"
    )


def main(variants: int, days: int, seed_value: int, database: str | None, keep: bool,
         scale: float = 1.0) -> None:
    if database:  # reuse a seeded database: nothing seeded, nothing dropped
        os.environ["DATABASE_URL"] = database.replace("postgresql://", "postgresql+psycopg://")
        print(measure(database, variants, days, seed_value, None, scale), flush=True)
        return
    with scratch_database("shopops_inventory_e2e", keep) as url:
        seeded_s = seed_in_child(seed, url, variants, days, seed_value, scale)
        print(measure(url, variants, days, seed_value, seeded_s, scale), flush=True)
