"""Spend per purchase (Gamma-Gamma) and customer lifetime value.

Gamma-Gamma (Fader, Hardie & Lee 2005, "RFM and CLV"): a customer's purchase values are
Gamma(p, ν) with ν ~ Gamma(q, v) across customers, independent of how often they buy. Fitted on
repeat buyers only (the mean of repeat purchases is what the model describes); customers whose
repeat purchases are worth 0 (free or fully refunded) are left out of the fit, since the model
needs positive values, but are still scored.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Self

import numpy as np
import pandas as pd
from scipy.special import digamma, gammaln

from activities.customers.errors import ModelFitError, NotEnoughData
from activities.customers.models import (
    MIN_REPEAT_BUYERS,
    ArrayLike,
    CustomerRows,
    TransactionModel,
    minimize_from,
)

DAYS_PER_MONTH = 365.25 / 12


def _scalars(params: np.ndarray) -> tuple[float, ...]:
    """The parameters one by one (numpy float64 scalars, so floats to the type checker)."""
    return tuple(params)


class GammaGamma:
    """Expected value of a customer's future purchases from their past repeat purchases."""

    name = "Gamma-Gamma"
    param_names = ("p", "q", "v")

    def __init__(self, penalizer: float = 0.0) -> None:
        if penalizer < 0:
            raise ValueError(f"penalizer must be >= 0, got {penalizer}")
        self.penalizer = float(penalizer)
        self._params: np.ndarray | None = None
        self.log_likelihood_: float | None = None
        self.n_customers_: int | None = None

    @classmethod
    def from_params(cls, p: float, q: float, v: float, penalizer: float = 0.0) -> Self:
        if min(p, q, v) <= 0 or not np.all(np.isfinite([p, q, v])):
            raise ValueError(f"Gamma-Gamma parameters must be positive, got p={p}, q={q}, v={v}")
        model = cls(penalizer)
        model._params = np.array([p, q, v], dtype=float)
        return model

    @property
    def params_(self) -> Mapping[str, float]:
        return MappingProxyType(
            {k: float(v) for k, v in zip(self.param_names, self._fitted(), strict=True)}
        )

    def fit(self, frequency: ArrayLike, monetary_value: ArrayLike) -> Self:
        """Maximum likelihood over customers with frequency > 0 and monetary_value > 0."""
        x, m = _spend_arrays(frequency, monetary_value)
        use = (x > 0) & (m > 0)
        repeat = int(use.sum())
        if repeat < MIN_REPEAT_BUYERS:
            raise NotEnoughData(
                "The Gamma-Gamma spend model",
                customers=len(x),
                repeat_buyers=repeat,
                needed_customers=MIN_REPEAT_BUYERS,
                needed_repeat_buyers=MIN_REPEAT_BUYERS,
            )
        x, m = x[use], m[use]
        scale = 1.0 / float(np.mean(m))  # money in units of the mean spend: v starts near 1
        terms = _SpendTerms(x, m * scale)

        def objective(log_params: np.ndarray) -> tuple[float, np.ndarray]:
            params = np.exp(log_params)
            ll, grad = terms.log_likelihood(params, with_gradient=True)
            value = -ll / len(x) + self.penalizer * float(np.sum(params**2))
            slope = (-grad / len(x) + 2 * self.penalizer * params) * params  # d / d log-param
            if not np.isfinite(value):
                return 1e300, np.zeros(3)
            return value, slope

        starts = [np.ones(3), np.array([2.0, 3.0, 2.0]), np.full(3, 0.3)]
        best = minimize_from(objective, starts, gradient=True)
        if best is None:
            raise ModelFitError("Gamma-Gamma: the likelihood was not finite at any start point")
        params = np.exp(best.x)
        params[2] /= scale
        self._params = params
        self.n_customers_ = repeat
        self.log_likelihood_ = _SpendTerms(x, m).log_likelihood(params)[0]
        return self

    def expected_average_value(
        self, frequency: ArrayLike, monetary_value: ArrayLike
    ) -> np.ndarray | pd.Series:
        """Posterior mean value of a future purchase: a weighted average of the customer's own
        mean and the population mean p v / (q - 1); NaN for everyone when q <= 1 (no mean)."""
        p, q, v = self._fitted()
        x, m = _spend_arrays(frequency, monetary_value)
        value = np.full(len(x), np.nan) if q <= 1 else p * (v + x * m) / (p * x + q - 1)
        if isinstance(frequency, pd.Series):
            return pd.Series(value, index=frequency.index)
        return value if np.ndim(frequency) else value[0]

    def clv(
        self,
        transaction_model: TransactionModel,
        frequency: ArrayLike,
        recency: ArrayLike,
        T: ArrayLike,
        monetary_value: ArrayLike,
        horizon_months: int = 12,
        monthly_discount_rate: float = 0.01,
        freq: str = "W",
    ) -> np.ndarray | pd.Series:
        """Discounted value of the next `horizon_months`; see `clv()`."""
        return clv(
            transaction_model,
            self,
            frequency,
            recency,
            T,
            monetary_value,
            horizon_months,
            monthly_discount_rate,
            freq,
        )

    def _fitted(self) -> np.ndarray:
        if self._params is None:
            raise RuntimeError("Gamma-Gamma is not fitted; call fit() or from_params() first")
        return self._params

    def __repr__(self) -> str:
        if self._params is None:
            return "GammaGamma(unfitted)"
        return "GammaGamma(" + ", ".join(f"{k}={v:.4g}" for k, v in self.params_.items()) + ")"


