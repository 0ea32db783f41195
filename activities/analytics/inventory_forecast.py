"""Demand forecasts per variant: model chosen per demand class by rolling-origin backtest.

The pipeline, per chunk of variants (all vectorised over a periods × variants array):
1. classify each series (ADI / CV²) into the smooth family (smooth, erratic) or the
   intermittent family (intermittent, lumpy);
2. estimate calendar effects (holidays, Black Friday, pre-Christmas) as multipliers against a
   local seasonal baseline, shrunk toward the effect pooled over the other variants, and divide them
   out of the history;
3. censored (stock-out) periods: smooth-family series get the baseline's value there (a local
   level times a seasonal index, fitted on observed periods only); intermittent-family series
   drop those periods, since their models have no calendar; both exclude them from the loss;
4. detect seasonality (ACF test at the calendar cycle, STL strength) for smooth series;
5. backtest the candidate models of each group with statsforecast (rolling origin, n windows)
   and keep, per series, the model with the lowest squared error on observed periods;
6. forecast with the chosen model, multiply the calendar effects back in and attach 80 %
   intervals: native ones where the model has them, otherwise empirical quantiles of its
   backtest errors.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from scipy.stats import norm
from statsforecast import StatsForecast
from statsforecast.models import (
    ADIDA,
    IMAPA,
    MSTL,
    TSB,
    AutoARIMA,
    AutoETS,
    CrostonSBA,
    HistoricAverage,
    SeasonalNaive,
)

from activities.analytics.inventory_calendar import EVENTS, shopping_calendar
from activities.analytics.inventory_demand import (
    ACF_CRITICAL,
    MIN_SEASONAL_STRENGTH,
    DemandPattern,
    acf_statistics,
    continue_index,
    demand_values,
    natural_season,
    pattern_of,
    profile_arrays,
    regular_periods,
    seasonal_strength,
)

LEVEL = 80
QUANTILES = ((100 - LEVEL) / 200, 1 - (100 - LEVEL) / 200)
# Weight, in Poisson-equivalent units of baseline demand, that pulls a variant's calendar effect
# toward the effect pooled over all variants (and the pooled one toward none).
EFFECT_PRIOR = 20.0
EFFECT_RANGE = (0.05, 20.0)
# AutoARIMA is 10–100× slower than ETS on long daily series; it joins the candidates only where
# it is cheap or where it is needed (external regressors).
ARIMA_MAX_LENGTH = 260
# Centred window of the local level used as baseline and for imputation, per frequency.
BASELINE_WINDOW = {"D": 57, "B": 41, "W": 9, "M": 5}
MIN_TRAIN = 20
INTERMITTENT_FAMILY = {DemandPattern.INTERMITTENT, DemandPattern.LUMPY}
NATIVE_INTERVALS = {"AutoETS", "MSTL", "MSTL_ARIMA", "AutoARIMA", "SeasonalNaive", "SES"}
SELECTABLE = {
    "smooth": ("AutoETS", "MSTL", "MSTL_ARIMA", "AutoARIMA", "SeasonalNaive"),
    "intermittent": ("TSB", "CrostonSBA", "ADIDA", "IMAPA"),
}
NO_HISTORY = "insufficient_history"


class BatchForecast(NamedTuple):
    forecasts: pd.DataFrame  # long: variant_id, period, mean, lo, hi, naive
    summary: pd.DataFrame  # one row per variant: class, seasonality, effects, model, accuracy


@dataclass
class _Chunk:
    """Prepared arrays of one chunk of variants; rows are periods, columns variants."""

    variants: pd.Index
    raw: np.ndarray  # demand as given, NaN = censored or not yet listed
    prepared: np.ndarray  # effects divided out, censored filled from the baseline
    listed: np.ndarray
    observed: np.ndarray
    effect_hist: np.ndarray  # multiplier per period and variant
    effect_future: np.ndarray
    effects: np.ndarray  # events × variants
    adi: np.ndarray
    cv2: np.ndarray
    family: np.ndarray  # "smooth" / "intermittent"


# --------------------------------------------------------------------------- inputs


def _check_horizon(horizon: int) -> None:
    if isinstance(horizon, bool) or not isinstance(horizon, int | np.integer) or horizon < 1:
        raise ValueError(f"horizon must be a positive whole number of periods, got {horizon!r}")


def _season_request(season_length: int | Sequence[int] | None) -> tuple[int, ...] | None:
    if season_length is None:
        return None
    seasons = (
        (season_length,) if isinstance(season_length, int | np.integer) else tuple(season_length)
    )
    if not seasons or any(int(m) < 1 for m in seasons):
        raise ValueError(
            f"season_length must be None, a positive int or a list, got {season_length!r}"
        )
    return tuple(sorted(int(m) for m in seasons if m > 1))


def _regressor_values(
    regressors: pd.DataFrame | None, periods: pd.PeriodIndex, horizon: int
) -> np.ndarray | None:
    """External regressors aligned to history + horizon, or a ValueError naming the gap."""
    if regressors is None:
        return None
    if not isinstance(regressors, pd.DataFrame) or regressors.shape[1] == 0:
        raise ValueError("regressors must be a DataFrame with one column per regressor")
    given = regular_periods(regressors.index, "regressors")
    needed = pd.period_range(periods[0], periods[-1] + horizon, freq=periods.freq)
    if given.freqstr != periods.freqstr:
        raise ValueError(f"regressors are {given.freqstr}, demand is {periods.freqstr}")
    try:
        values = regressors.set_axis(given).reindex(needed).to_numpy(dtype=float)
    except (TypeError, ValueError) as error:
        raise ValueError(f"regressors must be numeric: {error}") from None
    if np.isinf(values).any():
        raise ValueError("regressors contain infinite values")
    if np.isnan(values).any():
        missing = needed[np.isnan(values).any(axis=1)]
        raise ValueError(
            f"regressors must cover every history period and the {horizon} forecast periods; "
            f"missing or NaN at {missing[0]} .. {missing[-1]} ({len(missing)} periods)"
        )
    return values


# --------------------------------------------------------------------------- preparation


def _centred_mean(values: np.ndarray, usable: np.ndarray, window: int) -> np.ndarray:
    """Mean of usable cells in a centred window along the rows; NaN where none are usable."""
    half = window // 2
    rows = values.shape[0]
    zero = np.zeros((1, values.shape[1]))
    sums = np.vstack([zero, np.cumsum(np.where(usable, values, 0.0), axis=0)])
    counts = np.vstack([zero, np.cumsum(usable, axis=0)])
    upper = np.minimum(np.arange(rows) + half + 1, rows)
    lower = np.maximum(np.arange(rows) - half, 0)
    total, count = sums[upper] - sums[lower], counts[upper] - counts[lower]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / count, np.nan)


def _baseline(
    values: np.ndarray,
    usable: np.ndarray,
    phase: np.ndarray,
    m: int,
    window: int,
    seasonal: np.ndarray,
) -> np.ndarray:
    """Local level × seasonal index (per phase of the calendar cycle), from usable cells only."""
    level = _centred_mean(values, usable, window)
    count = usable.sum(axis=0)
    overall = np.where(usable, values, 0.0).sum(axis=0) / np.maximum(count, 1)
    level = np.where(np.isnan(level), overall, level)
    if m < 2 or not seasonal.any():
        return level
    fit = usable & (level > 0)
    ratio = np.where(fit, values / np.where(level > 0, level, 1.0), 0.0)
    index = np.ones((m, values.shape[1]))
    for p in range(m):
        rows = phase == p
        n = fit[rows].sum(axis=0)
        index[p] = np.where(n >= 3, ratio[rows].sum(axis=0) / np.maximum(n, 1), 1.0)
    index /= index.mean(axis=0)
    index[:, ~seasonal] = 1.0
    return level * index[phase]


def _effect_sums(
    values: np.ndarray, baseline: np.ndarray, observed: np.ndarray, shares: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Σ share·demand and Σ share·baseline per event and variant, on periods of that event alone.

    Both are divided by the variant's dispersion (variance / mean, at least 1), so a lumpy
    variant's few big orders count as the little evidence they are.
    """
    alone = (shares > 0).sum(axis=1) == 1
    weights = np.where(alone[:, None], shares, 0.0)  # periods × events
    demand = np.where(observed, values, 0.0)
    base = np.where(observed, baseline, 0.0)
    quiet = observed & (shares.sum(axis=1) == 0)[:, None]
    n = np.maximum(quiet.sum(axis=0), 1)
    mean = np.where(quiet, values, 0.0).sum(axis=0) / n
    var = np.where(quiet, (values - mean) ** 2, 0.0).sum(axis=0) / n
    dispersion = np.maximum(var / np.where(mean > 0, mean, 1.0), 1.0)
    return weights.T @ demand / dispersion, weights.T @ base / dispersion


