"""Anomalies: injected sales spikes against forecast intervals, unreconciled stock movements."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from activities.inventory.analytics import forecast_many, sales_anomalies, stock_anomalies

Forecasted = tuple[pd.DataFrame, pd.DataFrame]  # held-out sales, forecasts


@pytest.fixture(scope="module")
def forecasted() -> Forecasted:
    """Held-out month of three variants (fast, medium, slow) and their forecasts."""
    rng = np.random.default_rng(21)
    periods = pd.period_range("2023-01-01", periods=428, freq="D")
    frame = pd.DataFrame(
        {
            "fast": rng.poisson(50, 428),
            "medium": rng.poisson(8, 428),
            "slow": (rng.random(428) < 0.1) * 1,
        },
        index=periods,
        dtype=float,
    )
    batch = forecast_many(frame.iloc[:-28], 28, holidays=None)
    return frame.iloc[-28:].copy(), batch.forecasts


def test_injected_spikes_are_found_with_their_severity(forecasted: Forecasted) -> None:
    actual, forecasts = forecasted
    actual.loc[actual.index[5], "fast"] = 200  # four times the usual
    actual.loc[actual.index[9], "medium"] = 20  # two and a half times
    actual.loc[actual.index[12], "fast"] = 0  # nothing sold on a fast mover
    found = sales_anomalies(actual, forecasts)
    keyed = found.set_index(["variant_id", "period"])
    spike = keyed.loc[("fast", actual.index[5])]
    assert (spike["direction"], spike["severity"]) == ("spike", "high")
    assert keyed.loc[("medium", actual.index[9]), "direction"] == "spike"
    assert keyed.loc[("fast", actual.index[12]), "direction"] == "drop"
    # Ordinary days of a month stay quiet: at most one false alarm besides the three.
    assert len(found) <= 4


def test_slow_mover_single_sales_are_not_anomalies(forecasted: Forecasted) -> None:
    actual, forecasts = forecasted
    actual["slow"] = 0.0
    actual.loc[actual.index[[3, 10, 17]], "slow"] = 1.0
    assert sales_anomalies(actual, forecasts).query("variant_id == 'slow'").empty
    actual.loc[actual.index[20], "slow"] = 12.0
    assert not sales_anomalies(actual, forecasts).query("variant_id == 'slow'").empty


def test_censored_sales_are_skipped(forecasted: Forecasted) -> None:
    actual, forecasts = forecasted
    actual["fast"] = np.nan
    assert sales_anomalies(actual, forecasts).query("variant_id == 'fast'").empty


def simulated_stock(
    days: int = 200, lost: dict[int, float] | None = None
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """End-of-day stock, sales and receipts of one variant restocked when below 20.

    `lost` maps a day to units that vanish from the shelf that day (no sales on it).
    """
    rng = np.random.default_rng(0)
    index = pd.period_range("2024-01-01", periods=days, freq="D")
    sales = rng.poisson(5, days).astype(float)
    receipts = np.zeros(days)
    level, stock = 60.0, np.zeros(days)
    for t in range(days):
        if lost and t in lost:
            sales[t] = 0.0
            level -= lost[t]
        level -= sales[t]
        if level < 20:
            receipts[t] = rng.integers(90, 110)
            level += receipts[t]
        stock[t] = level
    return (
        pd.DataFrame({"A": stock}, index=index),
        pd.DataFrame({"A": sales}, index=index),
        pd.DataFrame({"A": receipts}, index=index),
    )


def test_consistent_stock_and_restocks_raise_nothing() -> None:
    stock, sales, receipts = simulated_stock()
    assert stock_anomalies(stock, sales).empty
    assert stock_anomalies(stock, sales, receipts).empty


def test_stock_drop_without_sales_and_a_sudden_jump_are_found() -> None:
    stock, sales, _ = simulated_stock(lost={100: 40.0})  # forty units vanish on day 100
    stock.iloc[150:, 0] += 5000  # a miscount or a data error
    found = stock_anomalies(stock, sales).set_index("period")
    assert found.loc[stock.index[100], "kind"] == "drop_without_sales"
    assert found.loc[stock.index[100], "unexplained"] == pytest.approx(-40)
    assert found.loc[stock.index[150], "kind"] == "jump"
    assert set(found["severity"]) == {"high"}
    assert len(found) == 2


def test_with_receipts_a_restock_that_was_never_received_is_a_jump() -> None:
    stock, sales, receipts = simulated_stock()
    restock_day = int(np.flatnonzero(receipts["A"].to_numpy() > 0)[3])
    receipts.iloc[restock_day, 0] = 0  # the goods arrived without a receipt
    found = stock_anomalies(stock, sales, receipts)
    assert found["period"].tolist() == [stock.index[restock_day]]
    assert found["kind"].tolist() == ["jump"]


def test_sales_meet_forecasts_as_periods_and_a_mismatch_is_an_error(forecasted: Forecasted) -> None:
    actual, forecasts = forecasted
    actual.loc[actual.index[5], "fast"] = 200
    stamped = actual.set_axis(actual.index.to_timestamp())
    assert len(sales_anomalies(stamped, forecasts).query("variant_id == 'fast'")) >= 1
    with pytest.raises(ValueError, match="shares no period or variant"):
        sales_anomalies(actual.set_axis(actual.index - 400), forecasts)
