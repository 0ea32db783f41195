"""Activities of CustomerAnalyticsWorkflow: the I/O around the pure customer analytics.

Chunks stream orders in a worker thread (psycopg releases the GIL while it waits); the fit and
the rule mining are CPU-bound, so they run in a child process (activities.child_process) while
the activity thread heartbeats with the child's progress.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities import child_process
from activities.child_process import Beat, heartbeat, run_in_child
from activities.customers.analytics import (
    CustomerAnalysis,
    NotEnoughData,
    analyse_summaries,
    association_rules,
    bundle_suggestions,
    buyer_classes,
    category_elasticities,
    cross_sell,
    product_elasticities,
    regular_prices,
    rfm_scores,
    segment,
)
from activities.customers.sql import (
    COUNT_CUSTOMERS,
    MERGE_GUEST_ORDERS,
    METRIC_COLUMNS,
    Window,
    chunk_upper_key,
    read_baskets,
    read_customer_periods,
    read_customer_profits,
    read_product_sales,
    read_summaries,
    stage_summaries,
    store_elasticities,
    store_metrics,
    store_rules,
    summarise_chunk,
    tune_chunk_session,
    update_report,
)
from activities.pg_copy import connect
from activities.shop_fan_out import nightly_plan
from activities.shop_runs import close_dead_runs
from db.app_settings import get_setting
from db.engine import session_scope
from db.models import Shop
from db.order_margins import COST_SETTINGS, CostModel
from db.tagged_cache import invalidate, shop_tag
from workflows.customers import (
    ChunkRequest,
    ChunkResult,
    CustomerRun,
    FinishRequest,
    FitOutcome,
    PriceSensitivityOutcome,
    RulesOutcome,
    StartRunRequest,
)
from workflows.shop_fan_out import NightlyPlan

FREQ = "W"  # weekly periods: the holdout setting counts weeks
EXPECTED_PURCHASES_DAYS = 90
NEXT_PURCHASE_MAX_DAYS = 3650  # a later "next purchase" is shown as none
RULES_PER_ITEM = 10
BUNDLES = 20
BUNDLE_MIN_SUPPORT = 0.001
STAGING_TABLES = ("customer_run_summaries", "customer_run_merged_orders")
NOT_RETRYABLE = frozenset({"ModelFitError", "InvalidTransactions", "ValueError"})

child_process.preload(__name__)


@activity.defn
async def plan_customer_analytics(shop_ids: list[int] | None) -> NightlyPlan:
    """The shops to analyse tonight (given ones, or every active shop) and how many at once."""
    return await nightly_plan(shop_ids, "analytics.customers.parallel_shops")


@activity.defn
async def start_customer_run(req: StartRunRequest) -> CustomerRun:
    """Record the run (idempotently, by workflow and run id), close what a dead run left, stage
    the guest orders that belong to registered customers, and count the customers so progress
    has a total."""
    async with session_scope() as session:
        shop = await session.get(Shop, req.shop_id)
        if shop is None:
            raise ApplicationError(f"shop {req.shop_id} does not exist", non_retryable=True)

        async def setting(name: str) -> int:
            return int(await get_setting(session, f"analytics.customers.{name}", shop.id))

        costs = {
            name: float(await get_setting(session, f"analytics.customers.{name}", shop.id))
            for name in COST_SETTINGS
        }

        window = Window(_utc(req.started_at), shop.timezone, FREQ, await setting("holdout_weeks"))
        ids = {"shop": shop.id, "workflow": req.workflow_id, "run": req.run_id}
        await close_dead_runs(
            session, "customer_model_reports", shop.id, req.workflow_id, req.run_id
        )
        await _clear_staging(
            session,
            "SELECT id FROM customer_model_reports WHERE shop_id = :shop AND status <> 'running'",
            ids,
        )
        counts = (
            await session.execute(
                text(
                    "SELECT count(*), count(*) FILTER (WHERE customer_guid IS NULL "
                    "AND coalesce(btrim(email), '') = ''), min(created_at), max(created_at) "
                    "FROM orders_all WHERE shop_id = :shop AND NOT cancelled AND created_at <= :end"
                ),
                {"shop": shop.id, "end": window.observation_end},
            )
        ).one()
        orders, anonymous, data_from, data_to = counts
        report_id = (
            await session.execute(
                text(
                    "INSERT INTO customer_model_reports (shop_id, workflow_id, run_id, trigger, "
                    "status, observation_end, calibration_end, freq, holdout_periods, data_from, "
                    "data_to, orders, orders_without_customer) VALUES (:shop, :workflow, :run, "
                    ":trigger, 'running', :end, :cal_end, :freq, :holdout, :data_from, :data_to, "
                    ":orders, :anonymous) ON CONFLICT (workflow_id, run_id) "
                    "DO UPDATE SET status = 'running' RETURNING id"
                ),
                {
                    **ids,
                    "trigger": req.trigger,
                    "end": window.observation_end,
                    "cal_end": window.calibration_end,
                    "freq": FREQ,
                    "holdout": window.holdout_periods,
                    "data_from": data_from,
                    "data_to": data_to,
                    "orders": orders,
                    "anonymous": anonymous,
                },
            )
        ).scalar_one()
        await _clear_staging(session, ":id", {"id": report_id})
        registered, guests = await _merge_guest_orders(session, shop.id, report_id, window)
        return CustomerRun(
            report_id=report_id,
            shop_id=shop.id,
            timezone=shop.timezone,
            freq=FREQ,
            holdout_periods=window.holdout_periods,
            observation_end=window.observation_end.isoformat(),
            customers_total=registered + guests,
            chunk_customers=await setting("chunk_customers"),
            rules_min_count=await setting("rules_min_count"),
            rules_days=await setting("rules_days"),
            **costs,
        )


@activity.defn
def summarise_customer_chunk(req: ChunkRequest) -> ChunkResult:
    """Summarise the next `chunk_customers` customers of the phase and stage their summaries."""
    run = req.run
    window = _window(run)
    with connect() as conn:
        tune_chunk_session(conn)
        count, upto = chunk_upper_key(
            conn,
            run.shop_id,
            run.report_id,
            req.phase,
            req.after,
            run.chunk_customers,
            window.observation_end,
        )
        if count == 0 or upto is None:
            return ChunkResult(0, 0, None)
        periods = read_customer_periods(
            conn, run.shop_id, run.report_id, req.phase, req.after, upto, window, heartbeat
        )
        profits = read_customer_profits(
            conn,
            run.shop_id,
            run.report_id,
            req.phase,
            req.after,
            upto,
            window,
            cost_model(run),
        )
        summaries = summarise_chunk(periods, req.phase, window, profits)
        stage_summaries(conn, run.report_id, summaries)
    purchases = int(periods.loc[~periods["refund"].astype(bool), "orders"].sum())
    return ChunkResult(count, purchases, upto if count == run.chunk_customers else None)


@activity.defn
def fit_customer_models(run: CustomerRun) -> FitOutcome:
    """Fit, score and store every customer (in a child process)."""
    return run_in_child(fit_and_store, run, not_retryable=NOT_RETRYABLE)


@activity.defn
def estimate_price_sensitivity(run: CustomerRun) -> PriceSensitivityOutcome:
    """Estimate and store each product's and category's elasticity and regular price (in a
    child process)."""
    return run_in_child(estimate_and_store_prices, run, not_retryable=NOT_RETRYABLE)


@activity.defn
def mine_item_rules(run: CustomerRun) -> RulesOutcome:
    """Mine and store the shop's item rules and bundles (in a child process)."""
    return run_in_child(mine_and_store_rules, run, not_retryable=NOT_RETRYABLE)


