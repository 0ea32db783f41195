"""RFM scores, the eleven named segments, and a churn risk score the merchant can sort by.

Scores are quintiles within the shop's own customers (5 = best). Ties share the score of the
lowest rank in their tie, so all one-time buyers get the same F score. The segment is read from
a 5 x 5 grid of R against FM = round-half-up((F + M) / 2), documented in
docs/customer-analytics.md and in `SEGMENT_GRID` below.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import rankdata

SEGMENTS: dict[str, str] = {
    "champions": "Champions",
    "loyal": "Loyal",
    "potential_loyalists": "Potential loyalists",
    "new": "New",
    "promising": "Promising",
    "need_attention": "Need attention",
    "about_to_sleep": "About to sleep",
    "at_risk": "At risk",
    "cant_lose": "Can't lose",
    "hibernating": "Hibernating",
    "lost": "Lost",
}

# Rows: R score 5 (bought most recently) down to 1; columns: FM score 1..5.
SEGMENT_GRID: tuple[tuple[str, ...], ...] = (
    ("new", "potential_loyalists", "potential_loyalists", "champions", "champions"),  # R 5
    ("promising", "potential_loyalists", "potential_loyalists", "loyal", "loyal"),  # R 4
    ("about_to_sleep", "about_to_sleep", "need_attention", "loyal", "loyal"),  # R 3
    ("hibernating", "hibernating", "at_risk", "at_risk", "cant_lose"),  # R 2
    ("lost", "lost", "at_risk", "at_risk", "cant_lose"),  # R 1
)

_SEGMENT_CODES = {name: i for i, name in enumerate(SEGMENTS)}
_GRID_CODES = np.array([[_SEGMENT_CODES[s] for s in row] for row in SEGMENT_GRID])


def quintile_scores(values: np.ndarray | pd.Series, higher_is_better: bool = True) -> np.ndarray:
    """1..5 by the quintile of each value's rank; tied values share the lower score."""
    v = np.asarray(values, dtype=float)
    if len(v) == 0:
        return np.zeros(0, dtype=np.int8)
    ranks = rankdata(v if higher_is_better else -v, method="min")  # 1-based
    return (1 + np.floor(5 * (ranks - 1) / len(v))).astype(np.int8)


def rfm_scores(summary: pd.DataFrame) -> pd.DataFrame:
    """R, F, M and FM scores from an `rfm_summary` frame.

    R ranks the time since the last purchase (T - recency, shorter is better), F the number of
    purchase periods, M the mean net value per purchase period including the first
    (`total_value / (frequency + 1)`, or `monetary_value` when there is no `total_value`).
    """
    silence = summary["T"].to_numpy(dtype=float) - summary["recency"].to_numpy(dtype=float)
    purchases = summary["frequency"].to_numpy(dtype=float) + 1
    if "total_value" in summary:
        spend = summary["total_value"].to_numpy(dtype=float) / purchases
    else:
        spend = summary["monetary_value"].to_numpy(dtype=float)
    r = quintile_scores(silence, higher_is_better=False)
    f = quintile_scores(purchases)
    m = quintile_scores(spend)
    fm = ((f.astype(int) + m + 1) // 2).astype(np.int8)
    return pd.DataFrame(
        {"r_score": r, "f_score": f, "m_score": m, "fm_score": fm}, index=summary.index
    )


def segment(r_score: np.ndarray | pd.Series, fm_score: np.ndarray | pd.Series) -> pd.Categorical:
    """The named segment of each (R, FM) pair, as a categorical over `SEGMENTS` keys."""
    r = np.asarray(r_score, dtype=int)
    fm = np.asarray(fm_score, dtype=int)
    if len(r) and (r.min() < 1 or r.max() > 5 or fm.min() < 1 or fm.max() > 5):
        raise ValueError("R and FM scores must lie in 1..5")
    codes = _GRID_CODES[5 - r, fm - 1]
    return pd.Categorical.from_codes(codes, categories=list(SEGMENTS))  # pyright: ignore[reportArgumentType]


def churn_risk(
    p_alive: np.ndarray | pd.Series,
    frequency: np.ndarray | pd.Series,
    recency: np.ndarray | pd.Series,
    T: np.ndarray | pd.Series,
) -> np.ndarray:
    """0..1, higher = more likely gone: 1 - P(alive) * 0.5^overdue.

    `overdue` counts how many typical gaps beyond the first the customer has been silent:
    max(0, (T - recency) / gap - 1), with gap the customer's own mean time between purchases
    (recency / frequency) or, for one-time buyers, the shop's median of that. It corrects the
    BG/NBD blind spot where every one-time buyer has P(alive) = 1 however long ago they came.
    """
    x = np.asarray(frequency, dtype=float)
    tx = np.asarray(recency, dtype=float)
    age = np.asarray(T, dtype=float)
    alive = np.asarray(p_alive, dtype=float)
    gap = typical_gap(x, tx)
    overdue = np.maximum(0.0, (age - tx) / gap - 1.0)
    return 1.0 - alive * np.exp2(-overdue)


def typical_gap(frequency: np.ndarray, recency: np.ndarray) -> np.ndarray:
    """Each customer's mean periods between purchases; the shop median for one-time buyers."""
    repeat = frequency > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        own = np.where(repeat, recency / frequency, np.nan)
    shop = float(np.median(own[repeat])) if repeat.any() else np.nan
    gap = np.where(repeat, own, shop)
    return np.maximum(gap, 1e-9)  # several purchases within one period: gap of 0 periods
