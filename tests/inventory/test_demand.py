"""Demand history with censored stock-out days, weekly aggregation, classes and seasonality."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from activities.inventory.analytics import (
    DemandPattern,
    aggregate_demand,
    classify_demand,
    demand_history,
    detect_seasonality,
)


def days(n: int, start: str = "2024-03-01") -> pd.PeriodIndex:
    return pd.period_range(start, periods=n, freq="D")


# --------------------------------------------------------------------------- history


def test_history_counts_units_per_prague_day_and_censors_stock_outs() -> None:
    items = pd.DataFrame(
        {
            "variant_id": ["A", "A", "A", "B"],
            # 23:30 UTC on 1 March is 00:30 on 2 March in Prague
            "ordered_at": pd.to_datetime(
                ["2024-03-01T10:00Z", "2024-03-01T23:30Z", "2024-03-05T08:00Z", "2024-03-04T09:00Z"]
            ),
            "quantity": [2, 3, 4, 1],
        }
    )
    stock = pd.DataFrame(
        {
            "variant_id": ["A", "A", "A", "B"],
            "observed_at": pd.to_datetime(
                ["2024-03-01T06:00Z", "2024-03-03T12:00Z", "2024-03-05T06:00Z", "2024-03-04T06:00Z"]
            ),
            "stock": [10, 0, 8, 5],
        }
    )
    history = demand_history(items, stock, end="2024-03-06")
    assert list(history.index) == list(days(6))
    a, b = history["A"], history["B"]
    assert a["2024-03-01"] == 2 and a["2024-03-02"] == 3
    # Sold out on the 3rd and nothing read on the 4th: both unknown, not zero.
    assert np.isnan(a["2024-03-03"]) and np.isnan(a["2024-03-04"])
    assert a["2024-03-05"] == 4 and a["2024-03-06"] == 0
    # B was not listed before its first reading or sale.
    assert b[:"2024-03-03"].isna().all()
    assert list(b["2024-03-04":]) == [1, 0, 0]


def test_history_without_stock_readings_has_only_zero_or_sales() -> None:
    items = pd.DataFrame(
        {"variant_id": ["A"], "ordered_at": [pd.Timestamp("2024-03-02 12:00")], "quantity": [1.0]}
    )
    history = demand_history(items, start="2024-03-01", end="2024-03-04")
    assert history["A"].tolist()[1:] == [1.0, 0.0, 0.0]
    assert np.isnan(history["A"].iloc[0])  # not listed yet


def test_history_rejects_negative_quantities_and_missing_columns() -> None:
    items = pd.DataFrame(
        {"variant_id": ["A"], "ordered_at": [pd.Timestamp("2024-03-02")], "quantity": [-1]}
    )
    with pytest.raises(ValueError, match="negative quantity -1 for variant 'A'"):
        demand_history(items)
    with pytest.raises(ValueError, match=r"lacks columns \['quantity'\]"):
        demand_history(items.drop(columns="quantity"))


def test_weekly_aggregation_fills_censored_days_at_the_week_rate() -> None:
    index = pd.period_range("2024-03-04", periods=21, freq="D")  # three Monday-to-Sunday weeks
    values = np.full(21, 2.0)
    values[[1, 2]] = np.nan  # two stock-out days in week one: 5 observed days of 2
    values[7:13] = np.nan  # six of seven days out in week two
    weekly = aggregate_demand(pd.Series(values, index=index))
    assert weekly.iloc[0] == pytest.approx(14.0)
    assert np.isnan(weekly.iloc[1])
    assert weekly.iloc[2] == pytest.approx(14.0)
    assert weekly.index.freqstr.startswith("W")


# --------------------------------------------------------------------------- classes


@pytest.mark.parametrize(
    ("values", "pattern", "adi", "cv2"),
    [
        ([9, 10, 11] * 20, DemandPattern.SMOOTH, 1.0, 2 / 3 / 100),
        ([1, 20] * 30, DemandPattern.ERRATIC, 1.0, 90.25 / 10.5**2),
        ([5, 0, 0] * 20, DemandPattern.INTERMITTENT, 3.0, 0.0),
        ([1, 0, 0, 30, 0, 0] * 10, DemandPattern.LUMPY, 3.0, 210.25 / 15.5**2),
    ],
)
def test_classification_on_constructed_series(
    values: list[float], pattern: DemandPattern, adi: float, cv2: float
) -> None:
    profile = classify_demand(pd.Series(values, index=days(len(values)), dtype=float))
    assert profile.pattern == pattern
    assert profile.adi == pytest.approx(adi)
    assert profile.cv2 == pytest.approx(cv2)


def test_classification_ignores_censored_days() -> None:
    values = np.array([5.0, 0, 0] * 20)
    values[1::3] = np.nan  # one of the two zero days in each triple is a stock-out
    profile = classify_demand(pd.Series(values, index=days(60)))
    assert profile.adi == pytest.approx(2.0)  # 40 observed days, 20 with demand
    assert profile.pattern == DemandPattern.INTERMITTENT


def test_cut_offs_are_syntetos_boylan() -> None:
    just_below = pd.Series([4.0] * 131 + [0.0] * 41, index=days(172))  # ADI = 172/131 = 1.313
    assert classify_demand(just_below).pattern == DemandPattern.SMOOTH
    just_above = pd.Series([4.0] * 130 + [0.0] * 42, index=days(172))  # ADI = 1.323
    assert classify_demand(just_above).pattern == DemandPattern.INTERMITTENT


@pytest.mark.parametrize(
    ("series", "message"),
    [
        (pd.Series([], dtype=float, index=pd.PeriodIndex([], freq="D")), "empty"),
        (
            pd.Series(
                [1.0, 2.0, 3.0], index=pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-05"])
            ),
            "irregular",
        ),
        (
            pd.Series([1.0, 2.0], index=pd.PeriodIndex(["2024-01-01", "2024-01-03"], freq="D")),
            "2024-01-01 is followed by 2024-01-03",
        ),
        (pd.Series([1.0, -2.0, 3.0], index=days(3)), "negative demand -2.0 at 2024-03-02"),
        (pd.Series([np.nan, np.nan], index=days(2)), "no observed period"),
        (pd.Series([1.0, 2.0], index=[0, 1]), "PeriodIndex or DatetimeIndex"),
    ],
)
def test_bad_series_get_clear_errors(series: pd.Series, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        classify_demand(series)


# --------------------------------------------------------------------------- seasonality


def test_weekly_pattern_is_detected_and_noise_is_not() -> None:
    rng = np.random.default_rng(3)
    t = np.arange(364)
    weekly = pd.Series(
        rng.poisson(20 * (1 + 0.5 * np.sin(2 * np.pi * t / 7))), index=days(364), dtype=float
    )
    found = detect_seasonality(weekly)
    assert found.detected and found.season_length == 7
    assert found.strength > 0.5
    noise = pd.Series(rng.poisson(20, 364), index=days(364), dtype=float)
    assert not detect_seasonality(noise).detected
    assert detect_seasonality(noise).season_length == 1


def test_stock_outs_do_not_fake_a_weekly_pattern() -> None:
    rng = np.random.default_rng(4)
    values = rng.poisson(20, 364).astype(float)
    values[np.arange(364) % 7 == 5] = np.nan  # always out of stock on the same weekday
    assert not detect_seasonality(pd.Series(values, index=days(364))).detected