@activity.defn
async def finish_customer_run(req: FinishRequest) -> None:
    async with session_scope() as session:
        shop_id = (
            await session.execute(
                text(
                    "UPDATE customer_model_reports SET status = :status, finished_at = now(), "
                    "message = coalesce(:message, message) WHERE id = :id RETURNING shop_id"
                ),
                {"status": req.status, "message": req.message, "id": req.report_id},
            )
        ).scalar_one_or_none()
        await _clear_staging(session, ":id", {"id": req.report_id})
    if shop_id is not None:  # after commit: the segments answer is built on the stored metrics
        await invalidate(shop_tag(shop_id, "customer-metrics"))


async def _clear_staging(session: AsyncSession, reports: str, params: dict[str, Any]) -> None:
    """Empty the run staging tables for the reports that `reports` (SQL) lists."""
    for table in STAGING_TABLES:
        await session.execute(text(f"DELETE FROM {table} WHERE report_id IN ({reports})"), params)


async def _merge_guest_orders(
    session: AsyncSession, shop_id: int, report_id: int, window: Window
) -> tuple[int, int]:
    """Stage the run's guest orders that belong to a registered customer (in the run's own
    transaction, so a retried start redoes it) and count (registered customers, guests)."""
    conn = await session.connection()
    params = {"shop": shop_id, "report": report_id, "end": window.observation_end}
    # JIT-compiling these one-off statements took 2-2.5 s each at 1 M customers, more than the
    # compiled code saved; SET LOCAL ends with the start's transaction.
    await conn.exec_driver_sql("SET LOCAL jit = off")
    await conn.exec_driver_sql(MERGE_GUEST_ORDERS, params)
    registered, guests = tuple((await conn.exec_driver_sql(COUNT_CUSTOMERS, params)).one())
    return int(registered), int(guests)


