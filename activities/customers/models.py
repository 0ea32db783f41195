"""Buy-till-you-die transaction models: BG/NBD, MBG/NBD and Pareto/NBD, fitted by maximum likelihood.

Every model reads the per-customer summary (frequency x, recency t_x, age T) of
`summary.rfm_summary`. Likelihoods are written in log space with scipy.special so that
customers with hundreds of purchases neither overflow nor underflow. Fitting and scoring work on
the distinct (x, t_x, T) rows with their counts as weights: with integer periods a million
customers collapse to tens of thousands of rows, which keeps both time and memory small.

Formulas: Fader, Hardie & Lee (2005) "Counting your customers the easy way" (BG/NBD);
Batislam, Denizel & Filiztekin (2007) (MBG/NBD); Fader & Hardie (2005) "A note on deriving the
Pareto/NBD model and related expressions". Hypergeometric terms are rewritten with the
Pfaff/Euler transformations so that their large parameters sit where the series stays bounded.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property
from types import MappingProxyType
from typing import Any, ClassVar, Self

import numpy as np
import pandas as pd
from scipy.optimize import OptimizeResult, minimize
from scipy.special import betaln, digamma, expit, gammaln, hyp2f1
from threadpoolctl import threadpool_limits  # pyright: ignore[reportMissingTypeStubs]

from activities.customers.errors import ModelFitError, NotEnoughData

ArrayLike = np.ndarray | pd.Series | float | int

MIN_CUSTOMERS = 30
MIN_REPEAT_BUYERS = 10
SCORING_CHUNK = 100_000  # distinct rows scored at once; bounds temporaries to a few MB
_LOG_PARAM_BOUNDS = (-12.0, 12.0)


def _scalars(params: np.ndarray) -> tuple[float, ...]:
    """The parameters one by one (numpy float64 scalars, so floats to the type checker)."""
    return tuple(params)


@dataclass(frozen=True)
class Pairs:
    """Distinct (frequency, y) pairs of some rows: hypergeometric terms that depend on no more
    are computed once per pair; with whole periods there are ~10x fewer pairs than rows."""

    x: np.ndarray
    y: np.ndarray
    codes: np.ndarray  # row -> pair
    first: np.ndarray  # pair -> a row holding it

    @classmethod
    def of(cls, x: np.ndarray, y: np.ndarray) -> Pairs:
        codes = _row_codes(x, y)
        first = np.zeros(codes.max() + 1 if len(codes) else 0, dtype=np.intp)
        first[codes] = np.arange(len(codes))
        return cls(x, y, codes, first)

    def apply(self, compute: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> np.ndarray:
        return compute(self.x[self.first], self.y[self.first])[self.codes]


@dataclass(frozen=True)
class Rows:
    """(frequency, recency, T) rows as the likelihoods read them, with lookups built once and
    reused by every evaluation of a fit."""

    x: np.ndarray
    tx: np.ndarray
    T: np.ndarray

    @cached_property
    def recency_pairs(self) -> Pairs:
        return Pairs.of(self.x, self.tx)

    @cached_property
    def age_pairs(self) -> Pairs:
        return Pairs.of(self.x, self.T)

    def part(self, rows: slice) -> Rows:
        return Rows(self.x[rows], self.tx[rows], self.T[rows])


@dataclass(frozen=True)
class CustomerRows:
    """Distinct (frequency, recency, T) rows, their counts, and the map back to customers."""

    frequency: np.ndarray
    recency: np.ndarray
    T: np.ndarray
    weights: np.ndarray
    inverse: np.ndarray

    @classmethod
    def collapse(
        cls,
        frequency: ArrayLike,
        recency: ArrayLike,
        T: ArrayLike,
        weights: ArrayLike | None = None,
    ) -> CustomerRows:
        x, tx, age = check_rfm(frequency, recency, T)
        w = np.ones(len(x)) if weights is None else _weights(weights, len(x))
        inverse = _row_codes(x, tx, age)
        first = np.zeros(inverse.max() + 1 if len(inverse) else 0, dtype=np.intp)
        first[inverse] = np.arange(len(inverse))  # any member represents its identical row
        return cls(
            frequency=x[first],
            recency=tx[first],
            T=age[first],
            weights=np.bincount(inverse, weights=w, minlength=len(first)),
            inverse=inverse,
        )

    def rows(self, time_scale: float = 1.0) -> Rows:
        return Rows(self.frequency, self.recency * time_scale, self.T * time_scale)


class TransactionModel(ABC):
    """Shared fitting and scoring; subclasses give the per-row log-likelihood and predictions."""

    name: ClassVar[str]
    param_names: ClassVar[tuple[str, ...]]
    time_params: ClassVar[tuple[str, ...]]  # parameters in units of time (scaled when fitting)

    def __init__(self, penalizer: float = 0.0) -> None:
        if penalizer < 0:
            raise ValueError(f"penalizer must be >= 0, got {penalizer}")
        self.penalizer = float(penalizer)
        self._params: np.ndarray | None = None
        self.log_likelihood_: float | None = None
        self.n_customers_: int | None = None
        self.converged_: bool | None = None

    @classmethod
    def from_params(cls, penalizer: float = 0.0, **params: float) -> Self:
        """A model with known parameters, e.g. loaded from the database or the truth in tests."""
        if set(params) != set(cls.param_names):
            raise ValueError(f"{cls.name} needs parameters {cls.param_names}, got {sorted(params)}")
        if any(not np.isfinite(v) or v <= 0 for v in params.values()):
            raise ValueError(f"{cls.name} parameters must be positive and finite, got {params}")
        model = cls(penalizer)
        model._params = np.array([float(params[p]) for p in cls.param_names])
        return model

    @property
    def params_(self) -> Mapping[str, float]:
        return MappingProxyType(
            {k: float(v) for k, v in zip(self.param_names, self._fitted(), strict=True)}
        )

    def fit(
        self,
        frequency: ArrayLike,
        recency: ArrayLike,
        T: ArrayLike,
        weights: ArrayLike | None = None,
    ) -> Self:
        """Maximum likelihood on log-parameters; `weights` counts customers per row."""
        rows = CustomerRows.collapse(frequency, recency, T, weights)
        customers = round(float(rows.weights.sum()))
        repeat = round(float(rows.weights[rows.frequency > 0].sum()))
        if customers < MIN_CUSTOMERS or repeat < MIN_REPEAT_BUYERS:
            raise NotEnoughData(
                f"The {self.name} model",
                customers=customers,
                repeat_buyers=repeat,
                needed_customers=MIN_CUSTOMERS,
                needed_repeat_buyers=MIN_REPEAT_BUYERS,
            )
        # Times are scaled so the oldest customer has age 10: the optimiser then starts near 1.
        scale = 10.0 / max(float(rows.T.max()), 1e-12)
        scaled = rows.rows(scale)
        w = rows.weights / rows.weights.sum()
        is_time = np.array([p in self.time_params for p in self.param_names])

        def objective(log_params: np.ndarray) -> float:
            params = np.exp(log_params)
            ll = self._log_likelihood(params, scaled)
            value = -float(np.sum(w * ll)) + self.penalizer * float(np.sum(params**2))
            return value if np.isfinite(value) else 1e300

        def gradient(log_params: np.ndarray) -> np.ndarray:
            params = np.exp(log_params)
            per_param = (self._gradient(params, scaled) * w).sum(axis=1)  # d mean ll / d param
            grad = -per_param * params + 2 * self.penalizer * params**2
            return np.where(np.isfinite(grad), grad, 0.0)

        best = minimize_from(objective, self._starts(), gradient if self._has_gradient else None)
        if best is None:
            raise ModelFitError(f"{self.name}: the likelihood was not finite at any start point")
        self.converged_ = bool(best.success)
        params = np.exp(best.x)
        params[is_time] /= scale
        self._params = params
        self.n_customers_ = customers
        self.log_likelihood_ = float(
            np.sum(rows.weights * self._log_likelihood(params, rows.rows()))
        )
        return self

    def log_likelihood(self, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike) -> float:
        """Total log-likelihood of the customers under the current parameters."""
        rows = CustomerRows.collapse(frequency, recency, T)
        ll = self._log_likelihood(self._fitted(), rows.rows())
        return float(np.sum(rows.weights * ll))

    def expected_purchases(
        self, t: float, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
    ) -> np.ndarray | pd.Series:
        """Expected number of purchases in the next `t` periods, given each customer's history."""
        if not np.isfinite(t) or t < 0:
            raise ValueError(f"t must be a finite number of periods >= 0, got {t}")
        params = self._fitted()
        return self._score(
            lambda part: self._expected(params, float(t), part),
            frequency,
            recency,
            T,
        )

    def p_alive(
        self, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
    ) -> np.ndarray | pd.Series:
        """Probability that each customer is still active at the end of observation."""
        params = self._fitted()
        return self._score(lambda part: self._p_alive(params, part), frequency, recency, T)

    def next_purchase_in(
        self, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
    ) -> np.ndarray | pd.Series:
        """Median periods from the end of observation to the next purchase if the customer stays.

        Given activity, the purchase rate's posterior is Gamma(r + x, alpha + T) in all three
        models, so the wait is Lomax and its median (alpha + T)(2^(1/(r + x)) - 1).
        """
        params = dict(zip(self.param_names, self._fitted(), strict=True))
        r, alpha = params["r"], params["alpha"]
        return self._score(
            lambda part: (alpha + part.T) * np.expm1(np.log(2.0) / (r + part.x)),
            frequency,
            recency,
            T,
        )

    def _score(
        self,
        compute: Callable[[Rows], np.ndarray],
        frequency: ArrayLike,
        recency: ArrayLike,
        T: ArrayLike,
    ) -> np.ndarray | pd.Series:
        """Evaluate on distinct rows in chunks, then spread back to customers."""
        customers = CustomerRows.collapse(frequency, recency, T)
        rows = customers.rows()
        out = np.empty(len(rows.x))
        for lo in range(0, len(out), SCORING_CHUNK):
            part = slice(lo, lo + SCORING_CHUNK)
            out[part] = compute(rows.part(part))
        result = out[customers.inverse]
        if isinstance(frequency, pd.Series):
            return pd.Series(result, index=frequency.index)
        return result if np.ndim(frequency) else result[0]

    def _fitted(self) -> np.ndarray:
        if self._params is None:
            raise RuntimeError(f"{self.name} is not fitted; call fit() or from_params() first")
        return self._params

    def _starts(self) -> list[np.ndarray]:
        k = len(self.param_names)
        return [np.ones(k), np.full(k, 0.3), np.full(k, 3.0)]

    _has_gradient: ClassVar[bool] = False

    def _gradient(self, params: np.ndarray, rows: Rows) -> np.ndarray:
        """d log-likelihood / d params, shape (n_params, rows); only if `_has_gradient`."""
        raise NotImplementedError

    @abstractmethod
    def _log_likelihood(self, params: np.ndarray, rows: Rows) -> np.ndarray: ...

    @abstractmethod
    def _expected(self, params: np.ndarray, t: float, rows: Rows) -> np.ndarray: ...

    @abstractmethod
    def _p_alive(self, params: np.ndarray, rows: Rows) -> np.ndarray: ...

    def __repr__(self) -> str:
        fitted = (
            ", ".join(f"{k}={v:.4g}" for k, v in self.params_.items())
            if self._params is not None
            else "unfitted"
        )
        return f"{type(self).__name__}({fitted})"


