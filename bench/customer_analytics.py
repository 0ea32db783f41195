"""Customer analytics at shop scale: summary, model selection, scoring and segments for N customers.

    python -m bench.customer_analytics --customers 200000

Simulates two years of orders of a BG/NBD shop with Gamma-Gamma order values and 2 % refunds,
then times `analyse_customers` (summary of calibration and full history, fit of the three
transaction models with holdout scoring, refit of the winner and Gamma-Gamma, scoring of every
customer with CLV, churn risk and segment). The baseline is the cheapest possible pass over the
same orders: one pandas groupby computing each customer's first and last order, count and spend.
The last line is `customers_per_s=<x> fit_s=<y> peak_rss_mb=<m>`.
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np
import pandas as pd
import psutil

from activities.analytics.customer_simulation import simulate_transactions
from activities.analytics.customers import analyse_customers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=200_000)
    parser.add_argument("--days", type=int, default=730, help="length of the order history")
    parser.add_argument("--holdout-weeks", type=int, default=26)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    rng = np.random.default_rng(args.seed)
    orders = simulate_transactions(args.customers, days=args.days, rng=rng)
    end = orders["created_at"].max()
    rss_before = psutil.Process().memory_info().rss / 2**20
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
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
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

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
        f"fit_s={analysis.seconds['fit']:.2f} peak_rss_mb={peak_rss_mb:.0f}"
    )


if __name__ == "__main__":
    pd.set_option("mode.copy_on_write", True)
    main()