ACTIVITIES = [
    plan_customer_analytics,
    start_customer_run,
    estimate_price_sensitivity,
    summarise_customer_chunk,
    fit_customer_models,
    mine_item_rules,
    finish_customer_run,
]


def fit_and_store(run: CustomerRun, beat: Beat) -> FitOutcome:
    """Read the staged summaries, fit and pick the model, score, store metrics and report.
    Not enough data stores RFM scores and segments without model columns, and the message."""
    window = _window(run)
    with connect() as conn:
        summary, calibration = read_summaries(conn, run.report_id, window, beat)
        beat({"phase": "fitting", "customers": len(summary)})
        base = {
            "customers": len(summary),
            "repeat_buyers": int((summary["frequency"] > 0).sum()),
        }
        try:
            analysis = analyse_summaries(
                summary,
                calibration,
                window.local_calibration_end,
                window.holdout_periods,
                window.freq,
            )
        except NotEnoughData as exc:
            beat({"phase": "storing", "customers": len(summary)})
            store_metrics(
                conn, run.shop_id, run.report_id, rfm_only(summary), {**base, "message": str(exc)}
            )
            return FitOutcome("not_enough_data", str(exc), len(summary))
        beat({"phase": "storing", "customers": len(summary)})
        report = report_values(analysis)
        store_metrics(
            conn, run.shop_id, run.report_id, model_metrics(analysis, window), {**base, **report}
        )
        return FitOutcome(
            "completed", None, len(summary), analysis.model.name, report["beats_baseline"]
        )