class BetaGeo(TransactionModel):
    """BG/NBD: Poisson purchases at rate λ ~ Gamma(r, α); after each repeat purchase the
    customer drops out with probability p ~ Beta(a, b)."""

    name = "BG/NBD"
    param_names = ("r", "alpha", "a", "b")
    time_params = ("alpha",)
    _extra_flip = 0  # dropout coin flips beyond one per repeat purchase (MBG/NBD: 1)

    def _log_likelihood(self, params: np.ndarray, rows: Rows) -> np.ndarray:
        r, alpha, a, b = _scalars(params)
        x, T = rows.x, rows.T
        k = self._extra_flip
        common = (
            gammaln(r + x)
            - gammaln(r)
            + r * np.log(alpha)
            + betaln(a, b + x + k)
            - betaln(a, b)
            - (r + x) * np.log(alpha + T)
        )
        return common + np.logaddexp(0.0, self._log_odds_dead(params, rows))

    def _log_odds_dead(self, params: np.ndarray, rows: Rows) -> np.ndarray:
        """log of P(dropped out after the last purchase) / P(still active), per customer."""
        r, alpha, a, b = _scalars(params)
        x, tx, T = rows.x, rows.tx, rows.T
        k = self._extra_flip
        with np.errstate(divide="ignore"):
            odds = (
                np.log(a)
                - np.log(np.maximum(b + x + k - 1, 1e-300))
                + (r + x) * (np.log(alpha + T) - np.log(alpha + tx))
            )
        if k:
            return odds
        return np.where(x > 0, odds, -np.inf)  # BG/NBD: nobody drops out before a repeat purchase

    _has_gradient = True

    def _gradient(self, params: np.ndarray, rows: Rows) -> np.ndarray:
        r, alpha, a, b = _scalars(params)
        x, tx, T = rows.x, rows.tx, rows.T
        k = self._extra_flip
        dead = expit(self._log_odds_dead(params, rows))  # share of the "dropped out" term
        log_ratio = np.log(alpha + T) - np.log(alpha + tx)
        after = a + b + x + k
        return np.stack(
            [
                digamma(r + x) - digamma(r) + np.log(alpha) - np.log(alpha + T) + dead * log_ratio,
                r / alpha
                - (r + x) / (alpha + T)
                + dead * (r + x) * (1 / (alpha + T) - 1 / (alpha + tx)),
                digamma(a + b) - digamma(after) + dead / a,
                digamma(b + x + k)
                - digamma(after)
                - digamma(b)
                + digamma(a + b)
                - dead / np.maximum(b + x + k - 1, 1e-300),
            ]
        )

    def _p_alive(self, params: np.ndarray, rows: Rows) -> np.ndarray:
        return expit(-self._log_odds_dead(params, rows))

    def _expected(self, params: np.ndarray, t: float, rows: Rows) -> np.ndarray:
        # E = P(alive) E_p[(1 - (1 + p u)^-(r+x)) / p], p ~ Beta(a, b + x + k), u = t/(α+T),
        # i.e. P(alive) (c/(a-1)) [1 - 2F1(r+x, a-1; c; -u)], c = a + b + x + k - 1, written with
        # Pfaff's transformation so the large parameter c stays in the denominator.
        r, alpha, a, b = _scalars(params)
        x, T = rows.x, rows.T
        a = a if abs(a - 1.0) > 1e-7 else 1.0 + 1e-7  # removable singularity at a = 1
        c = a + b + x + self._extra_flip - 1
        u = t / (alpha + T)
        hyp = np.exp((1 - a) * np.log1p(u)) * hyp2f1(c - r - x, a - 1, c, u / (1 + u))
        return self._p_alive(params, rows) * c / (a - 1) * (1 - hyp)