def _shrunk_effects(
    sum_demand: np.ndarray, sum_base: np.ndarray, totals: tuple[np.ndarray, np.ndarray]
) -> np.ndarray:
    """Effect per event and variant, shrunk toward the effect pooled over the other variants.

    The pooled effect leaves the variant itself out (so a lone series is shrunk toward no
    effect, not toward itself) and is itself shrunk toward 1.
    """
    others_demand = totals[0][:, None] - sum_demand
    others_base = totals[1][:, None] - sum_base
    pooled = (others_demand + EFFECT_PRIOR) / (others_base + EFFECT_PRIOR)
    effects = (sum_demand + EFFECT_PRIOR * pooled) / (sum_base + EFFECT_PRIOR)
    return np.clip(effects, *EFFECT_RANGE)


def _multipliers(shares: np.ndarray, effects: np.ndarray) -> np.ndarray:
    """Per period and variant: Π_e (1 + share_e · (effect_e − 1))."""
    result = np.ones((shares.shape[0], effects.shape[1]))
    for e in range(shares.shape[1]):
        result *= 1.0 + shares[:, e : e + 1] * (effects[e] - 1.0)
    return result


class _Calendar(NamedTuple):
    periods: pd.PeriodIndex
    shares_hist: np.ndarray  # periods × events
    shares_future: np.ndarray
    phase: np.ndarray
    m_base: int
    window: int