def model_metrics(analysis: CustomerAnalysis, window: Window) -> pd.DataFrame:
    """The pure module's metrics in the shape of `customer_metrics`."""
    m = analysis.metrics
    x, tx, age = (m[c].to_numpy(dtype=float) for c in ("frequency", "recency", "T"))
    horizon = EXPECTED_PURCHASES_DAYS / window.days_per_period
    alive = m["p_alive"].to_numpy(dtype=float)
    clv = _finite(m["clv"].to_numpy(dtype=float))
    with np.errstate(invalid="ignore", divide="ignore"):
        clv_if_active = np.where(alive > 1e-12, clv / alive, 0.0)
    at_risk = np.nan_to_num(m["churn_risk"].to_numpy(dtype=float) * clv_if_active, nan=0.0)
    wait_days = _finite(m["next_purchase_in"].to_numpy(dtype=float) * window.days_per_period)
    wait_days[wait_days > NEXT_PURCHASE_MAX_DAYS] = np.nan
    out = pd.DataFrame(
        {
            "customer_key": m.index.to_numpy(),
            "frequency": x,
            "recency": tx,
            "t": age,
            "monetary_value": m["monetary_value"].to_numpy(dtype=float),
            "total_value": m["total_value"].to_numpy(dtype=float),
            "p_alive": alive,
            "expected_purchases_90d": _finite(
                np.asarray(analysis.model.expected_purchases(horizon, x, tx, age), dtype=float)
            ),
            "clv_12m": clv,
            "clv_at_risk": at_risk,
            "next_purchase_at": pd.Timestamp(window.observation_end)
            + pd.to_timedelta(wait_days, unit="D"),
            "churn_risk": m["churn_risk"].to_numpy(dtype=float),
        }
    )
    for column in ("r_score", "f_score", "m_score", "fm_score", "segment"):
        out[column] = m[column].to_numpy()
    if "margin_share" in m:
        out["profit_total"] = m["profit_total"].to_numpy(dtype=float)
        out["margin_rate"] = _finite(m["margin_share"].to_numpy(dtype=float))
        out["clv_profit_12m"] = _finite(m["clv_profit"].to_numpy(dtype=float))
    if "price_buyer" in m:
        out["discount_share"] = m["discount_share"].to_numpy(dtype=float)
        out["price_buyer"] = m["price_buyer"].to_numpy()
        out["discount_advice"] = m["discount_advice"].to_numpy()
    return out.reindex(columns=list(METRIC_COLUMNS))


def rfm_only(summary: pd.DataFrame) -> pd.DataFrame:
    """Scores and segments without a model: the model columns stay empty (NULL)."""
    out = pd.DataFrame({"customer_key": summary.index.to_numpy()})
    if summary.empty:
        return out.reindex(columns=list(METRIC_COLUMNS))
    scores = rfm_scores(summary)
    for source, column in (
        ("frequency", "frequency"),
        ("recency", "recency"),
        ("T", "t"),
        ("monetary_value", "monetary_value"),
        ("total_value", "total_value"),
    ):
        out[column] = summary[source].to_numpy(dtype=float)
    for column in ("r_score", "f_score", "m_score", "fm_score"):
        out[column] = scores[column].to_numpy()
    out["segment"] = np.asarray(segment(scores["r_score"], scores["fm_score"]))
    out["clv_at_risk"] = 0.0
    if "profit_total" in summary:  # profit so far and buyer classes need no model
        out["profit_total"] = summary["profit_total"].to_numpy(dtype=float)
        share, classes = buyer_classes(summary["units"], summary["discounted_units"])
        out["discount_share"] = share
        out["price_buyer"] = classes
    return out.reindex(columns=list(METRIC_COLUMNS))


def report_values(analysis: CustomerAnalysis) -> dict[str, Any]:
    """The report row's columns from a finished analysis: the chosen model's holdout test
    against the naive baseline, every candidate's report, and both fits' parameters."""
    best = analysis.selection.report()
    return {
        "chosen_model": analysis.model.name,
        "params": {
            "model": dict(analysis.model.params_),
            "spend": dict(analysis.spend.params_),
            "model_converged": analysis.model.converged_ is not False,
        },
        "holdout": analysis.selection.to_dict(),
        "holdout_mae": best.mae,
        "baseline_mae": best.baseline_mae,
        "beats_baseline": bool(best.beats_baseline),
        "auc_p_alive": best.auc_p_alive,
        "predicted_purchases": best.predicted_purchases,
        "actual_purchases": best.actual_purchases,
        "baseline_predicted_purchases": best.baseline_predicted_purchases,
        "seconds": dict(analysis.seconds),
        "message": None,
    }


