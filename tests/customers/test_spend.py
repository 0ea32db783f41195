"""Gamma-Gamma spend and CLV."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from activities.customers.analytics import (
    BetaGeo,
    GammaGamma,
    NotEnoughData,
    ParetoNBD,
    clv,
    periods_per_month,
)
from activities.customers.simulation import simulate_beta_geo, simulate_spend

GG_TRUTH = {"p": 6.0, "q": 4.0, "v": 15.0}
BG_TRUTH = {"r": 1.0, "alpha": 4.0, "a": 2.0, "b": 4.0}


@pytest.fixture(scope="module")
def shop() -> pd.DataFrame:
    rng = np.random.default_rng(21)
    n = 20_000
    summary = simulate_beta_geo(n, **BG_TRUTH, T=rng.uniform(52, 156, n), rng=rng).summary()
    summary["monetary_value"] = simulate_spend(summary["frequency"].to_numpy(), **GG_TRUTH, rng=rng)
    return summary


def test_gamma_gamma_recovers_parameters_within_ten_percent(shop: pd.DataFrame) -> None:
    # Sampling SD at this size: p 3 %, q 1 %, v 4 % (30 seeds); 10 % is >= 2.5 SD.
    params = GammaGamma().fit(shop["frequency"], shop["monetary_value"]).params_
    for name, true in GG_TRUTH.items():
        assert params[name] == pytest.approx(true, rel=0.10), name


def test_expected_value_shrinks_own_mean_towards_the_population_mean() -> None:
    model = GammaGamma.from_params(**GG_TRUTH)
    population = 6.0 * 15.0 / (4.0 - 1)
    assert model.expected_average_value(0, 0) == pytest.approx(population)
    own = 100.0
    few, many = model.expected_average_value([1, 50], [own, own])
    assert population < few < many < own
    assert model.expected_average_value(1, own) == pytest.approx(6 * (15 + own) / (6 + 3))


def test_zero_value_repeat_buyers_are_left_out_of_the_fit_but_scored(shop: pd.DataFrame) -> None:
    freebies = shop.assign(monetary_value=shop["monetary_value"].where(shop.index % 10 != 0, 0.0))
    model = GammaGamma().fit(freebies["frequency"], freebies["monetary_value"])
    assert model.n_customers_ < (shop["frequency"] > 0).sum()
    value = model.expected_average_value(freebies["frequency"], freebies["monetary_value"])
    assert np.all(np.isfinite(value)) and np.all(value > 0)


def test_too_few_repeat_buyers_is_not_enough_data() -> None:
    with pytest.raises(NotEnoughData, match="found 3 customers and 2 repeat buyers"):
        GammaGamma().fit([0, 1, 2], [0, 10.0, 12.0])


def test_negative_spend_is_refused() -> None:
    with pytest.raises(ValueError, match="1 customer"):
        GammaGamma.from_params(**GG_TRUTH).expected_average_value([1, 2], [5.0, -1.0])


def test_clv_without_discount_is_spend_times_expected_purchases() -> None:
    model = BetaGeo.from_params(**BG_TRUTH)
    spend = GammaGamma.from_params(**GG_TRUTH)
    x, tx, T, m = (
        np.array([0, 3, 8]),
        np.array([0, 20, 50]),
        np.array([30, 40, 52]),
        np.array([0, 20.0, 35.0]),
    )
    value = clv(model, spend, x, tx, T, m, horizon_months=6, monthly_discount_rate=0.0, freq="W")
    weeks = 6 * periods_per_month("W")
    expected = spend.expected_average_value(x, m) * model.expected_purchases(weeks, x, tx, T)
    np.testing.assert_allclose(value, expected, rtol=1e-10)


def test_clv_grows_with_the_horizon_and_falls_with_the_discount_rate() -> None:
    model = ParetoNBD.from_params(r=0.55, alpha=10.6, s=0.6, beta=11.7)
    spend = GammaGamma.from_params(**GG_TRUTH)
    args = (np.array([2, 5]), np.array([10, 40]), np.array([52, 52]), np.array([30.0, 40.0]))
    short = spend.clv(model, *args, horizon_months=3)
    long = spend.clv(model, *args, horizon_months=24)
    dear = spend.clv(model, *args, horizon_months=24, monthly_discount_rate=0.05)
    assert np.all(short < long) and np.all(dear < long)


def test_periods_per_month() -> None:
    assert periods_per_month("W") == pytest.approx(30.4375 / 7)
    assert periods_per_month("D") == pytest.approx(30.4375)
    assert periods_per_month("M") == 1.0
    with pytest.raises(ValueError, match="unsupported period"):
        periods_per_month("min")
