"""Safety stock, reorder point and EOQ against closed-form textbook results; open orders that
arrive after the shelf runs empty."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

from activities.inventory.analytics import eoq, late_arrivals, order_by, reorder_point


def test_reorder_point_matches_the_formula_with_both_demand_and_lead_time_varying() -> None:
    # d = 10/day, σd = 3, L = 5 days, σL = 1 day, 95 %: z·sqrt(5·9 + 100·1) = 1.6449 · 12.042
    result = reorder_point(10, 3, 5, 1, 0.95)
    expected_safety = norm.ppf(0.95) * math.sqrt(145)
    assert result.safety_stock == pytest.approx(expected_safety, rel=1e-12)
    assert result.safety_stock == pytest.approx(19.8067, abs=1e-4)
    assert result.reorder_point == pytest.approx(50 + expected_safety, rel=1e-12)


def test_reorder_point_with_fixed_lead_time_reduces_to_z_sigma_sqrt_l() -> None:
    result = reorder_point(
        mean_demand=40, sd_demand=8, mean_lead_time=4, sd_lead_time=0, service_level=0.9
    )
    assert result.safety_stock == pytest.approx(norm.ppf(0.9) * 8 * 2)
    assert result.reorder_point == pytest.approx(160 + norm.ppf(0.9) * 16)


def test_reorder_point_is_elementwise_over_an_assortment() -> None:
    result = reorder_point(
        np.array([10.0, 0.0]),
        np.array([3.0, 0.0]),
        np.array([5.0, 7.0]),
        np.array([1.0, 2.0]),
        0.95,
    )
    assert isinstance(result.safety_stock, np.ndarray)
    assert result.safety_stock[0] == pytest.approx(reorder_point(10, 3, 5, 1, 0.95).safety_stock)
    assert result.reorder_point[1] == 0.0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((10, 3, 5, 1, 1.0), "service_level"),
        ((10, 3, 5, 1, 0.0), "service_level"),
        ((-1, 3, 5, 1, 0.95), "mean_demand"),
        ((10, float("nan"), 5, 1, 0.95), "sd_demand"),
        ((10, 3, -5, 1, 0.95), "mean_lead_time"),
    ],
)
def test_reorder_point_rejects_bad_inputs(args: tuple[float, ...], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        reorder_point(*args)


def test_classic_eoq() -> None:
    # D = 1200/yr, S = 50, h = 20 % of 10: Q* = sqrt(2·1200·50 / 2) = sqrt(60000)
    result = eoq(1200, 50, 0.2, 10.0)
    assert result.quantity == pytest.approx(math.sqrt(60_000))
    assert result.unit_price == 10.0
    # At the optimum ordering and holding costs are equal: total = D·p + sqrt(2·D·S·h·p)
    assert result.total_cost == pytest.approx(12_000 + math.sqrt(2 * 1200 * 50 * 2))


def test_all_units_discount_textbook_example() -> None:
    # Heizer & Render: D = 5000, S = 49, I = 20 %; 5.00 below 1000, 4.80 from 1000, 4.75 from 2000.
    # EOQs 700 (feasible), 714 → 1000, 718 → 2000; costs 25 700, 24 725, 24 822.50.
    result = eoq(5000, 49, 0.2, 5.00, price_breaks=[(1000, 4.80), (2000, 4.75)])
    assert result.quantity == 1000
    assert result.unit_price == 4.80
    assert result.total_cost == pytest.approx(24_725.0)


def test_discount_whose_own_eoq_is_feasible_wins() -> None:
    # With a large order cost every tier's EOQ lies above 2000, so the cheapest tier's own EOQ wins.
    result = eoq(5000, 2000, 0.2, 5.00, price_breaks=[(1000, 4.80), (2000, 4.75)])
    expected_q = math.sqrt(2 * 5000 * 2000 / (0.2 * 4.75))
    assert result.quantity == pytest.approx(expected_q)
    assert result.unit_price == 4.75


def test_moq_above_eoq_orders_the_moq_at_its_cost() -> None:
    result = eoq(1200, 50, 0.2, 10.0, moq=400)
    assert result.quantity == 400
    assert result.total_cost == pytest.approx(12_000 + 1200 / 400 * 50 + 400 / 2 * 2)


def test_pack_rounding_picks_the_cheaper_neighbouring_pack() -> None:
    # EOQ 244.9: 200 units cost 12 500, 250 units cost 12 490.
    result = eoq(1200, 50, 0.2, 10.0, pack_size=50)
    assert result.quantity == 250
    assert result.total_cost == pytest.approx(12_490.0)
    # EOQ 244.9 with packs of 40: 240 (12 489.99…) beats 280.
    assert eoq(1200, 50, 0.2, 10.0, pack_size=40).quantity == 240


def test_moq_and_pack_together_round_up_to_whole_packs() -> None:
    result = eoq(1200, 50, 0.2, 10.0, moq=410, pack_size=50)
    assert result.quantity == 450
    assert result.total_cost == pytest.approx(12_000 + 1200 / 450 * 50 + 450 / 2 * 2)


def test_pack_rounding_is_recosted_at_the_tier_it_lands_in() -> None:
    # EOQ ≈ 990 at 4.80 would fall under the 1000 break; packs of 300 give 900 (5.00) or 1200 (4.80).
    result = eoq(5000, 49, 0.2, 5.00, price_breaks=[(1000, 4.80)], pack_size=300)
    assert result.quantity % 300 == 0
    costs = {q: 5000 * p + 5000 / q * 49 + q / 2 * 0.2 * p for q, p in ((900, 5.0), (1200, 4.8))}
    assert result.total_cost == pytest.approx(min(costs.values()))
    assert result.quantity == min(costs, key=costs.get)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"annual_demand": 0}, "annual_demand"),
        ({"order_cost": -1}, "order_cost"),
        ({"holding_cost_rate": 0}, "holding_cost_rate"),
        ({"pack_size": 0}, "pack_size"),
        ({"price_breaks": [(100, 11.0)]}, "must not raise the price"),
        ({"price_breaks": [(100, 9.0), (100, 8.0)]}, "repeat"),
    ],
)
def test_eoq_rejects_bad_inputs(kwargs: dict[str, object], message: str) -> None:
    args = {"annual_demand": 1200, "order_cost": 50, "holding_cost_rate": 0.2, "unit_price": 10.0}
    with pytest.raises(ValueError, match=message):
        eoq(**(args | kwargs))


def test_order_by_is_the_first_period_projected_stock_reaches_the_reorder_point() -> None:
    periods = pd.period_range("2025-03-01", periods=5, freq="D")
    forecasts = pd.DataFrame(
        {
            "variant_id": ["A"] * 5 + ["B"] * 5 + ["C"] * 5,
            "period": list(periods) * 3,
            "mean": [10.0] * 5 + [1.0] * 5 + [4.0] * 5,
        }
    )
    position = pd.Series({"A": 45.0, "B": 50.0, "C": 3.0, "D": 9.0})
    rop = pd.Series({"A": 20.0, "B": 20.0, "C": 10.0, "D": 1.0})
    due = order_by(position, forecasts, rop)
    assert due["A"] == periods[2]  # 45 − 30 = 15 ≤ 20 at the end of the third day
    assert pd.isna(due["B"])  # 50 − 5 stays above 20
    assert due["C"] == periods[0]  # already below: order now
    assert pd.isna(due["D"])  # no forecast
    with pytest.raises(ValueError, match="position"):
        order_by(position - 100, forecasts, rop)


def test_late_arrivals_find_the_order_the_shelf_runs_out_before() -> None:
    periods = pd.period_range("2025-03-01", periods=10, freq="D")
    variants = ["A", "B", "C", "D", "E", "H", "G"]
    forecasts = pd.DataFrame(
        {
            "variant_id": np.repeat(variants, 10),
            "period": list(periods) * len(variants),
            "mean": 10.0,
        }
    )
    day = pd.Period
    arrivals = pd.DataFrame(
        [
            ("A", 1, day("2025-03-08", "D"), 100.0),  # the shelf is empty from 03-05
            ("B", 2, day("2025-03-03", "D"), 100.0),  # in time
            ("C", 3, day("2025-03-04", "D"), 10.0),  # in time, but too small to bridge...
            ("C", 4, day("2025-03-09", "D"), 100.0),  # ...to this one
            ("D", 5, day("2025-02-20", "D"), 5.0),  # overdue: taken as coming on 03-01
            ("E", 6, day("2025-03-15", "D"), 80.0),  # after the horizon
            ("H", 7, day("2025-03-04", "D"), 50.0),  # the shelf holds exactly until it comes
            ("F", 8, day("2025-03-20", "D"), 50.0),  # no forecast
            ("G", 9, day("2025-03-20", "D"), 50.0),  # stock unknown
        ],
        columns=["variant_id", "order_id", "period", "quantity"],
    )
    on_hand = pd.Series(
        {"A": 45.0, "B": 45.0, "C": 35.0, "D": 0.0, "E": 20.0, "F": 5.0, "G": np.nan, "H": 30.0}
    )
    late = late_arrivals(on_hand, forecasts, arrivals).set_index("variant_id")
    assert sorted(late.index) == ["A", "C", "E"]
    assert late.loc["A", "stockout"] == day("2025-03-05", "D")  # 45 − 50 < 0
    assert late.loc["A", "arrival"] == day("2025-03-08", "D")
    assert late.loc["A", "order_id"] == 1 and late.loc["A", "quantity"] == 100.0
    assert late.loc["A", "shortfall"] == pytest.approx(70 - 45)  # demand to 03-07, the day before
    # C: on hand alone runs out on 03-04, the day order 3 comes, which holds it one more day
    assert late.loc["C", "stockout"] == day("2025-03-05", "D")
    assert late.loc["C", "order_id"] == 4 and late.loc["C", "arrival"] == day("2025-03-09", "D")
    assert late.loc["C", "shortfall"] == pytest.approx(80 - 35 - 10)
    # E: after the horizon the demand goes on at the horizon's mean, 10 a day, to 03-14
    assert late.loc["E", "stockout"] == day("2025-03-02", "D")
    assert late.loc["E", "shortfall"] == pytest.approx(140 - 20)


def test_late_arrivals_without_orders_or_forecasts_is_empty() -> None:
    forecasts = pd.DataFrame({"variant_id": ["A"], "period": [pd.Period("2025-03-01", "D")]})
    none = pd.DataFrame(columns=["variant_id", "order_id", "period", "quantity"])
    found = late_arrivals(pd.Series({"A": 1.0}), forecasts.assign(mean=5.0), none)
    assert found.empty and list(found.columns) == [
        "variant_id",
        "stockout",
        "arrival",
        "order_id",
        "quantity",
        "shortfall",
    ]