def mine_and_store_rules(run: CustomerRun, beat: Beat) -> RulesOutcome:
    """Pair rules (cross-sell: per item its best partners by lift) for recommendations, and
    bundles from association rules of up to three items, over the last `rules_days` of baskets."""
    until = _utc(run.observation_end)
    since = until - timedelta(days=run.rules_days)
    with connect() as conn:
        baskets, names = read_baskets(conn, run.shop_id, since, until, beat)
        beat({"phase": "mining rules", "baskets": len(baskets)})
        columns = [
            "item_code",
            "suggestion_code",
            "suggestion_name",
            "count",
            "confidence",
            "lift",
            "rank",
        ]
        rules = pd.DataFrame(columns=columns)
        bundles: list[dict[str, Any]] = []
        if len(baskets) and baskets.matrix.nnz:
            pairs = cross_sell(baskets, min_count=run.rules_min_count, top=RULES_PER_ITEM)
            rules = pd.DataFrame(
                {
                    "item_code": pairs["item"].to_numpy(),
                    "suggestion_code": pairs["suggestion"].to_numpy(),
                    "suggestion_name": [names.get(c) for c in pairs["suggestion"]],
                    "count": pairs["count"].to_numpy(),
                    "confidence": pairs["confidence"].to_numpy(),
                    "lift": pairs["lift"].to_numpy(),
                    "rank": pairs["rank"].to_numpy(),
                }
            )
            min_count = max(run.rules_min_count, math.ceil(BUNDLE_MIN_SUPPORT * len(baskets)))
            itemsets = bundle_suggestions(
                association_rules(baskets, min_support=min_count / len(baskets)), top=BUNDLES
            )
            bundles = [
                {
                    "items": [{"code": c, "name": names.get(c)} for c in row["items"]],
                    "count": int(row["count"]),
                    "support": float(row["support"]),
                    "confidence": float(row["confidence"]),
                    "lift": float(row["lift"]),
                }
                for row in itemsets.to_dict("records")
            ]
        store_rules(conn, run.shop_id, run.report_id, rules)
        update_report(conn, run.report_id, {"item_rules": len(rules), "bundles": bundles})
    return RulesOutcome(len(baskets), len(rules), len(bundles))


def estimate_and_store_prices(run: CustomerRun, beat: Beat) -> PriceSensitivityOutcome:
    """Elasticities per product and category from the last `rules_days` of sales, and each
    product's regular price (what discounts are measured against), stored for the shop."""
    until = _utc(run.observation_end)
    since = until - timedelta(days=run.rules_days)
    with connect() as conn:
        tune_chunk_session(conn)  # one-off aggregates over all sold lines, as a chunk's are
        beat({"phase": "reading sales"})
        sales = read_product_sales(conn, run.shop_id, since, until, run.timezone)
        beat({"phase": "estimating elasticities", "products": len(sales.products)})
        products = product_elasticities(sales.weekly).set_index("key")
        products["scope"] = "product"
        products["name"] = sales.products["name"]
        products["category"] = sales.products["category"]
        products["reference_price"] = regular_prices(sales.by_price).round(2)
        categories = category_elasticities(
            sales.weekly, sales.products["category"].dropna()
        ).set_index("key")
        categories["scope"] = "category"
        categories["name"] = categories.index
        parts = [products, categories] if len(categories) else [products]
        rows = pd.concat(parts).rename_axis("key").reset_index()
        store_elasticities(conn, run.shop_id, run.report_id, rows)
    return PriceSensitivityOutcome(
        products=len(products),
        estimated=int((products["status"] == "estimated").sum()),
        categories=len(categories),
    )


def cost_model(run: CustomerRun) -> CostModel:
    return CostModel(
        run.shipping_cost_share,
        run.shipping_cost_per_order,
        run.payment_cost_percent,
        run.payment_cost_per_order,
    )


def _window(run: CustomerRun) -> Window:
    return Window(_utc(run.observation_end), run.timezone, run.freq, run.holdout_periods)


def _utc(iso: str) -> datetime:
    moment = datetime.fromisoformat(iso)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _finite(values: np.ndarray) -> np.ndarray:
    return np.where(np.isfinite(values), values, np.nan)
