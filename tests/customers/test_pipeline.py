"""analyse_customers end to end: orders in, per-customer metrics and a track record out."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from activities.customers.analytics import (
    METRIC_COLUMNS,
    SEGMENTS,
    CustomerAnalysis,
    NotEnoughData,
    analyse_customers,
)
from activities.customers.simulation import simulate_transactions

END = "2024-12-31 23:59"


@pytest.fixture(scope="module")
def orders() -> pd.DataFrame:
    """Two years of a 5 000-customer shop with 2 % refunds and some free orders."""
    rng = np.random.default_rng(51)
    frame = simulate_transactions(5_000, start="2023-01-01", days=730, rng=rng)
    free = rng.random(len(frame)) < 0.01
    frame.loc[free & (frame["total"] > 0), "total"] = 0.0
    return frame


@pytest.fixture(scope="module")
def analysis(orders: pd.DataFrame) -> CustomerAnalysis:
    return analyse_customers(orders, "customer_id", "created_at", "total", END, holdout_periods=26)


def test_every_customer_gets_every_metric(orders: pd.DataFrame, analysis: CustomerAnalysis) -> None:
    metrics = analysis.metrics
    assert list(metrics.columns) == list(METRIC_COLUMNS)
    assert metrics.index.is_unique
    assert set(metrics.index) == set(orders.loc[orders["total"] >= 0, "customer_id"])
    numeric = metrics.drop(columns="segment")
    assert np.isfinite(numeric.to_numpy(dtype=float)).all()
    assert metrics["p_alive"].between(0, 1).all() and metrics["churn_risk"].between(0, 1).all()
    assert (metrics["clv"] >= 0).all() and (metrics["next_purchase_in"] > 0).all()
    assert set(metrics["segment"].cat.categories) == set(SEGMENTS)


def test_one_time_buyers_are_scored(analysis: CustomerAnalysis) -> None:
    once = analysis.metrics[analysis.metrics["frequency"] == 0]
    assert len(once) > 100
    assert (once["monetary_value"] == 0).all()
    assert (once["expected_average_value"] > 0).all()  # the shop's mean stands in


def test_the_chosen_model_beats_the_naive_forecast_on_the_holdout(
    analysis: CustomerAnalysis,
) -> None:
    report = analysis.selection.report()
    assert report.mae < report.baseline_mae
    assert analysis.model.name == analysis.selection.best
    assert set(analysis.seconds) == {"summary", "fit", "scoring"}


def test_recent_frequent_buyers_outrank_long_gone_ones(analysis: CustomerAnalysis) -> None:
    metrics = analysis.metrics
    champions = metrics[metrics["segment"] == "champions"]
    lost = metrics[metrics["segment"] == "lost"]
    assert champions["p_alive"].mean() > lost["p_alive"].mean()
    assert champions["clv"].median() > lost["clv"].median()
    assert champions["churn_risk"].mean() < lost["churn_risk"].mean()


def test_a_shop_with_three_customers_gets_a_clear_message() -> None:
    orders = pd.DataFrame(
        {
            "customer_id": ["a", "a", "b", "c", "c"],
            "created_at": pd.to_datetime(
                ["2024-01-05", "2024-03-01", "2024-02-01", "2024-01-10", "2024-11-20"]
            ),
            "total": [100.0, 50.0, 80.0, 20.0, -20.0],
        }
    )
    with pytest.raises(NotEnoughData) as caught:
        analyse_customers(orders, "customer_id", "created_at", "total", END, holdout_periods=8)
    message = str(caught.value)
    assert "found 3 customers and 1 repeat buyers" in message
    assert "at least 30 customers of whom at least 10 bought again" in message
    assert "orders up to 2024-11-10" in message  # the calibration window is named


def test_holdout_must_be_at_least_one_period(orders: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="holdout_periods"):
        analyse_customers(orders, "customer_id", "created_at", "total", END, holdout_periods=0)
