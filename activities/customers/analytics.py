"""Customer intelligence for one shop: who is slipping away, what each is worth, what to offer.

The public entry of the customer analytics. Pure functions and classes over pandas frames (no
I/O), so the nightly workflow's activities read orders, call `analyse_customers`, and store
what it returns. See docs/customer-analytics.md for the definitions and choices.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from datetime import datetime

import numpy as np
import pandas as pd

from activities.customers.errors import ModelFitError, NotEnoughData
from activities.customers.models import (
    MIN_CUSTOMERS,
    MIN_REPEAT_BUYERS,
    TRANSACTION_MODELS,
    BetaGeo,
    ModifiedBetaGeo,
    ParetoNBD,
    TransactionModel,
)
from activities.customers.prices import (
    buyer_classes,
    category_elasticities,
    product_elasticities,
    regular_prices,
)
from activities.customers.profit import margin_shares, profit_clv
from activities.customers.recommendations import (
    Baskets,
    association_rules,
    bundle_suggestions,
    cross_sell,
    discount_advice,
    item_pairs,
    recommend,
)
from activities.customers.segments import (
    SEGMENT_GRID,
    SEGMENTS,
    churn_risk,
    rfm_scores,
    segment,
)
from activities.customers.selection import (
    HoldoutReport,
    ModelSelection,
    auc,
    holdout_report,
    naive_forecast,
    select_model,
)
from activities.customers.spend import GammaGamma, clv, periods_per_month
from activities.customers.summary import (
    InvalidTransactions,
    calibration_holdout_summary,
    holdout_start,
    rfm_summary,
)

__all__ = [
    "DISCOUNT_COLUMNS",
    "METRIC_COLUMNS",
    "MIN_CUSTOMERS",
    "MIN_REPEAT_BUYERS",
    "PROFIT_COLUMNS",
    "SEGMENTS",
    "SEGMENT_GRID",
    "TRANSACTION_MODELS",
    "Baskets",
    "BetaGeo",
    "CustomerAnalysis",
    "GammaGamma",
    "HoldoutReport",
    "InvalidTransactions",
    "ModelFitError",
    "ModelSelection",
    "ModifiedBetaGeo",
    "NotEnoughData",
    "ParetoNBD",
    "TransactionModel",
    "analyse_customers",
    "analyse_summaries",
    "association_rules",
    "auc",
    "bundle_suggestions",
    "buyer_classes",
    "calibration_holdout_summary",
    "category_elasticities",
    "churn_risk",
    "clv",
    "cross_sell",
    "discount_advice",
    "holdout_report",
    "holdout_start",
    "item_pairs",
    "margin_shares",
    "naive_forecast",
    "periods_per_month",
    "product_elasticities",
    "profit_clv",
    "recommend",
    "regular_prices",
    "rfm_scores",
    "rfm_summary",
    "score_customers",
    "segment",
    "select_model",
]

METRIC_COLUMNS = (
    "frequency",
    "recency",
    "T",
    "monetary_value",
    "total_value",
    "p_alive",
    "expected_purchases",
    "expected_average_value",
    "clv",
    "next_purchase_in",
    "churn_risk",
    "r_score",
    "f_score",
    "m_score",
    "fm_score",
    "segment",
)
# added by `score_customers` when the summary has profit_total / units and discounted_units
PROFIT_COLUMNS = ("margin_share", "clv_profit")
DISCOUNT_COLUMNS = ("discount_share", "price_buyer", "discount_advice")


@dataclass(frozen=True)
class CustomerAnalysis:
    """Everything the nightly run stores for a shop."""

    metrics: pd.DataFrame  # one row per customer, METRIC_COLUMNS
    selection: ModelSelection  # holdout track record of every candidate model
    model: TransactionModel  # the chosen model, refitted on the whole history
    spend: GammaGamma
    freq: str
    horizon_periods: float  # what expected_purchases counts (the next ~month)
    seconds: dict[str, float]  # wall time per stage: summary, fit, scoring


def score_customers(
    summary: pd.DataFrame,
    model: TransactionModel,
    spend: GammaGamma,
    freq: str = "W",
    horizon_months: int = 12,
    monthly_discount_rate: float = 0.01,
) -> pd.DataFrame:
    """Per customer: P(alive), expected purchases next month, expected spend per purchase, CLV,
    median periods to the next purchase, churn risk, RFM scores and segment; with profit in the
    summary (`profit_total`) the margin share and CLV as expected profit, and with `units` and
    `discounted_units` the discount share, buyer class and discount advice."""
    x, tx, age = (summary[c].to_numpy(dtype=float) for c in ("frequency", "recency", "T"))
    monetary = summary["monetary_value"].to_numpy(dtype=float)
    alive = np.asarray(model.p_alive(x, tx, age))
    scores = rfm_scores(summary)
    metrics = summary.copy()
    metrics["p_alive"] = alive
    metrics["expected_purchases"] = np.asarray(
        model.expected_purchases(periods_per_month(freq), x, tx, age)
    )
    metrics["expected_average_value"] = np.asarray(spend.expected_average_value(x, monetary))
    metrics["clv"] = np.asarray(
        clv(model, spend, x, tx, age, monetary, horizon_months, monthly_discount_rate, freq)
    )
    metrics["next_purchase_in"] = np.asarray(model.next_purchase_in(x, tx, age))
    metrics["churn_risk"] = churn_risk(alive, x, tx, age)
    for column in scores:
        metrics[column] = scores[column].to_numpy()
    metrics["segment"] = segment(scores["r_score"], scores["fm_score"])
    shares = np.full(len(metrics), np.nan)
    if "profit_total" in summary:
        paid = summary["total_value"] if "total_value" in summary else monetary * (x + 1)
        shares = margin_shares(summary["profit_total"], paid, x + 1)
        metrics["margin_share"] = shares
        metrics["clv_profit"] = profit_clv(metrics["clv"], shares)
    if "units" in summary and "discounted_units" in summary:
        share, classes = buyer_classes(summary["units"], summary["discounted_units"])
        metrics["discount_share"] = share
        metrics["price_buyer"] = classes
        metrics["discount_advice"] = discount_advice(classes, metrics["churn_risk"], shares)
    return metrics


def analyse_customers(
    transactions: pd.DataFrame,
    customer_col: str,
    datetime_col: str,
    monetary_col: str,
    observation_end: datetime | str | pd.Timestamp,
    holdout_periods: int = 26,
    freq: str = "W",
    penalizer: float = 0.0,
    candidates: tuple[type[TransactionModel], ...] = TRANSACTION_MODELS,
) -> CustomerAnalysis:
    """Pick the model that predicts this shop's last `holdout_periods` best, refit it on the
    whole history, and score every customer with it and with Gamma-Gamma.

    Raises `NotEnoughData` when the calibration window or the whole history has too few
    customers or repeat buyers for a model.
    """
    if holdout_periods < 1:
        raise ValueError(f"holdout_periods must be >= 1, got {holdout_periods}")
    clock = _Stopwatch()
    calibration_end = holdout_start(
        transactions, datetime_col, observation_end, holdout_periods, freq
    )
    calibration = calibration_holdout_summary(
        transactions,
        customer_col,
        datetime_col,
        monetary_col,
        calibration_end,
        observation_end,
        freq,
    )
    summary = rfm_summary(
        transactions, customer_col, datetime_col, monetary_col, observation_end, freq
    )
    clock.lap("summary")
    analysis = analyse_summaries(
        summary, calibration, calibration_end, holdout_periods, freq, penalizer, candidates
    )
    return replace(analysis, seconds={**clock.laps, **analysis.seconds})


def analyse_summaries(
    summary: pd.DataFrame,
    calibration: pd.DataFrame,
    calibration_end: datetime | pd.Timestamp,
    holdout_periods: int,
    freq: str = "W",
    penalizer: float = 0.0,
    candidates: tuple[type[TransactionModel], ...] = TRANSACTION_MODELS,
) -> CustomerAnalysis:
    """`analyse_customers` from summaries already made: `summary` of `rfm_summary` over the
    whole history and `calibration` of `calibration_holdout_summary` up to `calibration_end`.

    Summaries are per customer and independent across customers, so a caller that streams
    orders customer by customer can summarise each chunk and concatenate (the nightly
    workflow does); memory then follows customers, not orders.
    """
    clock = _Stopwatch()
    try:
        selection = select_model(calibration, candidates, penalizer)
    except NotEnoughData as exc:
        raise NotEnoughData(
            f"Choosing a model on the orders up to {pd.Timestamp(calibration_end):%Y-%m-%d} "
            f"(the last {holdout_periods} periods are kept back to test it)",
            customers=exc.customers,
            repeat_buyers=exc.repeat_buyers,
            needed_customers=exc.needed_customers,
            needed_repeat_buyers=exc.needed_repeat_buyers,
        ) from exc
    x, tx, age = (summary[c].to_numpy(dtype=float) for c in ("frequency", "recency", "T"))
    model = type(selection.model)(penalizer).fit(x, tx, age)
    spend = GammaGamma(penalizer).fit(x, summary["monetary_value"].to_numpy(dtype=float))
    clock.lap("fit")
    metrics = score_customers(summary, model, spend, freq)
    clock.lap("scoring")
    return CustomerAnalysis(
        metrics=metrics,
        selection=selection,
        model=model,
        spend=spend,
        freq=freq,
        horizon_periods=periods_per_month(freq),
        seconds=clock.laps,
    )


class _Stopwatch:
    def __init__(self) -> None:
        self.laps: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[name] = now - self._last
        self._last = now
