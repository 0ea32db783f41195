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
    SeasonalExponentialSmoothingOptimized,
    SeasonalNaive,
)

from activities.analytics.inventory_calendar import EVENTS, shopping_calendar
from activities.analytics.inventory_demand import (
    ACF_CRITICAL,
    MIN_SEASONAL_STRENGTH,
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
NATIVE_INTERVALS = {"AutoETS", "MSTL", "MSTL_ARIMA", "AutoARIMA", "SeasonalNaive", "SES"}
# Estimated once at the first backtest origin and rolled forward from there (see _smooth_group).
FIT_ONCE = {"AutoETS", "AutoARIMA", "MSTL_ARIMA"}
SELECTABLE = {
    "smooth": ("AutoETS", "SeasonalES", "MSTL", "MSTL_ARIMA", "AutoARIMA", "SeasonalNaive"),
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


class _Group(NamedTuple):
    family: str  # "smooth", "intermittent" or "short"
    season: tuple[int, ...]
    m_naive: int


class _Settings(NamedTuple):
    horizon: int
    n_windows: int
    bt_horizon: int
    regressors: np.ndarray | None  # history + horizon periods × regressors
    n_hist: int
    n_jobs: int


class _Outcome(NamedTuple):
    """Per series of a group: the chosen model, its backtest record and its forecast."""

    chosen: np.ndarray
    mae: np.ndarray
    naive_mae: np.ndarray
    rmse: np.ndarray
    mean: np.ndarray  # series × horizon, effect-free scale
    lo: np.ndarray  # native interval, NaN where the model has none
    hi: np.ndarray
    quantiles: np.ndarray  # series × 2: 10 % and 90 % of backtest errors, demand scale


def _candidates(group: _Group, length: int, with_regressors: bool) -> list[Any]:
    naive = SeasonalNaive(season_length=group.m_naive, alias="SeasonalNaive")
    if group.family == "intermittent":
        return [TSB(alpha_d=0.1, alpha_p=0.1), CrostonSBA(), ADIDA(), IMAPA(), naive]
    season = group.season
    m = season[0] if season else 1
    periods: int | list[int] = list(season) if len(season) > 1 else m
    models: list[Any] = [
        AutoETS(season_length=m, model="ZNZ" if season else "ZZN", alias="AutoETS")
    ]
    if season:
        models += [
            SeasonalExponentialSmoothingOptimized(season_length=m, alias="SeasonalES"),
            MSTL(season_length=periods, trend_forecaster=AutoETS(model="ANN"), alias="MSTL"),
        ]
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
    if regressors is not None and family == "smooth":
        for k in range(regressors.shape[1]):
            data[f"x{k}"] = regressors[positions, k]
    return pd.DataFrame(data), positions, columns


def _score(
    chunk: _Chunk,
    uid: np.ndarray,
    t: np.ndarray,
    c: np.ndarray,
    predictions: dict[str, np.ndarray],
    family: str,
    k: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per series: choice among the selectable models by squared error on observed periods.

    Errors are taken in the demand scale (forecast × calendar effect against raw demand);
    censored periods (NaN) are out of the loss. Returns chosen names, MAE of the choice and of
    seasonal naive, RMSE of the choice, and the 10 % / 90 % quantiles of its errors.
    """
    actual = chunk.raw[t, c]
    scale = chunk.effect_hist[t, c]
    ok = ~np.isnan(actual)
    errors = {name: actual - pred * scale for name, pred in predictions.items()}
    count = np.bincount(uid[ok], minlength=k)
    n = np.maximum(count, 1)
    sse = {name: np.bincount(uid[ok], e[ok] ** 2, minlength=k) for name, e in errors.items()}
    sae = {name: np.bincount(uid[ok], np.abs(e[ok]), minlength=k) for name, e in errors.items()}
    selectable = [name for name in predictions if name in SELECTABLE[family]]
    choice = np.argmin(np.vstack([sse[name] for name in selectable]), axis=0)
    chosen_err = np.choose(choice[uid], [errors[name] for name in selectable])
    quantiles = (
        pd.DataFrame({"uid": uid[ok], "e": chosen_err[ok]})
        .groupby("uid")["e"]
        .quantile(QUANTILES)
        .unstack()
        .reindex(range(k))
        .to_numpy()
    )
    seen = count > 0
    return (
        np.array(selectable)[choice],
        np.where(seen, np.choose(choice, [sae[name] for name in selectable]) / n, np.nan),
        np.where(seen, sae["SeasonalNaive"] / n, np.nan),
        np.where(seen, np.sqrt(np.choose(choice, [sse[name] for name in selectable]) / n), np.nan),
        choice,
        quantiles,
    )


def _run(
    model: Any,
    roll: bool,
    y: np.ndarray,
    h: int,
    x: np.ndarray | None,
    x_future: np.ndarray | None,
    native: bool,
    fallback: Any,
) -> dict[str, np.ndarray]:
    """One forecast: roll a fitted model forward over `y`, or fit it on `y` afresh."""
    kwargs: dict[str, Any] = {"y": y, "h": h, "X": x, "X_future": x_future}
    if native:
        kwargs["level"] = [LEVEL]
    try:
        return model.forward(**kwargs) if roll else model.forecast(**kwargs)
    except Exception:  # a model that cannot fit this series gives way to the fallback
        return fallback.forecast(**kwargs)


def _smooth_group(chunk: _Chunk, cols: np.ndarray, group: _Group, s: _Settings) -> _Outcome:
    """Rolling-origin backtest of the smooth candidates, then the chosen model's forecast.

    Models whose estimation is costly (FIT_ONCE) are estimated once, on the data before the
    first origin, and rolled forward with fixed parameters through the later origins and to
    the forecast origin; the cheap ones are refitted at every origin.
    """
    df, positions, columns = _long_frame(chunk, cols, "smooth", s.regressors)
    k = len(cols)
    lengths = np.bincount(df["unique_id"], minlength=k)
    starts = np.cumsum(lengths) - lengths
    test_size = s.n_windows * s.bt_horizon
    models = _candidates(group, int(lengths.max()), s.regressors is not None)
    names = [repr(m) for m in models]
    once = [m for m in models if repr(m) in FIT_ONCE]
    fallback = SeasonalNaive(season_length=group.m_naive, alias="fallback")
    fitted = np.empty((k, 0), dtype=object)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if once:
            uid_col, ds_col = df["unique_id"].to_numpy(), df["ds"].to_numpy()
            train = df[ds_col < (lengths - test_size)[uid_col]]
            sf = StatsForecast(models=once, freq=1, n_jobs=s.n_jobs, fallback_model=fallback)
            fitted = sf.fit(train).fitted_
        y_all = df["y"].to_numpy()
        x_all = df.filter(regex=r"^x\d+$").to_numpy() if s.regressors is not None else None
        x_next = s.regressors[s.n_hist :] if s.regressors is not None else None
        runners = [
            (name, once.index(m) if m in once else None, m)
            for name, m in zip(names, models, strict=True)
        ]
        predictions = {name: np.empty(k * test_size) for name in names}
        for i in range(k):
            y = y_all[starts[i] : starts[i] + lengths[i]]
            x = x_all[starts[i] : starts[i] + lengths[i]] if x_all is not None else None
            for w in range(s.n_windows):
                cut = lengths[i] - test_size + w * s.bt_horizon
                end = cut + s.bt_horizon
                out = slice(
                    i * test_size + w * s.bt_horizon,
                    i * test_size + w * s.bt_horizon + s.bt_horizon,
                )
                for name, j, model in runners:
                    runner = fitted[i, j] if j is not None else model
                    res = _run(
                        runner,
                        j is not None,
                        y[:cut],
                        s.bt_horizon,
                        None if x is None else x[:cut],
                        None if x is None else x[cut:end],
                        False,
                        fallback,
                    )
                    predictions[name][out] = res["mean"]
        rows = ((starts + lengths - test_size)[:, None] + np.arange(test_size)).ravel()
        uid = np.repeat(np.arange(k), test_size)
        chosen, mae, naive_mae, rmse, _, quantiles = _score(
            chunk, uid, positions[rows], columns[rows], predictions, "smooth", k
        )
        mean = np.empty((k, s.horizon))
        lo, hi = np.full_like(mean, np.nan), np.full_like(mean, np.nan)
        for i in range(k):
            name, j, model = runners[names.index(chosen[i])]
            runner = fitted[i, j] if j is not None else model
            y = y_all[starts[i] : starts[i] + lengths[i]]
            x = x_all[starts[i] : starts[i] + lengths[i]] if x_all is not None else None
            native = name in NATIVE_INTERVALS
            res = _run(runner, j is not None, y, s.horizon, x, x_next, native, fallback)
            mean[i] = res["mean"]
            if native:
                lo[i], hi[i] = res[f"lo-{LEVEL}"], res[f"hi-{LEVEL}"]
    return _Outcome(chosen, mae, naive_mae, rmse, mean, lo, hi, quantiles)


def _intermittent_group(chunk: _Chunk, cols: np.ndarray, group: _Group, s: _Settings) -> _Outcome:
    """Backtest of the intermittent candidates on observed periods only, refitted per origin."""
    df, positions, columns = _long_frame(chunk, cols, "intermittent", None)
    k = len(cols)
    lengths = np.bincount(df["unique_id"], minlength=k)
    starts = np.cumsum(lengths) - lengths
    models = _candidates(group, int(lengths.max()), False)
    sf = StatsForecast(
        models=models, freq=1, n_jobs=s.n_jobs, fallback_model=HistoricAverage(alias="fallback")
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cv = sf.cross_validation(
            df=df, h=s.bt_horizon, n_windows=s.n_windows, step_size=s.bt_horizon
        )
        ahead = sf.forecast(df=df[["unique_id", "ds", "y"]], h=s.horizon).sort_values(
            ["unique_id", "ds"]
        )
    uid = cv["unique_id"].to_numpy()
    rows = starts[uid] + cv["ds"].to_numpy()
    names = [repr(m) for m in models]
    chosen, mae, naive_mae, rmse, choice, quantiles = _score(
        chunk,
        uid,
        positions[rows],
        columns[rows],
        {n: cv[n].to_numpy() for n in names},
        "intermittent",
        k,
    )
    stacked = np.stack(
        [ahead[name].to_numpy().reshape(k, s.horizon) for name in SELECTABLE["intermittent"]]
    )
    mean = stacked[choice, np.arange(k)]
    nan = np.full_like(mean, np.nan)
    return _Outcome(chosen, mae, naive_mae, rmse, mean, nan, nan.copy(), quantiles)


def _short_group(chunk: _Chunk, cols: np.ndarray, group: _Group, s: _Settings) -> _Outcome:
    """Too little history to backtest: simple exponential smoothing with its own interval."""
    df, _, _ = _long_frame(chunk, cols, "smooth", None)
    k = len(cols)
    sf = StatsForecast(
        models=[AutoETS(season_length=1, model="ANN", alias="SES")],
        freq=1,
        n_jobs=s.n_jobs,
        fallback_model=HistoricAverage(alias="fallback"),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = sf.forecast(df=df, h=s.horizon, level=[LEVEL]).sort_values(["unique_id", "ds"])
    shape = (k, s.horizon)
    nan = np.full(k, np.nan)
    return _Outcome(
        np.full(k, "SES", dtype=object),
        nan,
        nan,
        nan,
        out["SES"].to_numpy().reshape(shape),
        out[f"SES-lo-{LEVEL}"].to_numpy().reshape(shape),
        out[f"SES-hi-{LEVEL}"].to_numpy().reshape(shape),
        np.full((k, 2), np.nan),
    )


GROUP_RUNNERS = {
    "smooth": _smooth_group,
    "intermittent": _intermittent_group,
    "short": _short_group,
}


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
    settings: _Settings,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    horizon = len(future)
    k = len(chunk.variants)
    n_obs = chunk.observed.sum(axis=0)
    lengths = np.where(chunk.family == "intermittent", n_obs, chunk.listed.sum(axis=0))
    test_size = settings.n_windows * settings.bt_horizon
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
    for group, members in groups.items():
        cols = np.array(members)
        out = GROUP_RUNNERS[group.family](chunk, cols, group, settings)
        summary["model"][cols] = out.chosen
        summary["backtest_mae"][cols] = out.mae
        summary["naive_mae"][cols] = out.naive_mae
        summary["backtest_rmse"][cols] = out.rmse
        effect = chunk.effect_future[:, cols].T
        mean[cols] = out.mean * effect
        native = ~np.isnan(out.lo)  # else empirical quantiles of the backtest errors
        lo[cols] = np.where(native, out.lo * effect, mean[cols] + out.quantiles[:, :1])
        hi[cols] = np.where(native, out.hi * effect, mean[cols] + out.quantiles[:, 1:])

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
    settings = _Settings(horizon, n_windows, bt_horizon, x, len(periods), n_jobs)
    future = continue_index(frame.index, horizon)
    chunks = [frame.iloc[:, i : i + chunk_size] for i in range(0, frame.shape[1], chunk_size)]
    sums = [_first_pass(demand_values(c, "demand frame"), cal)[5:] for c in chunks]
    totals = (sum(s[0].sum(axis=1) for s in sums), sum(s[1].sum(axis=1) for s in sums))
    pieces = [
        _forecast_chunk(_prepare(c, cal, totals), cal, future, request, settings) for c in chunks
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