def _calendar(periods: pd.PeriodIndex, horizon: int, holidays: str | None) -> _Calendar:
    m_base = natural_season(periods)
    freq = periods.freqstr.split("-")[0].upper()
    window = BASELINE_WINDOW.get(freq, 9)
    everything = pd.period_range(periods[0], periods[-1] + horizon, freq=periods.freq)
    if holidays is None:
        shares = np.zeros((len(everything), len(EVENTS)))
    else:
        shares = shopping_calendar(everything, holidays)[list(EVENTS)].to_numpy()
    phase = (periods.asi8 % m_base) if m_base > 1 else np.zeros(len(periods), dtype=int)
    n = len(periods)
    return _Calendar(periods, shares[:n], shares[n:], phase, m_base, window)


def _first_pass(raw: np.ndarray, cal: _Calendar) -> tuple[Any, ...]:
    observed = ~np.isnan(raw)
    adi, cv2 = profile_arrays(raw)
    family = np.where(adi >= 1.32, "intermittent", "smooth")
    quiet = cal.shares_hist.sum(axis=1) == 0
    usable = observed & quiet[:, None]
    baseline = _baseline(raw, usable, cal.phase, cal.m_base, cal.window, family == "smooth")
    sum_demand, sum_base = _effect_sums(raw, baseline, observed, cal.shares_hist)
    return observed, adi, cv2, family, baseline, sum_demand, sum_base


def _prepare(frame: pd.DataFrame, cal: _Calendar, totals: tuple[np.ndarray, np.ndarray]) -> _Chunk:
    raw = demand_values(frame, "demand frame")
    observed, adi, cv2, family, baseline, sum_demand, sum_base = _first_pass(raw, cal)
    effects = _shrunk_effects(sum_demand, sum_base, totals)
    listed = np.maximum.accumulate(observed, axis=0)
    effect_hist = _multipliers(cal.shares_hist, effects)
    prepared = np.where(observed, raw / effect_hist, baseline)
    prepared[~listed] = np.nan
    return _Chunk(
        frame.columns,
        raw,
        prepared,
        listed,
        observed,
        effect_hist,
        _multipliers(cal.shares_future, effects),
        effects,
        adi,
        cv2,
        family,
    )


# --------------------------------------------------------------------------- model groups