class ModifiedBetaGeo(BetaGeo):
    """MBG/NBD: as BG/NBD, but customers may also drop out right after their first purchase,
    so one-time buyers are not assumed alive forever."""

    name = "MBG/NBD"
    _extra_flip = 1


class ParetoNBD(TransactionModel):
    """Pareto/NBD: Poisson purchases at rate λ ~ Gamma(r, α) during an exponential lifetime
    with rate μ ~ Gamma(s, β)."""

    name = "Pareto/NBD"
    param_names = ("r", "alpha", "s", "beta")
    time_params = ("alpha", "beta")

    def _log_likelihood(self, params: np.ndarray, rows: Rows) -> np.ndarray:
        r, alpha, s, beta = _scalars(params)
        x, T = rows.x, rows.T
        head = gammaln(r + x) - gammaln(r) + r * np.log(alpha) + s * np.log(beta)
        alive = -(r + x) * np.log(alpha + T) - s * np.log(beta + T)
        return head + np.logaddexp(alive, alive + self._log_odds_dead(params, rows))

    def _log_odds_dead(self, params: np.ndarray, rows: Rows) -> np.ndarray:
        r, alpha, s, beta = _scalars(params)
        x, T = rows.x, rows.T
        return (
            np.log(s)
            - np.log(r + s + x)
            + (r + x) * np.log(alpha + T)
            + s * np.log(beta + T)
            + self._log_a0(params, rows)
        )

    @staticmethod
    def _log_a0(params: np.ndarray, rows: Rows) -> np.ndarray:
        """log A_0 = log[F(t_x) - F(T)] of Fader & Hardie (2005), eq. (ii)/(iii).

        F(y) = 2F1(m, b; m+1; z) / (M + y)^m with m = r+s+x, M = max(α, β),
        z = |α-β|/(M+y); Euler's transformation gives
        2F1(m, b; m+1; z) = (1-z)^(1-b) 2F1(1, m+1-b; m+1; z), whose series lies in [1, 1/(1-z)].
        """
        r, alpha, s, beta = _scalars(params)
        big, small = max(alpha, beta), min(alpha, beta)

        def log_f(x: np.ndarray, y: np.ndarray) -> np.ndarray:
            m = r + s + x
            b = s + 1 if alpha >= beta else r + x
            z = (big - small) / (big + y)
            log_1mz = np.log(small + y) - np.log(big + y)
            return (
                (1 - b) * log_1mz + np.log(hyp2f1(1.0, m + 1 - b, m + 1, z)) - m * np.log(big + y)
            )

        first, last = rows.recency_pairs.apply(log_f), rows.age_pairs.apply(log_f)
        return first + _log1mexp(np.minimum(last - first, 0.0))

    def _p_alive(self, params: np.ndarray, rows: Rows) -> np.ndarray:
        return expit(-self._log_odds_dead(params, rows))

    def _expected(self, params: np.ndarray, t: float, rows: Rows) -> np.ndarray:
        # Given alive: E[λ] E[(1 - e^{-μt})/μ] with λ ~ Gamma(r+x, α+T), μ ~ Gamma(s, β+T).
        r, alpha, s, beta = _scalars(params)
        x, T = rows.x, rows.T
        horizon = np.log1p(t / (beta + T))
        k = s - 1
        per_rate = horizon if abs(k) < 1e-10 else -np.expm1(-k * horizon) / k
        return self._p_alive(params, rows) * (r + x) / (alpha + T) * (beta + T) * per_rate


