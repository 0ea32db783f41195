"""Demand history made ready for the models: calendar effects out, censored periods filled.

Calendar effects (public holidays, Black Friday weekend, pre-Christmas, the Christmas lull) are
multipliers estimated per variant against a local seasonal baseline, on periods where only that
event is active, with a Poisson-gamma shrinkage toward the effect pooled over the other
variants. Dividing them out lets every model family use them, intermittent ones included; the
forecaster multiplies them back into its forecasts.

Censored (stock-out) periods of smooth-family series get the baseline's value (local level ×
seasonal index, both fitted on observed periods only); the raw NaN is kept, so the backtest
excludes those periods from the loss. Intermittent-family series drop them instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple, cast

import numpy as np
import numpy.typing as npt
import pandas as pd

from activities.inventory.calendar import EVENTS, shopping_calendar
from activities.inventory.demand import (
    ADI_CUTOFF,
    demand_values,
    natural_season,
    profile_arrays,
)

# Weight, in Poisson-equivalent units of baseline demand, that pulls a variant's calendar effect
# toward the effect pooled over the other variants (and the pooled one toward none).
EFFECT_PRIOR = 20.0
EFFECT_RANGE = (0.05, 20.0)
# Centred window of the local level used as baseline and for imputation, per frequency.
BASELINE_WINDOW = {"D": 57, "B": 41, "W": 9, "M": 5}


@dataclass
class Chunk:
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


def _centred_mean(values: np.ndarray, usable: np.ndarray, window: int) -> np.ndarray:
    """Mean of usable cells in a centred window along the rows; NaN where none are usable."""
    half = window // 2
    rows: int = values.shape[0]
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


class Calendar(NamedTuple):
    periods: pd.PeriodIndex
    shares_hist: np.ndarray  # periods × events
    shares_future: np.ndarray
    phase: np.ndarray
    m_base: int
    window: int


def calendar_for(periods: pd.PeriodIndex, horizon: int, holidays: str | None) -> Calendar:
    """Event shares for history and horizon, and the calendar cycle of the frequency."""
    m_base = natural_season(periods)
    freq = periods.freqstr.split("-")[0].upper()
    window = BASELINE_WINDOW.get(freq, 9)
    everything = pd.period_range(periods[0], periods[-1] + horizon, freq=periods.freq)
    if holidays is None:
        shares = np.zeros((len(everything), len(EVENTS)))
    else:
        shares = shopping_calendar(everything, holidays)[list(EVENTS)].to_numpy()
    ordinals = cast(npt.NDArray[np.int64], periods.asi8)  # pyright: ignore[reportAttributeAccessIssue, reportUnknownMemberType, reportUnknownArgumentType]
    phase = (ordinals % m_base) if m_base > 1 else np.zeros(len(periods), dtype=int)
    n = len(periods)
    return Calendar(periods, shares[:n], shares[n:], phase, m_base, window)


class Evidence(NamedTuple):
    """First pass over a chunk: demand class, baseline and the calendar-effect sums."""

    observed: np.ndarray
    adi: np.ndarray
    cv2: np.ndarray
    family: np.ndarray  # "smooth" / "intermittent"
    baseline: np.ndarray
    sum_demand: np.ndarray  # events × variants, dispersion-scaled
    sum_base: np.ndarray


def effect_evidence(raw: np.ndarray, cal: Calendar) -> Evidence:
    """Classify, fit the baseline and sum the evidence for each calendar effect of a chunk."""
    observed = ~np.isnan(raw)
    adi, cv2 = profile_arrays(raw)
    family = np.where(adi >= ADI_CUTOFF, "intermittent", "smooth")
    quiet = cal.shares_hist.sum(axis=1) == 0
    usable = observed & quiet[:, None]
    baseline = _baseline(raw, usable, cal.phase, cal.m_base, cal.window, family == "smooth")
    sum_demand, sum_base = _effect_sums(raw, baseline, observed, cal.shares_hist)
    return Evidence(observed, adi, cv2, family, baseline, sum_demand, sum_base)


def prepare_chunk(
    frame: pd.DataFrame, cal: Calendar, totals: tuple[np.ndarray, np.ndarray]
) -> Chunk:
    """A chunk ready for the models; `totals` are the effect sums over the whole batch."""
    raw = demand_values(frame, "demand frame")
    observed, adi, cv2, family, baseline, sum_demand, sum_base = effect_evidence(raw, cal)
    effects = _shrunk_effects(sum_demand, sum_base, totals)
    listed = np.maximum.accumulate(observed, axis=0)
    effect_hist = _multipliers(cal.shares_hist, effects)
    prepared = np.where(observed, raw / effect_hist, baseline)
    prepared[~listed] = np.nan
    return Chunk(
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
