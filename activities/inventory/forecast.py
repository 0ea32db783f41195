"""Demand forecasts per variant: the model is chosen per demand class by rolling-origin backtest.

Per chunk of variants (vectorised over a periods × variants array):
1. classify each series (ADI / CV²) into the smooth family (smooth, erratic) or the
   intermittent family (intermittent, lumpy);
2. divide calendar effects out and fill censored periods (inventory.preparation);
3. detect weekly (or the frequency's) seasonality of smooth series: ACF test and STL strength;
4. backtest the family's candidates and forecast with each series' best one (inventory.models);
5. multiply the calendar effects back in; 80 % intervals are the model's own where it has
   them, otherwise empirical quantiles of its backtest errors; all clipped at zero.
"""

from __future__ import annotations

import math
import multiprocessing
import os
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from itertools import repeat
from typing import Any, NamedTuple, cast

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.stats import norm

from activities.child_guard import die_with_parent
from activities.inventory.calendar import EVENTS
from activities.inventory.demand import (
    ACF_CRITICAL,
    MIN_SEASONAL_STRENGTH,
    acf_statistics,
    continue_index,
    demand_values,
    join_actuals,
    natural_season,
    pattern_of,
    regular_periods,
    seasonal_strength,
)
from activities.inventory.models import (
    MIN_REGRESSOR_GAIN,
    QUANTILES,
    Group,
    Settings,
    run_group,
)
from activities.inventory.preparation import (
    Calendar,
    Chunk,
    calendar_for,
    effect_evidence,
    prepare_chunk,
)

MIN_TRAIN = 20  # periods before the first backtest origin, at least
MIN_POOL_CHUNK = 500  # variants per process below which a second process costs more than it saves
NO_HISTORY = "insufficient_history"


class BatchForecast(NamedTuple):
    forecasts: pd.DataFrame  # long: variant_id, period, mean, lo, hi, naive
    summary: pd.DataFrame  # one row per variant: class, seasonality, effects, model, accuracy


# --------------------------------------------------------------------------- inputs


def _check_horizon(horizon: int) -> None:
    given = cast(object, horizon)  # callers outside Python typing pass anything
    if isinstance(given, bool) or not isinstance(given, int | np.integer) or horizon < 1:
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
    if not isinstance(cast(object, regressors), pd.DataFrame) or regressors.shape[1] == 0:
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
        missing = cast(pd.PeriodIndex, needed[np.isnan(values).any(axis=1)])  # pyright: ignore[reportArgumentType, reportCallIssue]
        raise ValueError(
            f"regressors must cover every history period and the {horizon} forecast periods; "
            f"missing or NaN at {missing[0]} .. {missing[-1]} ({len(missing)} periods)"
        )
    return values


def _variant_regressor_values(
    given: Mapping[str, pd.DataFrame] | None,
    variants: pd.Index,
    periods: pd.PeriodIndex,
    horizon: int,
) -> list[np.ndarray]:
    """Per-variant regressors aligned to history + horizon (periods × variants each, in the
    order of `variants`; a variant without a column has zeros), or a ValueError."""
    if not given:
        return []
    out: list[np.ndarray] = []
    for name, values in given.items():
        if not isinstance(cast(object, values), pd.DataFrame):
            raise ValueError(f"variant regressor {name!r} must be a periods × variants DataFrame")
        unknown = values.columns.difference(variants)
        if len(unknown):
            raise ValueError(
                f"variant regressor {name!r} names variants not in the frame: {unknown[:5].tolist()}"
            )
        if values.shape[1] == 0:
            continue
        aligned = _regressor_values(values, periods, horizon)
        assert aligned is not None
        full = np.zeros((aligned.shape[0], len(variants)))
        full[:, variants.get_indexer(values.columns)] = aligned
        out.append(full)
    return out


