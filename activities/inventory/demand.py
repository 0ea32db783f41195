"""Demand history per variant and what its pattern looks like (class, seasonality).

Unknown demand is NaN everywhere in this package: a day on which the variant was out of stock
tells us nothing about how much customers wanted, so it is censored, never zero.
"""

from __future__ import annotations

from enum import StrEnum
from typing import NamedTuple, cast

import numpy as np
import numpy.typing as npt
import pandas as pd
from pandas.tseries.offsets import BaseOffset
from statsmodels.tsa.seasonal import STL  # pyright: ignore[reportMissingTypeStubs, reportUnknownVariableType]

# Syntetos–Boylan–Croston cut-offs (Syntetos, Boylan & Croston 2005).
ADI_CUTOFF = 1.32
CV2_CUTOFF = 0.49
# One-sided 95 % critical value of the seasonality test on the autocorrelation at lag m.
ACF_CRITICAL = 1.645
# Below this STL strength a pattern that passes the ACF test is too weak to model.
MIN_SEASONAL_STRENGTH = 0.1

ORDER_ITEM_COLUMNS = ("variant_id", "ordered_at", "quantity")
STOCK_COLUMNS = ("variant_id", "observed_at", "stock")


class DemandPattern(StrEnum):
    SMOOTH = "smooth"
    ERRATIC = "erratic"
    INTERMITTENT = "intermittent"
    LUMPY = "lumpy"


class DemandProfile(NamedTuple):
    pattern: DemandPattern
    adi: float  # average demand interval: observed periods per period with demand
    cv2: float  # squared coefficient of variation of the non-zero demand sizes


class Seasonality(NamedTuple):
    season_length: int  # the period used for forecasting; 1 when no seasonality is modelled
    detected: bool
    acf_statistic: float  # |r_m| over its Bartlett standard error; > 1.645 passes the test
    strength: float  # Hyndman's F_S = max(0, 1 - Var(R) / Var(S + R)) from STL; NaN if too short


# --------------------------------------------------------------------------- index handling


def regular_periods(index: pd.Index, what: str = "series") -> pd.PeriodIndex:
    """The index as a gap-free PeriodIndex, or a ValueError saying how to fix it."""
    if len(index) == 0:
        raise ValueError(f"{what} is empty: need at least one period of demand history")
    if isinstance(index, pd.DatetimeIndex):
        freq = index.freq or (pd.infer_freq(index) if len(index) >= 3 else None)
        if freq is None:
            raise ValueError(
                f"{what} has an irregular DatetimeIndex (no frequency can be inferred from "
                f"{index[0]} .. {index[-1]}): reindex it to a regular frequency, mark unknown "
                "periods as NaN, or pass a PeriodIndex"
            )
        return pd.DatetimeIndex(index, freq=freq).to_period()
    if not isinstance(index, pd.PeriodIndex):
        raise ValueError(f"{what} needs a PeriodIndex or DatetimeIndex, got {type(index).__name__}")
    ordinals = cast(npt.NDArray[np.int64], index.asi8)  # pyright: ignore[reportAttributeAccessIssue, reportUnknownMemberType, reportUnknownArgumentType]
    steps = np.diff(ordinals)
    if len(steps) and not (steps == 1).all():
        bad = int(np.flatnonzero(steps != 1)[0])
        raise ValueError(
            f"{what} has an irregular PeriodIndex: {index[bad]} is followed by {index[bad + 1]}; "
            "periods must be consecutive and sorted (reindex and mark unknown periods as NaN)"
        )
    return index


def continue_index(index: pd.Index, horizon: int) -> pd.Index:
    """The next `horizon` labels after `index`, of the same kind (PeriodIndex or DatetimeIndex)."""
    if isinstance(index, pd.DatetimeIndex):
        freq = index.freq or pd.infer_freq(index)
        return pd.date_range(index[-1], periods=horizon + 1, freq=freq)[1:]
    freq = cast(BaseOffset, index.freq)  # pyright: ignore[reportAttributeAccessIssue, reportUnknownMemberType]
    return pd.period_range(index[-1] + 1, periods=horizon, freq=freq)


def natural_season(periods: pd.PeriodIndex) -> int:
    """The calendar cycle of a frequency: a week of days, a year of weeks or months."""
    base = periods.freqstr.split("-")[0].upper()
    return {"D": 7, "B": 5, "W": 52, "M": 12, "Q": 4, "H": 24}.get(base, 1)