def minimize_from(
    objective: Callable[[np.ndarray], Any],
    starts: list[np.ndarray],
    gradient: Callable[[np.ndarray], np.ndarray] | bool | None = None,
) -> OptimizeResult | None:
    """L-BFGS-B on log-parameters from each start in turn until one converges; the best
    finite result, or None. BLAS is held to one thread: on a busy host its idle threads spin
    for milliseconds on every optimiser step, which made fits 2-3x slower."""
    best = None
    with threadpool_limits(limits=1, user_api="blas"):
        for start in starts:
            result = minimize(
                objective,
                np.log(start),
                jac=gradient,
                method="L-BFGS-B",
                bounds=[_LOG_PARAM_BOUNDS] * len(start),
            )
            if result.fun < 1e299 and (best is None or result.fun < best.fun):
                best = result
            if best is not None and best.success:
                break  # later starts only rescue a failed search
    return best


def check_rfm(
    frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The three columns as float arrays, or a ValueError naming what is inconsistent."""
    x, tx, age = (np.atleast_1d(np.asarray(v, dtype=float)) for v in (frequency, recency, T))
    if not (len(x) == len(tx) == len(age)):
        raise ValueError(
            f"frequency, recency and T differ in length: {len(x)}, {len(tx)}, {len(age)}"
        )
    problems = {
        "non-finite values": ~(np.isfinite(x) & np.isfinite(tx) & np.isfinite(age)),
        "negative frequency or recency": (x < 0) | (tx < 0),
        "recency greater than T": tx > age + 1e-9,
        "non-integer frequency": x != np.round(x),
        "recency > 0 with frequency 0": (x == 0) & (tx > 0),
    }
    for what, bad in problems.items():
        if bad.any():
            raise ValueError(
                f"{int(bad.sum())} customer(s) have {what} (first at position {np.argmax(bad)}); "
                "build the summary with rfm_summary()"
            )
    return x, tx, age


def _row_codes(*columns: np.ndarray) -> np.ndarray:
    """One integer per distinct row of the columns, 0..k-1 (hash factorising, no sort)."""
    codes = np.zeros(len(columns[0]), dtype=np.int64)
    for column in columns:
        column_codes, uniques = pd.factorize(column)
        # both factors are < n, so the combined key stays far below 2**63 for any real shop
        codes, _ = pd.factorize(codes * len(uniques) + column_codes)
    return codes


def _weights(weights: ArrayLike, n: int) -> np.ndarray:
    w = np.atleast_1d(np.asarray(weights, dtype=float))
    if len(w) != n or not np.all(np.isfinite(w)) or np.any(w < 0):
        raise ValueError(f"weights must be {n} finite non-negative numbers")
    return w


def _log1mexp(d: np.ndarray) -> np.ndarray:
    """log(1 - e^d) for d <= 0, accurate on both sides of -log 2; -inf at d = 0."""
    with np.errstate(divide="ignore"):
        return np.where(d > -np.log(2.0), np.log(-np.expm1(d)), np.log1p(-np.exp(d)))


TRANSACTION_MODELS: tuple[type[TransactionModel], ...] = (BetaGeo, ModifiedBetaGeo, ParetoNBD)