def _season_of(
    chunk: Chunk, j: int, request: tuple[int, ...] | None, m_base: int
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
    chunk: Chunk,
    cal: Calendar,
    future: pd.Index,
    request: tuple[int, ...] | None,
    settings: Settings,
    own: np.ndarray | None = None,
    names: tuple[str, ...] = (),
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """`own` (periods × variants × r_own) holds the per-variant regressors, `names` the
    shared regressors' names and then the per-variant ones."""
    horizon = len(future)
    k = len(chunk.variants)
    shared = settings.regressors
    n_shared = 0 if shared is None else shared.shape[1]
    # a per-variant regressor that is zero over the whole history has no effect to learn:
    # the variant goes without it (with the shared ones only, or none)
    active = (
        (own[: settings.n_hist] != 0).any(axis=0)
        if own is not None
        else np.zeros((k, 0), dtype=bool)
    )
    n_obs = chunk.observed.sum(axis=0)
    lengths = cast(
        npt.NDArray[np.int64],
        np.where(chunk.family == "intermittent", n_obs, chunk.listed.sum(axis=0)),
    )
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
        "mae_without_regressors": np.full(k, np.nan),
        "mae_with_regressors": np.full(k, np.nan),
        "regressors": np.full(k, None, dtype=object),
    }
    groups: dict[tuple[Group, tuple[int, ...]], list[int]] = {}
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
            group = Group("short", (), 1)
        else:
            group = Group(str(chunk.family[j]), season, m_naive)
        summary["season_length"][j] = max(season, default=1)
        mine = tuple(np.flatnonzero(active[j]).tolist())
        given = [*names[:n_shared], *(names[n_shared + r] for r in mine)]
        summary["regressors"][j] = ",".join(given) or None
        groups.setdefault((group, mine), []).append(j)

    mean = np.full((k, horizon), np.nan)
    lo, hi = mean.copy(), mean.copy()
    for (group, mine), members in groups.items():
        cols = np.array(members)
        x = shared
        if mine and own is not None:  # the group's own values: periods × series × r
            picked = own[:, cols][:, :, list(mine)]
            if shared is not None:
                wide = np.broadcast_to(shared[:, None, :], (shared.shape[0], len(cols), n_shared))
                picked = np.concatenate([wide, picked], axis=2)
            x = picked
        out = run_group(chunk, cols, group, settings._replace(regressors=x))
        summary["model"][cols] = out.scores.chosen
        summary["backtest_mae"][cols] = out.scores.mae
        summary["naive_mae"][cols] = out.scores.naive_mae
        summary["backtest_rmse"][cols] = out.scores.rmse
        if out.regressor_mae is not None:
            summary["mae_without_regressors"][cols] = out.regressor_mae[0]
            summary["mae_with_regressors"][cols] = out.regressor_mae[1]
        effect = chunk.effect_future[:, cols].T
        mean[cols] = out.mean * effect
        native = ~np.isnan(out.lo)  # else empirical quantiles of the backtest errors
        q = out.scores.quantiles
        lo[cols] = np.where(native, out.lo * effect, mean[cols] + q[:, :1])
        hi[cols] = np.where(native, out.hi * effect, mean[cols] + q[:, 1:])

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


def _summary_frame(summary: dict[str, Any], chunk: Chunk, periods: pd.PeriodIndex) -> pd.DataFrame:
    frame = pd.DataFrame(summary)
    m = natural_season(periods)
    scale = _insample_naive_mae(chunk.raw, m)
    with np.errstate(divide="ignore", invalid="ignore"):
        frame["mase"] = np.where(scale > 0, frame["backtest_mae"] / scale, np.nan)
        frame["naive_mase"] = np.where(scale > 0, frame["naive_mae"] / scale, np.nan)
        frame["relative_mae"] = np.where(
            frame["naive_mae"] > 0, frame["backtest_mae"] / frame["naive_mae"], np.nan
        )
        # the gain of the external regressors: backtest MASE without and with them
        without, with_x = frame.pop("mae_without_regressors"), frame.pop("mae_with_regressors")
        frame["mase_without_regressors"] = np.where(scale > 0, without / scale, np.nan)
        frame["mase_with_regressors"] = np.where(scale > 0, with_x / scale, np.nan)
        frame["regressor_gain"] = np.where(without > 0, 1 - with_x / without, np.nan)
    frame["regressors_used"] = frame["regressor_gain"].to_numpy() >= MIN_REGRESSOR_GAIN
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


def _effect_totals(chunks: list[pd.DataFrame], cal: Calendar) -> tuple[np.ndarray, np.ndarray]:
    """Calendar-effect evidence summed over the whole batch, one chunk in memory at a time."""
    demand, base = np.zeros(len(EVENTS)), np.zeros(len(EVENTS))
    for chunk in chunks:
        evidence = effect_evidence(demand_values(chunk, "demand frame"), cal)
        demand += evidence.sum_demand.sum(axis=1)
        base += evidence.sum_base.sum(axis=1)
    return demand, base


def _forecast_frame(
    frame: pd.DataFrame,
    cal: Calendar,
    totals: tuple[np.ndarray, np.ndarray],
    future: pd.Index,
    request: tuple[int, ...] | None,
    settings: Settings,
    own: np.ndarray | None = None,
    names: tuple[str, ...] = (),
) -> tuple[pd.DataFrame, pd.DataFrame]:
    chunk = prepare_chunk(frame, cal, totals)
    return _forecast_chunk(chunk, cal, future, request, settings, own, names)