class _SpendTerms:
    """The Gamma-Gamma log-likelihood and its gradient, with what depends only on the
    frequency computed per distinct frequency: an evaluation costs one log over customers."""

    def __init__(self, x: np.ndarray, m: np.ndarray) -> None:
        self.values, self.counts = np.unique(x, return_counts=True)
        self.log_values = np.log(self.values)
        self.sum_log_m = float(np.sum(np.log(m)))
        self.sum_x_log_m = _dot(x, np.log(m))
        self.x, self.xm = x, x * m

    def log_likelihood(
        self, params: np.ndarray, with_gradient: bool = False
    ) -> tuple[float, np.ndarray]:
        """Total log-likelihood and (if asked) its gradient in (p, q, v)."""
        p, q, v = _scalars(params)
        px = p * self.values
        log_total = np.log(self.xm + v)  # log(x m + v), the only per-customer term
        per_frequency = gammaln(px + q) - gammaln(px) - gammaln(q) + q * np.log(v)
        ll = (
            _dot(self.counts, per_frequency + px * self.log_values)
            + p * self.sum_x_log_m
            - self.sum_log_m
            - _dot(p * self.x + q, log_total)
        )
        if not with_gradient:
            return ll, np.zeros(0)
        d_p = (
            _dot(self.counts * self.values, digamma(px + q) - digamma(px) + self.log_values)
            + self.sum_x_log_m
            - _dot(self.x, log_total)
        )
        d_q = _dot(self.counts, digamma(px + q) - digamma(q) + np.log(v)) - float(log_total.sum())
        d_v = q * len(self.x) / v - _dot(p * self.x + q, 1.0 / (self.xm + v))
        return ll, np.array([d_p, d_q, d_v])


def clv(
    transaction_model: TransactionModel,
    spend_model: GammaGamma,
    frequency: ArrayLike,
    recency: ArrayLike,
    T: ArrayLike,
    monetary_value: ArrayLike,
    horizon_months: int = 12,
    monthly_discount_rate: float = 0.01,
    freq: str = "W",
) -> np.ndarray | pd.Series:
    """Customer lifetime value over `horizon_months`, discounted monthly as lifetimes does:
    sum over months k of spend * (E[purchases by month k] - E[by month k-1]) / (1 + d)^k."""
    if horizon_months < 1 or int(horizon_months) != horizon_months:
        raise ValueError(f"horizon_months must be a whole number >= 1, got {horizon_months}")
    if monthly_discount_rate <= -1:
        raise ValueError(f"monthly_discount_rate must be > -1, got {monthly_discount_rate}")
    per_month = periods_per_month(freq)
    spend = np.asarray(spend_model.expected_average_value(frequency, monetary_value), dtype=float)
    rows = CustomerRows.collapse(frequency, recency, T)
    value = np.zeros(len(rows.frequency))
    previous = np.zeros(len(rows.frequency))
    for month in range(1, int(horizon_months) + 1):
        cumulative = np.asarray(
            transaction_model.expected_purchases(
                month * per_month, rows.frequency, rows.recency, rows.T
            )
        )
        value += (cumulative - previous) / (1 + monthly_discount_rate) ** month
        previous = cumulative
    result = np.atleast_1d(spend) * value[rows.inverse]
    if isinstance(frequency, pd.Series):
        return pd.Series(result, index=frequency.index)
    return result if np.ndim(frequency) else result[0]


def periods_per_month(freq: str) -> float:
    """How many periods of `freq` make an average month (30.44 days)."""
    try:
        offset = pd.PeriodDtype(freq).freq  # the period meaning of `freq`, as rfm_summary uses it
    except (ValueError, TypeError) as exc:
        raise ValueError(f"unsupported period frequency {freq!r}; use D, W, M or Q") from exc
    name = offset.name.split("-")[0]
    days = {"D": 1.0, "W": 7.0, "h": 1 / 24, "H": 1 / 24}.get(name)
    if days is not None:
        return DAYS_PER_MONTH / (days * offset.n)
    months = {"M": 1.0, "ME": 1.0, "MS": 1.0, "Q": 3.0, "QE": 3.0, "QS": 3.0}.get(name)
    if months is not None:
        return 1.0 / (months * offset.n)
    raise ValueError(f"unsupported period frequency {freq!r}; use D, W, M or Q")


def _dot(a: np.ndarray, b: np.ndarray) -> float:
    """Vector dot product without BLAS, whose threads spin for milliseconds on a busy host."""
    return float(np.sum(a * b))


def _spend_arrays(frequency: ArrayLike, monetary_value: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    x = np.atleast_1d(np.asarray(frequency, dtype=float))
    m = np.atleast_1d(np.asarray(monetary_value, dtype=float))
    if len(x) != len(m):
        raise ValueError(f"frequency and monetary_value differ in length: {len(x)} vs {len(m)}")
    bad = ~np.isfinite(x) | ~np.isfinite(m) | (x < 0) | (m < 0)
    if bad.any():
        raise ValueError(
            f"{int(bad.sum())} customer(s) have a negative or missing frequency or monetary_value "
            f"(first at position {np.argmax(bad)})"
        )
    return x, m
