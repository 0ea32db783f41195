"""Customers drawn from the models' own generative stories: ground truth for tests and benchmarks.

Each simulator follows its paper's process literally (draw the latent rates per customer, then
walk purchase by purchase), so a fit that recovers the parameters checks the likelihood, not a
shortcut shared with it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd


@dataclass(frozen=True)
class SimulatedHistories:
    """Purchase times (periods since each customer's first purchase) and ages at the end."""

    customer: np.ndarray  # customer index per repeat purchase
    time: np.ndarray  # time of each repeat purchase since the first purchase
    T: np.ndarray  # per customer: age at the end of observation

    def summary(self, end: np.ndarray | None = None) -> pd.DataFrame:
        """frequency, recency, T in continuous time, up to age `end` (default: T)."""
        age = self.T if end is None else end
        keep = self.time <= age[self.customer]
        frequency = np.bincount(self.customer[keep], minlength=len(age)).astype(float)
        recency = np.zeros(len(age))
        np.maximum.at(recency, self.customer[keep], self.time[keep])
        return pd.DataFrame({"frequency": frequency, "recency": recency, "T": age.astype(float)})


def simulate_beta_geo(
    n: int,
    r: float,
    alpha: float,
    a: float,
    b: float,
    T: np.ndarray | float,
    rng: np.random.Generator,
    *,
    modified: bool = False,
) -> SimulatedHistories:
    """BG/NBD (or MBG/NBD when `modified`): exponential gaps at rate λ ~ Gamma(r, α); after
    each repeat purchase (MBG: also right after the first) the customer leaves with p ~ Beta(a, b)."""
    age = np.broadcast_to(np.asarray(T, dtype=float), (n,)).copy()
    rate = rng.gamma(r, 1.0 / alpha, n)
    p = rng.beta(a, b, n)
    active = np.ones(n, dtype=bool) if not modified else rng.random(n) >= p
    return _walk(rate, age, active, rng, lambda idx: rng.random(len(idx)) < p[idx])


def simulate_pareto_nbd(
    n: int,
    r: float,
    alpha: float,
    s: float,
    beta: float,
    T: np.ndarray | float,
    rng: np.random.Generator,
) -> SimulatedHistories:
    """Pareto/NBD: Poisson purchases at λ ~ Gamma(r, α) until an exponential lifetime
    with rate μ ~ Gamma(s, β) ends."""
    age = np.broadcast_to(np.asarray(T, dtype=float), (n,)).copy()
    rate = rng.gamma(r, 1.0 / alpha, n)
    lifetime = rng.exponential(1.0 / rng.gamma(s, 1.0 / beta, n))
    horizon = np.minimum(age, lifetime)
    history = _walk(rate, horizon, np.ones(n, dtype=bool), rng, None)
    return SimulatedHistories(history.customer, history.time, age)


def simulate_spend(
    frequency: np.ndarray, p: float, q: float, v: float, rng: np.random.Generator
) -> np.ndarray:
    """Gamma-Gamma: each customer's purchases are Gamma(p, ν) with ν ~ Gamma(q, v); returns the
    mean of the `frequency` repeat purchases (0 for customers without any)."""
    nu = rng.gamma(q, 1.0 / v, len(frequency))
    counts = frequency.astype(int)
    totals = rng.gamma(p * np.maximum(counts, 1), 1.0 / nu)  # sum of k Gamma(p, ν) is Gamma(kp, ν)
    return np.where(counts > 0, totals / np.maximum(counts, 1), 0.0)


def simulate_transactions(
    n: int,
    *,
    start: str = "2023-01-01",
    days: int = 730,
    r: float = 0.6,
    alpha: float = 40.0,
    a: float = 0.8,
    b: float = 4.0,
    p: float = 6.0,
    q: float = 4.0,
    v: float = 3000.0,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """An order table (customer_id, created_at, total) for `n` customers of a BG/NBD shop.

    Rates are per day; customers' first orders are spread uniformly over the window, order
    values follow Gamma-Gamma (so also the first order), and 2 % of orders are refunded later.
    """
    first = rng.uniform(0, days, n)
    history = simulate_beta_geo(n, r, alpha, a, b, days - first, rng)
    customer = np.concatenate([np.arange(n), history.customer])
    offset = np.concatenate([first, first[history.customer] + history.time])
    nu = rng.gamma(q, 1.0 / v, n)
    total = np.round(rng.gamma(p, 1.0 / nu[customer]), 2)
    refunded = rng.random(len(customer)) < 0.02
    refund_offset = np.minimum(offset[refunded] + rng.uniform(1, 20, int(refunded.sum())), days - 1e-6)
    customer = np.concatenate([customer, customer[refunded]])
    offset = np.concatenate([offset, refund_offset])
    total = np.concatenate([total, -total[refunded]])
    created = pd.Timestamp(start) + pd.to_timedelta(np.round(offset * 86_400), unit="s")
    order = np.argsort(offset, kind="stable")
    return pd.DataFrame(
        {"customer_id": customer[order], "created_at": created[order], "total": total[order]}
    )


def _walk(
    rate: np.ndarray,
    horizon: np.ndarray,
    active: np.ndarray,
    rng: np.random.Generator,
    drops_out: Callable[[np.ndarray], np.ndarray] | None,  # indices -> who leaves now
) -> SimulatedHistories:
    """Purchase times with exponential gaps up to `horizon`, for all customers at once."""
    clock = np.zeros(len(rate))
    idx = np.flatnonzero(active & (rate > 0))
    customers: list[npt.NDArray[np.intp]] = []
    times: list[npt.NDArray[np.float64]] = []
    while len(idx):
        clock[idx] += rng.exponential(1.0 / rate[idx])
        idx = idx[clock[idx] <= horizon[idx]]
        customers.append(idx)
        times.append(clock[idx].copy())
        if drops_out is not None:
            idx = idx[~drops_out(idx)]
    return SimulatedHistories(
        customer=np.concatenate(customers) if customers else np.zeros(0, dtype=int),
        time=np.concatenate(times) if times else np.zeros(0),
        T=horizon,
    )


def simulate_price_response(
    weeks: int,
    prices: dict[str, np.ndarray],
    elasticities: dict[str, float],
    base_units: dict[str, float],
    rng: np.random.Generator,
    *,
    season_amplitude: float = 0.3,
) -> pd.DataFrame:
    """Weekly sales (code, week, units, price) of products whose demand follows a constant
    elasticity: units ~ Poisson(base · season_w · (price_w / first price)^elasticity), with one
    yearly season shared by every product (what the shop-wide control has to absorb). Weeks
    without a sale are left out, as the order data has no row for them."""
    week = np.arange(weeks)
    season = 1 + season_amplitude * np.sin(2 * np.pi * week / 52)
    frames: list[pd.DataFrame] = []
    for code, price in prices.items():
        mean: npt.NDArray[np.float64] = (
            base_units[code] * season * (price / price[0]) ** elasticities[code]
        )
        units = rng.poisson(mean)
        frames.append(pd.DataFrame({"code": code, "week": week, "units": units, "price": price}))
    sales = pd.concat(frames, ignore_index=True)
    return sales.loc[sales["units"] > 0].reset_index(drop=True)
