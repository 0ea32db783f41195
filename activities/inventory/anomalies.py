"""Anomalies: sales far outside their forecast interval, stock that moves without a reason.

Both return one row per finding with a numeric `score` and a `severity` (low, medium, high),
so a notification can pick its threshold.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from activities.inventory.demand import join_actuals, regular_periods

SEVERITY_CUTS = (1.0, 2.0, 4.0)  # interval half-widths beyond the bound: low, medium, high
ROBUST_Z = 3.5  # Iglewicz & Hoaglin's cut-off for the modified z-score
ROBUST_CUTS = (ROBUST_Z, 7.0, 14.0)
MAD_TO_SD = 1.4826
MEAN_AD_TO_SD = 1.2533


def _severity(score: np.ndarray, cuts: tuple[float, float, float]) -> np.ndarray:
    return np.select(
        [score > cuts[2], score > cuts[1], score > cuts[0]], ["high", "medium", "low"], "none"
    )


def sales_anomalies(
    sales: pd.DataFrame, forecasts: pd.DataFrame, min_unit_scale: float = 1.0
) -> pd.DataFrame:
    """Periods whose sales fall far outside the forecast's 80 % interval.

    `sales` is periods × variants (NaN = censored, skipped); `forecasts` the long frame of
    forecast_many (variant_id, period, mean, lo, hi). The score is the distance beyond the
    interval in half-widths of it, the half-width floored at `min_unit_scale` units so a slow
    mover with a [0, 0] interval is not flagged for every single sale. Only scores above 1 are
    reported: an 80 % interval is crossed on one day in five by design.
    """
    missing = {"lo", "hi"} - set(forecasts.columns)
    if missing:
        raise ValueError(f"forecasts lacks columns {sorted(missing)}")
    frame = join_actuals(forecasts, sales, "sales").dropna(subset=["sales"])
    half = np.maximum((frame["hi"] - frame["lo"]).to_numpy() / 2, min_unit_scale)
    above = (frame["sales"] - frame["hi"]).to_numpy()
    below = (frame["lo"] - frame["sales"]).to_numpy()
    score = np.maximum(above, below) / half
    frame = frame.assign(
        direction=np.where(above > 0, "spike", "drop"),
        score=score,
        severity=_severity(score, SEVERITY_CUTS),
    )
    columns = [
        "variant_id",
        "period",
        "sales",
        "mean",
        "lo",
        "hi",
        "direction",
        "score",
        "severity",
    ]
    return frame.loc[frame["score"] > SEVERITY_CUTS[0], columns].reset_index(drop=True)


def _robust_scale(values: np.ndarray, floor: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Median and robust SD per column (MAD, else mean absolute deviation), at least `floor`."""
    median = np.nanmedian(values, axis=0)
    deviation = np.abs(values - median)
    sd = MAD_TO_SD * np.nanmedian(deviation, axis=0)
    sd = np.where(sd > 0, sd, MEAN_AD_TO_SD * np.nanmean(deviation, axis=0))
    return median, np.maximum(sd, floor)


def stock_anomalies(
    stock: pd.DataFrame,
    sales: pd.DataFrame,
    receipts: pd.DataFrame | None = None,
    min_units: float = 1.0,
) -> pd.DataFrame:
    """Days on which on-hand stock moved in a way sales (and receipts) do not explain.

    All frames are days × variants on the same daily index: end-of-day stock, units sold and,
    if known, units received. The unexplained change is Δstock + sales − receipts. Drops
    (stock vanished: `drop_without_sales` or `drop_beyond_sales`) and jumps are scored with a
    robust z-score (median / MAD per variant, mean absolute deviation when the MAD is zero,
    Iglewicz–Hoaglin 3.5 cut-off), the scale floored at `min_units`. Without receipts every
    restock is a positive change, so jumps are judged by log size against the variant's other
    restocks (at least three), and the drop scale ignores restock days.
    """
    periods = regular_periods(stock.index, "stock")
    stock = stock.set_axis(periods)
    sales = sales.set_axis(regular_periods(sales.index, "sales")).reindex(
        index=periods, columns=stock.columns
    )
    level = stock.to_numpy(dtype=float)
    sold = np.nan_to_num(sales.to_numpy(dtype=float))
    if (sold < 0).any():
        raise ValueError("sales must be >= 0 units")
    received = np.zeros_like(sold)
    if receipts is not None:
        received = np.nan_to_num(
            receipts.set_axis(regular_periods(receipts.index, "receipts"))
            .reindex(index=periods, columns=stock.columns)
            .to_numpy(dtype=float)
        )
    change = np.full_like(level, np.nan)
    change[1:] = level[1:] - level[:-1]
    unexplained = change + sold - received
    restock = np.zeros_like(unexplained, dtype=bool) if receipts is not None else unexplained > 0
    floor = np.full(sold.shape[1], float(min_units))
    median, sd = _robust_scale(np.where(restock, 0.0, unexplained), floor)
    z = np.abs(unexplained - median) / sd
    if receipts is None:  # restocks: log size against the other restocks
        sizes = np.where(restock, np.log1p(np.where(restock, unexplained, 0.0)), np.nan)
        enough = (restock.sum(axis=0) >= 3)[None, :]
        columns: int = sold.shape[1]
        r_median, r_sd = _robust_scale(sizes, np.full(columns, 0.25))
        z = np.where(restock, np.where(enough, (sizes - r_median) / r_sd, 0.0), z)
    big = np.abs(np.nan_to_num(unexplained)) >= min_units
    flagged = big & (np.nan_to_num(z) > ROBUST_Z)
    t, c = np.nonzero(flagged)
    kind = np.where(
        unexplained[t, c] > 0,
        "jump",
        np.where(sold[t, c] > 0, "drop_beyond_sales", "drop_without_sales"),
    )
    return pd.DataFrame(
        {
            "variant_id": stock.columns.to_numpy()[c],
            "period": periods[t],
            "stock_change": change[t, c],
            "sales": sold[t, c],
            "unexplained": unexplained[t, c],
            "kind": kind,
            "score": z[t, c],
            "severity": _severity(z[t, c], ROBUST_CUTS),
        }
    )
