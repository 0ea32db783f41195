"""BG/NBD, MBG/NBD and Pareto/NBD: recovery from simulated shops, closed forms, stability."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, stats
from scipy.special import gammaln

from activities.customers.analytics import (
    BetaGeo,
    ModifiedBetaGeo,
    NotEnoughData,
    ParetoNBD,
    TransactionModel,
)
from activities.customers.simulation import (
    SimulatedHistories,
    simulate_beta_geo,
    simulate_pareto_nbd,
)

# Sampling SD of each fitted parameter at 20 000 customers is 2-3 % here (measured over 15
# seeds), so the 10 % tolerance is >= 3 SD and the fixed seed is not a lucky one.
BG_TRUTH = {"r": 1.0, "alpha": 4.0, "a": 2.0, "b": 4.0}
MBG_TRUTH = {"r": 0.5, "alpha": 5.0, "a": 0.9, "b": 3.0}
PARETO_TRUTH = {"r": 0.55, "alpha": 10.6, "s": 0.6, "beta": 11.7}


def simulated(
    simulate: Callable[..., SimulatedHistories],
    truth: dict[str, float],
    seed: int,
    n: int = 20_000,
    **kw: bool,
) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return simulate(n, **truth, T=rng.uniform(52, 156, n), rng=rng, **kw).summary()


@pytest.fixture(scope="module")
def bg_shop() -> pd.DataFrame:
    return simulated(simulate_beta_geo, BG_TRUTH, seed=11)


def fit(cls: type[TransactionModel], shop: pd.DataFrame) -> TransactionModel:
    return cls().fit(shop["frequency"], shop["recency"], shop["T"])


def test_bg_nbd_recovers_parameters_within_ten_percent(bg_shop: pd.DataFrame) -> None:
    params = fit(BetaGeo, bg_shop).params_
    for name, true in BG_TRUTH.items():
        assert params[name] == pytest.approx(true, rel=0.10), name


def test_mbg_nbd_recovers_parameters(bg_shop: pd.DataFrame) -> None:
    shop = simulated(simulate_beta_geo, MBG_TRUTH, seed=12, modified=True)
    model = fit(ModifiedBetaGeo, shop)
    for name, true in MBG_TRUTH.items():
        assert model.params_[name] == pytest.approx(true, rel=0.15), name
    wrong = ModifiedBetaGeo.from_params(**{**MBG_TRUTH, "a": 3.0})
    columns = (shop["frequency"], shop["recency"], shop["T"])
    assert model.log_likelihood(*columns) > wrong.log_likelihood(*columns)


def test_pareto_nbd_fit_is_a_maximum_and_beats_wrong_parameters() -> None:
    shop = simulated(simulate_pareto_nbd, PARETO_TRUTH, seed=13, n=10_000)
    columns = (shop["frequency"], shop["recency"], shop["T"])
    model = ParetoNBD().fit(*columns)
    truth = ParetoNBD.from_params(**PARETO_TRUTH)
    wrong = ParetoNBD.from_params(r=0.55, alpha=10.6, s=2.0, beta=2.0)
    assert model.log_likelihood(*columns) >= truth.log_likelihood(*columns)
    assert truth.log_likelihood(*columns) > wrong.log_likelihood(*columns) + 100
    assert model.params_["r"] == pytest.approx(PARETO_TRUTH["r"], rel=0.15)
    assert model.params_["alpha"] == pytest.approx(PARETO_TRUTH["alpha"], rel=0.15)
    # dropout parameters are weakly identified; the fitted model must still predict like the truth
    horizon = 26.0
    assert model.expected_purchases(horizon, *columns).mean() == pytest.approx(
        truth.expected_purchases(horizon, *columns).mean(), rel=0.05
    )


@pytest.mark.parametrize(
    ("params", "x", "tx", "T"),
    [
        ((0.55, 10.6, 0.6, 11.7), 0, 0, 30),
        ((0.55, 10.6, 0.6, 11.7), 4, 28, 30),
        ((2.0, 3.0, 0.5, 20.0), 1, 5, 30),  # alpha < beta takes the other branch
        ((1.0, 20.0, 2.0, 2.0), 2, 10, 10),
    ],
)
def test_pareto_likelihood_equals_the_integral_it_stands_for(
    params: tuple[float, float, float, float], x: float, tx: float, T: float
) -> None:
    # Alive at T, or died at some tau in (t_x, T]; λ and μ averaged out under their Gammas:
    # E[λ^x e^{-λτ}] = Γ(r+x)/Γ(r) α^r (α+τ)^-(r+x) and E[μ e^{-μτ}] = s β^s (β+τ)^-(s+1).
    r, alpha, s, beta = params
    head = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    alive = (alpha + T) ** -(r + x) * (beta / (beta + T)) ** s
    died, _ = integrate.quad(
        lambda tau: (alpha + tau) ** -(r + x) * s * beta**s * (beta + tau) ** -(s + 1),
        tx,
        T,
        epsabs=0,
        epsrel=1e-12,
    )
    model = ParetoNBD.from_params(r=r, alpha=alpha, s=s, beta=beta)
    assert model.log_likelihood([x], [tx], [T]) == pytest.approx(
        head + np.log(alive + died), abs=1e-9
    )


@pytest.mark.parametrize("cls", [BetaGeo, ModifiedBetaGeo])
@pytest.mark.parametrize(("x", "tx", "T"), [(0, 0, 30), (3, 20, 30), (60, 50, 52)])
@pytest.mark.parametrize("t", [1.0, 26.0, 500.0])
def test_bg_expected_purchases_equal_the_posterior_integral(
    cls: type[BetaGeo], x: float, tx: float, T: float, t: float
) -> None:
    r, alpha, a, b = 0.7, 3.0, 1.6, 4.0
    model = cls.from_params(r=r, alpha=alpha, a=a, b=b)
    flips = 1 if cls is ModifiedBetaGeo else 0
    u = t / (alpha + T)

    def given_alive(p: float) -> float:  # E[purchases | alive, p], averaged over λ's posterior
        return (1 - (1 + p * u) ** -(r + x)) / p * stats.beta.pdf(p, a, b + x + flips)

    value, _ = integrate.quad(given_alive, 0, 1, limit=200)
    expected = model.p_alive(x, tx, T) * value
    assert model.expected_purchases(t, x, tx, T) == pytest.approx(expected, rel=1e-7)


def test_bg_nbd_one_time_buyers_are_alive_and_mbg_pareto_are_not() -> None:
    bg = BetaGeo.from_params(**BG_TRUTH)
    assert np.all(bg.p_alive([0, 0, 0], [0, 0, 0], [1, 50, 500]) == 1.0)
    mbg = ModifiedBetaGeo.from_params(**BG_TRUTH)
    pareto = ParetoNBD.from_params(**PARETO_TRUTH)
    for model in (mbg, pareto):
        alive = model.p_alive([0, 0], [0, 0], [5, 100])
        assert 0 < alive[1] < alive[0] < 1


@pytest.mark.parametrize("cls", [BetaGeo, ModifiedBetaGeo, ParetoNBD])
def test_expected_purchases_start_at_zero_and_grow_with_the_horizon(
    cls: type[TransactionModel],
) -> None:
    truth = PARETO_TRUTH if cls is ParetoNBD else BG_TRUTH
    model = cls.from_params(**truth)
    x, tx, T = np.array([0, 2, 10]), np.array([0, 10, 40]), np.array([30, 30, 52])
    assert np.all(model.expected_purchases(0.0, x, tx, T) == 0)
    horizons = [1, 4, 13, 52, 520]
    curves = np.array([model.expected_purchases(t, x, tx, T) for t in horizons])
    assert np.all(np.diff(curves, axis=0) > 0)


@pytest.mark.parametrize("cls", [BetaGeo, ModifiedBetaGeo, ParetoNBD])
def test_longer_silence_lowers_p_alive(cls: type[TransactionModel]) -> None:
    model = cls.from_params(**(PARETO_TRUTH if cls is ParetoNBD else BG_TRUTH))
    alive = model.p_alive([5, 5, 5], [50, 30, 10], [52, 52, 52])
    assert 1 >= alive[0] > alive[1] > alive[2] > 0


@pytest.mark.parametrize("cls", [BetaGeo, ModifiedBetaGeo, ParetoNBD])
def test_huge_frequencies_stay_finite(cls: type[TransactionModel]) -> None:
    model = cls.from_params(
        r=0.5, alpha=0.1, **({"s": 0.6, "beta": 200} if cls is ParetoNBD else {"a": 0.6, "b": 200})
    )
    x, tx, T = [800, 5000, 5000], [100, 99, 104], [104, 104, 104]
    for values in (
        model.p_alive(x, tx, T),
        model.expected_purchases(10, x, tx, T),
        [model.log_likelihood(x, tx, T)],
    ):
        assert np.all(np.isfinite(values))
    alive = model.p_alive(x, tx, T)
    assert alive[1] < 1e-50  # 50 purchases a week, then five silent weeks
    assert alive[2] > 0.9  # bought in the last week


def test_fitting_distinct_rows_with_weights_equals_fitting_every_customer(
    bg_shop: pd.DataFrame,
) -> None:
    weekly = bg_shop.assign(recency=np.floor(bg_shop["recency"]), T=np.floor(bg_shop["T"]))
    rows = weekly.groupby(["frequency", "recency", "T"]).size().reset_index(name="n")
    by_customer = fit(BetaGeo, weekly).params_
    by_row = BetaGeo().fit(rows["frequency"], rows["recency"], rows["T"], weights=rows["n"]).params_
    for name in BG_TRUTH:
        assert by_row[name] == pytest.approx(by_customer[name], rel=1e-4)


def test_series_in_series_out_with_the_same_index(bg_shop: pd.DataFrame) -> None:
    model = BetaGeo.from_params(**BG_TRUTH)
    shop = bg_shop.iloc[:5].set_axis(list("vwxyz"))
    alive = model.p_alive(shop["frequency"], shop["recency"], shop["T"])
    assert isinstance(alive, pd.Series)
    assert list(alive.index) == list("vwxyz")


def test_three_customers_are_not_enough_and_the_message_says_so() -> None:
    with pytest.raises(NotEnoughData) as caught:
        BetaGeo().fit([0, 2, 1], [0, 5, 3], [10, 10, 10])
    message = str(caught.value)
    assert "found 3 customers and 2 repeat buyers" in message
    assert "at least 30 customers" in message
    assert (caught.value.customers, caught.value.repeat_buyers) == (3, 2)


def test_many_customers_without_repeat_buyers_are_not_enough() -> None:
    with pytest.raises(NotEnoughData, match="found 500 customers and 0 repeat buyers"):
        ParetoNBD().fit(np.zeros(500), np.zeros(500), np.full(500, 20.0))


@pytest.mark.parametrize(
    ("x", "tx", "T", "problem"),
    [
        ([1, 2], [5, 30], [10, 20], "recency greater than T"),
        ([0, 2], [3, 3], [10, 20], "recency > 0 with frequency 0"),
        ([1.5, 2], [3, 3], [10, 20], "non-integer frequency"),
        ([1, np.nan], [3, 3], [10, 20], "non-finite"),
        ([1, 2], [3, 3], [10], "differ in length"),
    ],
)
def test_inconsistent_summaries_are_refused(
    x: list[float], tx: list[float], T: list[float], problem: str
) -> None:
    with pytest.raises(ValueError, match=problem):
        BetaGeo.from_params(**BG_TRUTH).p_alive(x, tx, T)


def test_parameters_must_be_named_and_fitted() -> None:
    with pytest.raises(ValueError, match="needs parameters"):
        BetaGeo.from_params(r=1, alpha=1, s=1, beta=1)
    with pytest.raises(RuntimeError, match="not fitted"):
        BetaGeo().p_alive([1], [1], [2])