def _candidates(
    family: str, season: tuple[int, ...], m_naive: int, length: int, with_regressors: bool
) -> list[Any]:
    naive = SeasonalNaive(season_length=m_naive, alias="SeasonalNaive")
    if family == "intermittent":
        return [TSB(alpha_d=0.1, alpha_p=0.1), CrostonSBA(), ADIDA(), IMAPA(), naive]
    m = season[0] if season else 1
    models: list[Any] = [
        AutoETS(season_length=m, model="ZNZ" if season else "ZZN", alias="AutoETS")
    ]
    if season:
        periods = list(season) if len(season) > 1 else m
        models.append(
            MSTL(season_length=periods, trend_forecaster=AutoETS(model="ZZN"), alias="MSTL")
        )
    if with_regressors:
        arima = AutoARIMA(season_length=1, alias="AutoARIMA")
        models.append(
            MSTL(season_length=periods, trend_forecaster=arima, alias="MSTL_ARIMA")
            if season
            else arima
        )
    elif length <= ARIMA_MAX_LENGTH:
        models.append(AutoARIMA(season_length=m, alias="AutoARIMA"))
    return [*models, naive]


class _Group(NamedTuple):
    family: str  # "smooth", "intermittent" or "short"
    season: tuple[int, ...]
    m_naive: int