def demand_values(values: pd.Series | pd.DataFrame, what: str) -> np.ndarray:
    """Float values (NaN = unknown) after checking they can be demand at all."""
    try:
        array = values.to_numpy(dtype=float, na_value=np.nan)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{what} must be numeric units of demand: {error}") from None
    if np.isinf(array).any():
        raise ValueError(f"{what} contains infinite values; use NaN for unknown demand")
    negative = array < 0
    if negative.any():
        row, *col = np.argwhere(negative)[0]
        where = values.index[row]
        name = f" of {values.columns[col[0]]!r}" if col else ""
        raise ValueError(
            f"{what} has negative demand {array[negative][0]} at {where}{name}: demand is units "
            "customers wanted (>= 0); book returns separately"
        )
    return array


# --------------------------------------------------------------------------- history building


def _require_columns(frame: pd.DataFrame, columns: tuple[str, ...], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{what} lacks columns {missing}; expected {list(columns)}")


def _local_days(stamps: pd.Series, tz: str) -> pd.PeriodIndex:
    stamps = pd.to_datetime(stamps)
    if stamps.dt.tz is not None:
        stamps = stamps.dt.tz_convert(tz).dt.tz_localize(None)
    return pd.PeriodIndex(stamps.dt.to_period("D"))


def daily_sales(order_items: pd.DataFrame, tz: str = "Europe/Prague") -> pd.DataFrame:
    """Units sold per shop-local day (rows) and variant (columns), from order-item rows."""
    _require_columns(order_items, ORDER_ITEM_COLUMNS, "order_items")
    quantity = pd.to_numeric(order_items["quantity"], errors="raise").astype(float)
    if (quantity < 0).any():
        row = order_items.loc[quantity < 0].iloc[0]
        raise ValueError(
            f"order_items has a negative quantity {row['quantity']} for variant "
            f"{row['variant_id']!r} at {row['ordered_at']}; pass sold units only"
        )
    days = _local_days(order_items["ordered_at"], tz)
    sold = (
        pd.DataFrame(
            {
                "period": days,
                "variant_id": order_items["variant_id"].to_numpy(),
                "quantity": quantity.to_numpy(),
            }
        )
        .groupby(["period", "variant_id"])["quantity"]
        .sum()
        .unstack("variant_id")
    )
    return sold


def daily_stock(stock_levels: pd.DataFrame, tz: str = "Europe/Prague") -> pd.DataFrame:
    """Lowest on-hand stock seen each day per variant, carried forward over days without a reading.

    The lowest reading, not the last, because a variant that hit zero at noon and was restocked by
    night still lost the afternoon's sales.
    """
    _require_columns(stock_levels, STOCK_COLUMNS, "stock_levels")
    frame = pd.DataFrame(
        {
            "period": _local_days(stock_levels["observed_at"], tz),
            "observed_at": pd.to_datetime(stock_levels["observed_at"]).to_numpy(),
            "variant_id": stock_levels["variant_id"].to_numpy(),
            "stock": pd.to_numeric(stock_levels["stock"], errors="raise").astype(float).to_numpy(),
        }
    ).sort_values("observed_at")
    grouped = frame.groupby(["period", "variant_id"])["stock"]
    lowest = grouped.min().unstack("variant_id")
    last = grouped.last().unstack("variant_id")
    days = pd.period_range(lowest.index.min(), lowest.index.max(), freq="D")
    lowest, last = lowest.reindex(days), last.reindex(days)
    carried = last.ffill().shift(1)
    return lowest.where(lowest.notna(), carried)


def demand_history(
    order_items: pd.DataFrame,
    stock_levels: pd.DataFrame | None = None,
    *,
    start: str | pd.Period | None = None,
    end: str | pd.Period | None = None,
    tz: str = "Europe/Prague",
) -> pd.DataFrame:
    """Daily demand per variant: units sold, NaN where the variant was out of stock (censored).

    `order_items` has columns variant_id, ordered_at, quantity (one row per sold line);
    `stock_levels` has variant_id, observed_at, stock (on-hand readings at any times). A day is
    censored when the lowest reading of that day, or the last reading before it, is <= 0. Days
    before a variant's first sale or stock reading are NaN too (not yet listed), which the
    forecaster trims. Returns a frame indexed by a daily PeriodIndex named "period".
    """
    sold = daily_sales(order_items, tz)
    stock = daily_stock(stock_levels, tz) if stock_levels is not None else None
    bounds = [sold.index.min(), sold.index.max()] if len(sold) else []
    if stock is not None and len(stock):
        bounds += [stock.index.min(), stock.index.max()]
    if not bounds and (start is None or end is None):
        raise ValueError(
            "no order items or stock readings: pass start and end to get an empty history"
        )
    first = pd.Period(start, "D") if start is not None else min(bounds)
    last = pd.Period(end, "D") if end is not None else max(bounds)
    if last < first:
        raise ValueError(f"end {last} is before start {first}")
    days = pd.period_range(first, last, freq="D", name="period")
    variants = sold.columns.union(stock.columns) if stock is not None else sold.columns
    demand = sold.reindex(index=days, columns=variants)
    listed = demand.notna()
    if stock is not None:
        stock = stock.reindex(index=days, columns=variants)
        listed |= stock.notna()
        out_of_stock = stock.ffill() <= 0
    else:
        out_of_stock = pd.DataFrame(False, index=days, columns=variants)
    listed = listed.cummax()
    demand = demand.fillna(0.0).where(listed & ~out_of_stock)
    demand.columns.name = "variant_id"
    return demand


def aggregate_demand(
    daily: pd.DataFrame | pd.Series, freq: str = "W", min_observed_share: float = 0.5
) -> pd.DataFrame | pd.Series:
    """Daily demand summed to weeks (or months); censored days are filled at the period's rate.

    A period whose observed share of days is below `min_observed_share` becomes NaN (censored)
    rather than a guess, so a week out of stock stays unknown instead of turning into a low week.
    """
    periods = regular_periods(daily.index, "daily demand")
    if periods.freqstr != "D":
        raise ValueError(f"aggregate_demand needs daily periods, got {periods.freqstr}")
    frame = daily.set_axis(periods)
    target = periods.asfreq(freq)

    def target_period(day: pd.Period) -> pd.Period:
        return day.asfreq(freq)

    days_in = (
        pd.Series(1, index=pd.period_range(target[0].start_time, target[-1].end_time, freq="D"))
        .groupby(target_period)
        .sum()
    )
    observed = frame.notna().groupby(target).sum()
    total = frame.groupby(target).sum(min_count=1)
    size = days_in.reindex(observed.index).to_numpy()
    if isinstance(observed, pd.DataFrame):
        size = size[:, None]
    share = observed / size
    scaled = total * size / observed.where(observed > 0)  # pyright: ignore[reportArgumentType, reportOperatorIssue, reportUnknownArgumentType]
    result = scaled.where(share >= min_observed_share)
    result.index.name = "period"
    return result


# --------------------------------------------------------------------------- patterns


def profile_arrays(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """ADI and CV² per column of a (periods × variants) array, over observed periods only."""
    observed = ~np.isnan(values)
    sizes = np.where(observed & (values > 0), values, np.nan)
    n_observed = observed.sum(axis=0)
    n_demand = (~np.isnan(sizes)).sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        adi = np.where(n_demand > 0, n_observed / np.maximum(n_demand, 1), np.inf)
        mean = np.nansum(sizes, axis=0) / np.maximum(n_demand, 1)
        var = np.nansum((sizes - mean) ** 2, axis=0) / np.maximum(n_demand, 1)
        cv2 = np.where(n_demand > 0, var / mean**2, 0.0)
    return adi, cv2


def pattern_of(adi: float, cv2: float) -> DemandPattern:
    if adi < ADI_CUTOFF:
        return DemandPattern.SMOOTH if cv2 < CV2_CUTOFF else DemandPattern.ERRATIC
    return DemandPattern.INTERMITTENT if cv2 < CV2_CUTOFF else DemandPattern.LUMPY


def classify_demand(series: pd.Series) -> DemandProfile:
    """Syntetos–Boylan class of a demand series, computed on its observed (uncensored) periods.

    ADI = observed periods / periods with demand; CV² = population variance / mean² of the
    non-zero sizes. A series with no demand at all has ADI = inf and is intermittent.
    """
    regular_periods(series.index, "demand series")
    values = demand_values(series, "demand series")
    if np.isnan(values).all():
        raise ValueError("demand series has no observed period (all NaN): nothing to classify")
    adi, cv2 = profile_arrays(values[:, None])
    return DemandProfile(pattern_of(float(adi[0]), float(cv2[0])), float(adi[0]), float(cv2[0]))


def acf_statistics(values: np.ndarray, lag: int) -> np.ndarray:
    """Seasonality test statistic per column: |r_lag| over its Bartlett standard error.

    NaN cells (periods before a variant was listed) drop out of every sum.
    """
    present = ~np.isnan(values)
    n = present.sum(axis=0)
    mean = np.nansum(values, axis=0) / np.maximum(n, 1)
    centred = np.where(present, values - mean, 0.0)
    denom = (centred**2).sum(axis=0)
    r = np.array([(centred[k:] * centred[:-k]).sum(axis=0) for k in range(1, lag + 1)])
    with np.errstate(divide="ignore", invalid="ignore"):
        r = r / denom
        se = np.sqrt((1 + 2 * (r[: lag - 1] ** 2).sum(axis=0)) / n)
        stat = np.abs(r[lag - 1]) / se
    return np.where((denom > 0) & (n >= 3 * lag), stat, 0.0)


def seasonal_strength(values: np.ndarray, season_length: int) -> float:
    """Hyndman's strength of seasonality from an STL decomposition; NaN under two cycles."""
    values = values[~np.isnan(values)]
    if season_length < 2 or len(values) < 2 * season_length + 1 or np.ptp(values) == 0:
        return float("nan")
    fit = STL(values, period=season_length, robust=False).fit()  # pyright: ignore[reportUnknownVariableType, reportUnknownMemberType]
    remainder = cast(npt.NDArray[np.float64], fit.resid)  # pyright: ignore[reportUnknownMemberType]
    seasonal = cast(npt.NDArray[np.float64], fit.seasonal)  # pyright: ignore[reportUnknownMemberType]
    return float(max(0.0, 1.0 - np.var(remainder) / np.var(seasonal + remainder)))


def detect_seasonality(series: pd.Series, season_length: int | None = None) -> Seasonality:
    """Whether a series repeats with the calendar cycle of its frequency (or `season_length`).

    Detected when the autocorrelation at lag m passes a one-sided 95 % test (Bartlett standard
    error, as in the M4 Theta benchmark) and the STL strength is at least 0.1. Censored periods
    are interpolated before testing, so stock-outs do not fake a pattern.
    """
    periods = regular_periods(series.index, "demand series")
    values = demand_values(series, "demand series")
    if np.isnan(values).all():
        raise ValueError("demand series has no observed period (all NaN): nothing to test")
    m = season_length or natural_season(periods)
    listed = values[int(np.flatnonzero(~np.isnan(values))[0]) :]
    filled = pd.Series(listed).interpolate(limit_direction="both").to_numpy()
    if m < 2:
        return Seasonality(1, False, 0.0, float("nan"))
    stat = float(acf_statistics(filled[:, None], m)[0])
    strength = seasonal_strength(filled, m)
    detected = stat > ACF_CRITICAL and strength >= MIN_SEASONAL_STRENGTH
    return Seasonality(m if detected else 1, detected, stat, strength)


def join_actuals(forecasts: pd.DataFrame, actual: pd.DataFrame, name: str) -> pd.DataFrame:
    """The long forecasts with the actual demand of each (variant, period) as column `name`.

    Both sides meet as periods, so forecasts of a DatetimeIndex frame match actuals on a
    PeriodIndex and back; actuals that share no period or variant with the forecasts are an
    error rather than a silently empty comparison.
    """
    missing = {"variant_id", "period", "mean"} - set(forecasts.columns)
    if missing:
        raise ValueError(f"forecasts lacks columns {sorted(missing)}")
    periods = regular_periods(actual.index, name)
    values = demand_values(actual, name)
    stamps = forecasts["period"]
    keys = (
        pd.PeriodIndex(stamps)
        if isinstance(stamps.dtype, pd.PeriodDtype)
        else pd.DatetimeIndex(stamps).to_period(periods.freq)  # pyright: ignore[reportArgumentType]
    )
    if not (keys.isin(periods).any() and forecasts["variant_id"].isin(actual.columns).any()):
        raise ValueError(
            f"{name} ({periods[0]} .. {periods[-1]}) shares no period or variant with the "
            "forecasts; pass the demand of the forecast periods"
        )
    long = pd.DataFrame(values, index=periods, columns=actual.columns).stack(future_stack=True)
    long = long.rename(name).rename_axis(["_period", "variant_id"])  # pyright: ignore[reportArgumentType]
    joined = forecasts.assign(_period=keys).join(long, on=["_period", "variant_id"])
    return joined.drop(columns="_period")