def _chunk_pool(workers: int) -> ProcessPoolExecutor:
    """Processes for the chunks of one batch: spawned (the caller may have threads), each
    dying with this process (activities.child_guard), so none outlives a killed worker."""
    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=die_with_parent,
        initargs=(os.getpid(),),
    )


# --------------------------------------------------------------------------- public


def forecast_many(
    frame: pd.DataFrame,
    horizon: int,
    season_length: int | Sequence[int] | None = None,
    holidays: str | None = "CZ",
    regressors: pd.DataFrame | None = None,
    *,
    variant_regressors: Mapping[str, pd.DataFrame] | None = None,
    n_windows: int = 3,
    backtest_horizon: int | None = None,
    chunk_size: int = 2000,
    n_jobs: int = 1,
) -> BatchForecast:
    """Forecast every column of a periods × variants demand frame (NaN = censored / not listed).

    `frame` has a regular PeriodIndex or DatetimeIndex; leading NaNs of a column mean the variant
    was not listed yet, later NaNs are stock-out periods. `season_length` None detects the
    calendar cycle per series; an int or list forces it. `regressors` (periods × names, covering
    history and the next `horizon` periods, shared by all variants, e.g. a region's weather and the
    promotions calendar) reach the ARIMA-based candidates, and on daily history a regression of
    the chosen model's errors that is kept per variant only where the backtest shows it helps
    (summary: mase_without_regressors, mase_with_regressors, regressor_gain, regressors_used).
    `variant_regressors` maps a regressor's name to a periods × variants frame of values of
    each variant's own (a promotion scoped to a variant or its category; a variant without a
    column has zeros); a variant whose values are zero over the whole history goes without it.
    The summary's `regressors` names those each variant was given (shared, then its own).
    `n_jobs` > 1 forecasts the chunks in that many processes. Returns long forecasts (variant_id, period, mean, lo, hi, naive) and a summary per
    variant with the chosen model and its backtest accuracy against seasonal naive.
    """
    _check_horizon(horizon)
    if not isinstance(cast(object, frame), pd.DataFrame):
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
    cal = calendar_for(periods, horizon, holidays)
    bt_horizon = backtest_horizon or min(horizon, max(4 * cal.m_base, 8))
    x = _regressor_values(regressors, periods, horizon)
    own_values = _variant_regressor_values(variant_regressors, frame.columns, periods, horizon)
    names = (
        *([] if regressors is None else [str(c) for c in regressors.columns]),
        *(str(name) for name, v in (variant_regressors or {}).items() if v.shape[1]),
    )
    daily = periods.freqstr.split("-")[0].upper() == "D"
    settings = Settings(horizon, n_windows, bt_horizon, x, len(periods), n_jobs, daily)
    future = continue_index(frame.index, horizon)
    n = frame.shape[1]
    workers = min(max(n_jobs, 1), max(n // MIN_POOL_CHUNK, 1))
    if workers > 1:  # whole rounds of chunks per worker, so no core idles at the end
        rounds = math.ceil(n / chunk_size / workers)
        chunk_size = math.ceil(n / (rounds * workers))
    starts = range(0, n, chunk_size)
    chunks = [frame.iloc[:, i : i + chunk_size] for i in starts]
    owns: list[np.ndarray | None] = [
        np.stack([v[:, i : i + chunk_size] for v in own_values], axis=2) if own_values else None
        for i in starts
    ]
    totals = _effect_totals(chunks, cal)
    if workers > 1:
        inner = settings._replace(n_jobs=1)
        with _chunk_pool(workers) as pool:
            pieces = list(
                pool.map(
                    _forecast_frame,
                    chunks,
                    repeat(cal),
                    repeat(totals),
                    repeat(future),
                    repeat(request),
                    repeat(inner),
                    owns,
                    repeat(names),
                )
            )
    else:
        pieces = [
            _forecast_frame(c, cal, totals, future, request, settings, o, names)
            for c, o in zip(chunks, owns, strict=True)
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
    if not isinstance(cast(object, series), pd.Series):
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
    joined = join_actuals(forecasts, actual, "actual").dropna(subset=["actual"])
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
    interval_sd = cast(  # a ufunc of a Series is a Series
        pd.Series, np.sqrt((width**2).groupby(batch.forecasts["variant_id"], sort=False).mean())
    )
    rmse = batch.summary["backtest_rmse"].reindex(mean.index)
    return pd.DataFrame({"mean_demand": mean, "sd_demand": rmse.fillna(interval_sd)})