def _long_frame(
    chunk: _Chunk, cols: np.ndarray, family: str, regressors: np.ndarray | None
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """statsforecast input (integer time) plus each row's period position and column."""
    rows = chunk.listed[:, cols] & (chunk.observed[:, cols] if family == "intermittent" else True)
    t_idx, c_idx = np.nonzero(rows.T)  # column-major: series by series
    positions, columns = c_idx, cols[t_idx]
    lengths = rows.sum(axis=0)
    ds = np.arange(len(positions)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    data = {"unique_id": t_idx, "ds": ds, "y": chunk.prepared[positions, columns]}
    if regressors is not None and family != "intermittent":
        for k in range(regressors.shape[1]):
            data[f"x{k}"] = regressors[positions, k]
    return pd.DataFrame(data), positions, columns


def _future_regressors(
    uids: np.ndarray, lengths: np.ndarray, regressors: np.ndarray, n_hist: int, horizon: int
) -> pd.DataFrame:
    future = regressors[n_hist : n_hist + horizon]
    data = {
        "unique_id": np.repeat(uids, horizon),
        "ds": (lengths[:, None] + np.arange(horizon)).ravel(),
    }
    for k in range(future.shape[1]):
        data[f"x{k}"] = np.tile(future[:, k], len(uids))
    return pd.DataFrame(data)


def _fallback(group: _Group) -> Any:
    """What stands in when a model fails on a series; it must roll forward like the models."""
    if group.family == "smooth":
        return SeasonalNaive(season_length=group.m_naive, alias="fallback")
    return HistoricAverage(alias="fallback")


def _select(
    chunk: _Chunk,
    cols: np.ndarray,
    group: _Group,
    n_windows: int,
    bt_horizon: int,
    regressors: np.ndarray | None,
    n_jobs: int,
) -> dict[str, Any]:
    """Backtest the group's candidates; per series the chosen model and its error record."""
    df, positions, columns = _long_frame(chunk, cols, group.family, regressors)
    lengths = np.bincount(df["unique_id"], minlength=len(cols))
    models = _candidates(
        group.family, group.season, group.m_naive, int(lengths.max()), regressors is not None
    )
    smooth = group.family == "smooth"
    sf = StatsForecast(models=models, freq=1, n_jobs=n_jobs, fallback_model=_fallback(group))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # Smooth models fit once and roll forward; intermittent ones are too cheap to bother.
        cv = sf.cross_validation(
            df=df, h=bt_horizon, n_windows=n_windows, step_size=bt_horizon, refit=not smooth
        )
    uid = cv["unique_id"].to_numpy()
    starts = np.cumsum(lengths) - lengths
    flat = starts[uid] + cv["ds"].to_numpy()
    t, c = positions[flat], columns[flat]
    actual = chunk.raw[t, c]  # NaN on censored periods: out of the loss
    scale = chunk.effect_hist[t, c]
    ok = ~np.isnan(actual)
    names = [repr(m) for m in models]
    errors = {name: actual - cv[name].to_numpy() * scale for name in names}
    k = len(cols)
    count = np.bincount(uid[ok], minlength=k)
    mse = {name: np.bincount(uid[ok], errors[name][ok] ** 2, minlength=k) for name in names}
    mae = {
        name: np.bincount(uid[ok], np.abs(errors[name][ok]), minlength=k) / np.maximum(count, 1)
        for name in names
    }
    selectable = [n for n in names if n in SELECTABLE[group.family]]
    choice = np.argmin(np.vstack([mse[n] for n in selectable]), axis=0)
    chosen = np.array(selectable)[choice]
    chosen_err = np.where(ok, np.choose(choice[uid], [errors[n] for n in selectable]), np.nan)
    residuals = pd.DataFrame({"uid": uid, "e": chosen_err}).dropna().groupby("uid")["e"]
    quantiles = residuals.quantile(QUANTILES).unstack().reindex(range(k))
    models_by_name = dict(zip(names, models, strict=True))
    return {
        "df": df,
        "lengths": lengths,
        "chosen": chosen,
        "models": models_by_name,
        "mae": np.where(count > 0, np.choose(choice, [mae[n] for n in selectable]), np.nan),
        "naive_mae": np.where(count > 0, mae["SeasonalNaive"], np.nan),
        "rmse": np.where(
            count > 0,
            np.sqrt(np.choose(choice, [mse[n] for n in selectable]) / np.maximum(count, 1)),
            np.nan,
        ),
        "q": quantiles.to_numpy(),
    }


def _fit_final(
    df: pd.DataFrame,
    lengths: np.ndarray,
    uids: np.ndarray,
    model: Any,
    fallback: Any,
    horizon: int,
    regressors: np.ndarray | None,
    n_hist: int,
    n_jobs: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """mean, lo, hi (series × horizon, in the effect-free scale) for the series in `uids`."""
    name = repr(model)
    uses_x = getattr(model, "uses_exog", False) or getattr(
        getattr(model, "trend_forecaster", None), "uses_exog", False
    )
    sub = df[df["unique_id"].isin(uids)]
    if not uses_x:
        sub = sub[["unique_id", "ds", "y"]]
    native = name in NATIVE_INTERVALS
    x_df = (
        _future_regressors(uids, lengths[uids], regressors, n_hist, horizon)
        if uses_x and regressors is not None
        else None
    )
    sf = StatsForecast(models=[model], freq=1, n_jobs=n_jobs, fallback_model=fallback)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = sf.forecast(df=sub, h=horizon, X_df=x_df, level=[LEVEL] if native else None)
    out = out.sort_values(["unique_id", "ds"])
    order = np.searchsorted(np.sort(uids), uids)
    mean = out[name].to_numpy().reshape(len(uids), horizon)[order]
    if native:
        lo = out[f"{name}-lo-{LEVEL}"].to_numpy().reshape(len(uids), horizon)[order]
        hi = out[f"{name}-hi-{LEVEL}"].to_numpy().reshape(len(uids), horizon)[order]
    else:
        lo = hi = np.full_like(mean, np.nan)
    return mean, lo, hi


def _season_of(
    chunk: _Chunk, j: int, request: tuple[int, ...] | None, m_base: int
) -> tuple[tuple[int, ...], float, float]:
    """(season lengths to model, ACF statistic, STL strength) of smooth series j."""
    values = chunk.prepared[:, j]
    values = values[~np.isnan(values)]
    if request is not None:
        m = request[0] if request else 1
        stat = float(acf_statistics(values[:, None], m)[0]) if m > 1 else 0.0
        return request, stat, seasonal_strength(values, m) if m > 1 else math.nan
    if m_base < 2 or len(values) < 3 * m_base:
        return (), 0.0, math.nan
    stat = float(acf_statistics(values[:, None], m_base)[0])
    if stat <= ACF_CRITICAL:
        return (), stat, math.nan
    strength = seasonal_strength(values, m_base)
    return ((m_base,) if strength >= MIN_SEASONAL_STRENGTH else ()), stat, strength


def _forecast_chunk(
    chunk: _Chunk,
    cal: _Calendar,
    future: pd.Index,
    request: tuple[int, ...] | None,
    regressors: np.ndarray | None,
    n_windows: int,
    bt_horizon: int,
    n_jobs: int,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    horizon = len(future)
    k = len(chunk.variants)
    n_obs = chunk.observed.sum(axis=0)
    lengths = np.where(chunk.family == "intermittent", n_obs, chunk.listed.sum(axis=0))
    test_size = n_windows * bt_horizon
    summary: dict[str, Any] = {
        "variant_id": chunk.variants,
        "pattern": [
            pattern_of(a, c).value if n else None
            for a, c, n in zip(chunk.adi, chunk.cv2, n_obs, strict=True)
        ],
        "adi": chunk.adi,
        "cv2": chunk.cv2,
        "n_observed": n_obs,
        "n_censored": (chunk.listed & ~chunk.observed).sum(axis=0),
        "season_length": np.ones(k, dtype=int),
        "acf_statistic": np.zeros(k),
        "seasonal_strength": np.full(k, np.nan),
        "model": np.full(k, NO_HISTORY, dtype=object),
        "backtest_mae": np.full(k, np.nan),
        "naive_mae": np.full(k, np.nan),
        "backtest_rmse": np.full(k, np.nan),
    }
    groups: dict[_Group, list[int]] = {}
    for j in range(k):
        if n_obs[j] == 0:
            continue
        m_naive = cal.m_base if lengths[j] >= test_size + 2 * cal.m_base + 1 else 1
        season: tuple[int, ...] = ()
        if chunk.family[j] == "smooth":
            season, stat, strength = _season_of(chunk, j, request, cal.m_base)
            summary["acf_statistic"][j], summary["seasonal_strength"][j] = stat, strength
        min_train = max(2 * max(season, default=1) + 1, m_naive + 1, MIN_TRAIN)
        if lengths[j] < test_size + min_train:
            group = _Group("short", (), 1)
        else:
            group = _Group(str(chunk.family[j]), season, m_naive)
        summary["season_length"][j] = max(season, default=1)
        groups.setdefault(group, []).append(j)

    mean = np.full((k, horizon), np.nan)
    lo, hi = mean.copy(), mean.copy()
    n_hist = len(cal.periods)
    for group, members in groups.items():
        cols = np.array(members)
        if group.family == "short":
            df, _, _ = _long_frame(chunk, cols, "smooth", None)
            ses = AutoETS(season_length=1, model="ANN", alias="SES")
            fits = {"SES": (np.arange(len(cols)), ses)}
            lengths_ = np.bincount(df["unique_id"], minlength=len(cols))
            quantiles = None
            summary["model"][cols] = "SES"
        else:
            picked = _select(chunk, cols, group, n_windows, bt_horizon, regressors, n_jobs)
            df, lengths_, quantiles = picked["df"], picked["lengths"], picked["q"]
            fits = {
                name: (np.flatnonzero(picked["chosen"] == name), picked["models"][name])
                for name in np.unique(picked["chosen"])
            }
            summary["model"][cols] = picked["chosen"]
            summary["backtest_mae"][cols] = picked["mae"]
            summary["naive_mae"][cols] = picked["naive_mae"]
            summary["backtest_rmse"][cols] = picked["rmse"]
        for name, (uids, model) in fits.items():
            m_, l_, h_ = _fit_final(
                df, lengths_, uids, model, _fallback(group), horizon, regressors, n_hist, n_jobs
            )
            targets = cols[uids]
            effect = chunk.effect_future[:, targets].T
            mean[targets] = m_ * effect
            if name in NATIVE_INTERVALS:
                lo[targets], hi[targets] = l_ * effect, h_ * effect
            else:  # empirical 10 % / 90 % quantiles of the model's backtest errors
                lo[targets] = mean[targets] + quantiles[uids, :1]
                hi[targets] = mean[targets] + quantiles[uids, 1:]

    mean = np.maximum(mean, 0.0)
    lo = np.clip(lo, 0.0, mean)
    hi = np.maximum(hi, mean)
    naive = _seasonal_naive(chunk.prepared, cal.m_base, horizon) * chunk.effect_future.T
    summary_frame = _summary_frame(summary, chunk, cal.periods)
    forecasts = pd.DataFrame(
        {
            "variant_id": np.repeat(chunk.variants.to_numpy(), horizon),
            "period": np.tile(future, k),
            "mean": mean.ravel(),
            "lo": lo.ravel(),
            "hi": hi.ravel(),
            "naive": naive.ravel(),
        }
    )
    listed = n_obs > 0
    return forecasts[np.repeat(listed, horizon)].reset_index(drop=True), summary_frame


def _seasonal_naive(prepared: np.ndarray, m: int, horizon: int) -> np.ndarray:
    """Repeat the last m prepared periods (series × horizon); the baseline of every backtest."""
    m = max(m, 1)
    last = prepared[-m:].T
    return np.tile(last, (1, math.ceil(horizon / m)))[:, :horizon]


def _summary_frame(summary: dict[str, Any], chunk: _Chunk, periods: pd.PeriodIndex) -> pd.DataFrame:
    frame = pd.DataFrame(summary)
    m = natural_season(periods)
    scale = _insample_naive_mae(chunk.raw, m)
    with np.errstate(divide="ignore", invalid="ignore"):
        frame["mase"] = np.where(scale > 0, frame["backtest_mae"] / scale, np.nan)
        frame["naive_mase"] = np.where(scale > 0, frame["naive_mae"] / scale, np.nan)
        frame["relative_mae"] = np.where(
            frame["naive_mae"] > 0, frame["backtest_mae"] / frame["naive_mae"], np.nan
        )
    for e, event in enumerate(EVENTS):
        frame[f"effect_{event}"] = chunk.effects[e]
    return frame.set_index("variant_id")


def _insample_naive_mae(values: np.ndarray, m: int) -> np.ndarray:
    """Mean |y_t − y_{t−m}| over pairs where both periods are observed: the MASE scale."""
    m = m if values.shape[0] > m else 1
    diff = np.abs(values[m:] - values[:-m])
    ok = ~np.isnan(diff)
    return np.where(
        ok.any(axis=0), np.where(ok, diff, 0.0).sum(axis=0) / np.maximum(ok.sum(axis=0), 1), np.nan
    )


# --------------------------------------------------------------------------- public


def forecast_many(
    frame: pd.DataFrame,
    horizon: int,
    season_length: int | Sequence[int] | None = None,
    holidays: str | None = "CZ",
    regressors: pd.DataFrame | None = None,
    *,
    n_windows: int = 3,
    backtest_horizon: int | None = None,
    chunk_size: int = 2000,
    n_jobs: int = 1,
) -> BatchForecast:
    """Forecast every column of a periods × variants demand frame (NaN = censored / not listed).

    `frame` has a regular PeriodIndex or DatetimeIndex; leading NaNs of a column mean the variant
    was not listed yet, later NaNs are stock-out periods. `season_length` None detects the
    calendar cycle per series; an int or list forces it. `regressors` (periods × names, covering
    history and the next `horizon` periods, shared by all variants) reach the ARIMA-based
    candidates. Returns long forecasts (variant_id, period, mean, lo, hi, naive) and a summary per
    variant with the chosen model and its backtest accuracy against seasonal naive.
    """
    _check_horizon(horizon)
    if not isinstance(frame, pd.DataFrame):
        raise ValueError(
            f"frame must be a DataFrame of periods × variants, got {type(frame).__name__}"
        )
    if frame.shape[1] == 0:
        raise ValueError("frame has no variant columns")
    if not frame.columns.is_unique:
        raise ValueError(
            f"frame has duplicate variant columns: {frame.columns[frame.columns.duplicated()].tolist()}"
        )
    if n_windows < 1 or chunk_size < 1:
        raise ValueError("n_windows and chunk_size must be at least 1")
    periods = regular_periods(frame.index, "demand frame")
    request = _season_request(season_length)
    cal = _calendar(periods, horizon, holidays)
    bt_horizon = backtest_horizon or min(horizon, max(4 * cal.m_base, 8))
    x = _regressor_values(regressors, periods, horizon)
    future = continue_index(frame.index, horizon)
    chunks = [frame.iloc[:, i : i + chunk_size] for i in range(0, frame.shape[1], chunk_size)]
    sums = [_first_pass(demand_values(c, "demand frame"), cal)[5:] for c in chunks]
    totals = (sum(s[0].sum(axis=1) for s in sums), sum(s[1].sum(axis=1) for s in sums))
    pieces = [
        _forecast_chunk(
            _prepare(c, cal, totals), cal, future, request, x, n_windows, bt_horizon, n_jobs
        )
        for c in chunks
    ]
    forecasts = pd.concat([p[0] for p in pieces], ignore_index=True)
    summary = pd.concat([p[1] for p in pieces])
    return BatchForecast(forecasts, summary)


def forecast_demand(
    series: pd.Series,
    horizon: int,
    season_length: int | Sequence[int] | None = None,
    holidays: str | None = "CZ",
    regressors: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Forecast one variant: DataFrame with `mean`, `lo`, `hi` (80 %) indexed after the input.

    The chosen model, demand class, seasonality and backtest accuracy are in `.attrs["summary"]`.
    """
    if not isinstance(series, pd.Series):
        raise ValueError(f"series must be a pandas Series, got {type(series).__name__}")
    regular_periods(series.index, "demand series")
    values = demand_values(series, "demand series")
    if np.isnan(values).all():
        raise ValueError("demand series has no observed period (all NaN): nothing to forecast")
    name = series.name if series.name is not None else "demand"
    result = forecast_many(series.to_frame(name), horizon, season_length, holidays, regressors)
    out = result.forecasts.set_index("period")[["mean", "lo", "hi"]]
    out.attrs["summary"] = result.summary.iloc[0].to_dict()
    return out


def mase(
    actual: Sequence[float] | np.ndarray | pd.Series,
    forecast: Sequence[float] | np.ndarray,
    history: Sequence[float] | np.ndarray | pd.Series,
    season_length: int = 1,
) -> float:
    """Mean absolute scaled error: MAE over the in-sample MAE of the seasonal naive forecast.

    NaN in `actual` (censored periods) and history pairs with a NaN are skipped.
    """
    actual = np.asarray(actual, dtype=float)
    forecast = np.asarray(forecast, dtype=float)
    history = np.asarray(history, dtype=float)
    if actual.shape != forecast.shape:
        raise ValueError(f"actual {actual.shape} and forecast {forecast.shape} differ in shape")
    if season_length < 1 or len(history) <= season_length:
        raise ValueError(
            f"history of {len(history)} periods is too short for season_length={season_length}"
        )
    scale = float(_insample_naive_mae(history[:, None], season_length)[0])
    ok = ~np.isnan(actual)
    if not ok.any():
        raise ValueError("actual has no observed period: MASE is undefined")
    if not scale > 0:
        raise ValueError("history does not change at the seasonal lag: MASE scale is zero")
    return float(np.mean(np.abs(actual[ok] - forecast[ok])) / scale)


def forecast_accuracy(
    actual: pd.DataFrame,
    forecasts: pd.DataFrame,
    history: pd.DataFrame,
    season_length: int | None = None,
) -> pd.DataFrame:
    """Per variant MAE and MASE of `mean` and of `naive` against held-out demand.

    `actual` is periods × variants (NaN = unknown); `forecasts` the long frame of forecast_many;
    `history` the frame that was forecast. relative_mae = MAE(model) / MAE(seasonal naive).
    """
    periods = regular_periods(history.index, "history")
    m = season_length or natural_season(periods)
    scale = pd.Series(
        _insample_naive_mae(demand_values(history, "history"), m), index=history.columns
    )
    long = actual.stack(future_stack=True).rename("actual").rename_axis(["period", "variant_id"])
    joined = forecasts.join(long, on=["period", "variant_id"]).dropna(subset=["actual"])
    joined["err"] = (joined["actual"] - joined["mean"]).abs()
    joined["naive_err"] = (joined["actual"] - joined["naive"]).abs()
    out = (
        joined.groupby("variant_id")[["err", "naive_err"]]
        .mean()
        .rename(columns={"err": "mae", "naive_err": "naive_mae"})
    )
    out["mase"] = out["mae"] / scale.reindex(out.index)
    out["naive_mase"] = out["naive_mae"] / scale.reindex(out.index)
    out["relative_mae"] = out["mae"] / out["naive_mae"].where(out["naive_mae"] > 0)
    return out


def demand_per_period(batch: BatchForecast) -> pd.DataFrame:
    """Mean demand per period and its forecast-error SD per variant, for reorder_point.

    The SD is the backtest RMSE of the chosen model (the error a reorder point must absorb);
    variants without a backtest fall back to the 80 % interval's width / (2 × 1.2816).
    """
    grouped = batch.forecasts.groupby("variant_id", sort=False)
    mean = grouped["mean"].mean()
    width = (batch.forecasts["hi"] - batch.forecasts["lo"]) / (2 * norm.ppf(QUANTILES[1]))
    interval_sd = np.sqrt((width**2).groupby(batch.forecasts["variant_id"], sort=False).mean())
    rmse = batch.summary["backtest_rmse"].reindex(mean.index)
    return pd.DataFrame({"mean_demand": mean, "sd_demand": rmse.fillna(interval_sd)})
