"""Price sensitivity: how each product's demand answers its own price, and who buys only on sale.

Elasticity (docs/customer-analytics.md, "Price sensitivity"): per product, an OLS of the log of
its weekly units on the log of its weekly mean unit price, with the log of the shop's other
products' units that week as a control (a shared week effect: seasons, campaigns, traffic):

    log units_w = a + elasticity · log price_w + b · log(1 + other units_w) + e_w

and a t interval on the slope. Per category the same, pooled over its products with a fixed
effect per product (prices demeaned within each product, so only a product's own price moves
count). Weeks without a sale say nothing of the price and are left out. An elasticity is only
estimated where prices moved enough to tell it from noise; everywhere else it is "unknown", with
the reason (a code of UNKNOWN_REASONS).

Per customer: the share of units bought at a discount and a class, full-price, mixed or
discount-only (with too few units: no class).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import stats

SALES_COLUMNS: Final = ("code", "week", "units", "price")
ELASTICITY_COLUMNS: Final = (
    "key",
    "status",
    "reason",
    "elasticity",
    "ci_low",
    "ci_high",
    "weeks",
    "price_levels",
    "price_spread",
    "units",
)
CONFIDENCE: Final = 0.95
# Weekly prices within 1 % of each other are one price level (rounding, a currency's cents).
PRICE_LEVEL_STEP: Final = 0.01
MIN_WEEKS: Final = 8  # weeks with sales: the regression has 3 parameters and needs residual room
MIN_PRICE_LEVELS: Final = 2
MIN_WEEKS_PER_LEVEL: Final = 2  # a level seen in a single week could be one odd order
MIN_PRICE_SPREAD: Final = 0.05  # highest over lowest weekly price, minus 1
# A product's regular price: the highest price level that sold at least this share of its units
# (the most common one could be a sale price that ran for months).
REGULAR_PRICE_SHARE: Final = 0.25

# Buyer classes by the share of units bought at a discount.
MIN_UNITS_FOR_CLASS: Final = 3
FULL_PRICE_MAX_SHARE: Final = 0.1
DISCOUNT_ONLY_MIN_SHARE: Final = 0.8


# Why an elasticity is unknown: a stable code (stored, translated by the UI) and its English text.
UNKNOWN_REASONS: Final = {
    "few_weeks": f"sold in too few weeks; at least {MIN_WEEKS} are needed",
    "price_never_moved": "the price never moved",
    "one_price_level": (
        f"only one price held for {MIN_WEEKS_PER_LEVEL}+ weeks; "
        f"at least {MIN_PRICE_LEVELS} are needed"
    ),
    "small_price_spread": f"prices moved by less than {MIN_PRICE_SPREAD:.0%}",
    "moved_with_shop": "the price moved only together with the shop's other sales",
    "no_product_moved": "no product of the category had prices that moved enough",
}


@dataclass(frozen=True)
class PriceLevels:
    """How a product's weekly price moved."""

    weeks: int
    levels: int  # price levels seen in at least MIN_WEEKS_PER_LEVEL weeks
    spread: float

    def unknown_reason(self) -> str | None:
        """Why no elasticity can be estimated from these prices (an UNKNOWN_REASONS code), or
        None when it can."""
        if self.weeks < MIN_WEEKS:
            return "few_weeks"
        if self.spread < PRICE_LEVEL_STEP:
            return "price_never_moved"
        if self.levels < MIN_PRICE_LEVELS:
            return "one_price_level"
        if self.spread < MIN_PRICE_SPREAD:
            return "small_price_spread"
        return None


def price_levels(prices: npt.NDArray[np.float64]) -> PriceLevels:
    """Weeks, distinct price levels (PRICE_LEVEL_STEP apart, each held MIN_WEEKS_PER_LEVEL weeks)
    and relative spread of a product's weekly prices."""
    positive: npt.NDArray[np.float64] = prices[np.isfinite(prices) & (prices > 0)]
    if len(positive) == 0:
        return PriceLevels(0, 0, 0.0)
    counts = pd.Series(_level_of(positive)).value_counts().to_numpy()
    return PriceLevels(
        weeks=len(positive),
        levels=int((counts >= MIN_WEEKS_PER_LEVEL).sum()),
        spread=float(positive.max() / positive.min() - 1),
    )


def product_elasticities(sales: pd.DataFrame) -> pd.DataFrame:
    """One row per product of `sales` (code, week, units, price; one row per product and week
    with a sale): ELASTICITY_COLUMNS, `key` the product code, status estimated or unknown."""
    frame = _checked(sales)
    control = _other_units(frame)
    rows: list[dict[str, object]] = []
    for code, group in frame.groupby("code", sort=True):
        index = group.index.to_numpy()
        levels = price_levels(group["price"].to_numpy(dtype=float))
        row = _row(str(code), levels, float(group["units"].sum()))
        if (reason := levels.unknown_reason()) is not None:
            rows.append({**row, "reason": reason})
            continue
        fit = _slope(
            np.log(group["units"].to_numpy(dtype=float)),
            np.log(group["price"].to_numpy(dtype=float)),
            control[index],
            groups=None,
        )
        rows.append({**row, **fit})
    return pd.DataFrame(rows, columns=list(ELASTICITY_COLUMNS))


def category_elasticities(sales: pd.DataFrame, categories: pd.Series) -> pd.DataFrame:
    """One row per category (`categories`: category by product code; products without one are
    left out): ELASTICITY_COLUMNS pooled over the category's products with a fixed effect each.
    Estimated when at least one of its products' prices moved enough."""
    frame = _checked(sales)
    control = _other_units(frame)
    frame["category"] = frame["code"].map(categories)
    rows: list[dict[str, object]] = []
    for category, group in frame.dropna(subset=["category"]).groupby("category", sort=True):
        per_product = [
            price_levels(g["price"].to_numpy(dtype=float)) for _, g in group.groupby("code")
        ]
        moved = [p for p in per_product if p.unknown_reason() is None]
        row = _row(
            str(category),
            PriceLevels(
                weeks=int(group["week"].nunique()),
                levels=max((p.levels for p in per_product), default=0),
                spread=max((p.spread for p in per_product), default=0.0),
            ),
            float(group["units"].sum()),
        )
        if not moved:
            rows.append({**row, "reason": "no_product_moved"})
            continue
        fit = _slope(
            np.log(group["units"].to_numpy(dtype=float)),
            np.log(group["price"].to_numpy(dtype=float)),
            control[group.index.to_numpy()],
            groups=group["code"].to_numpy(),
        )
        rows.append({**row, **fit})
    return pd.DataFrame(rows, columns=list(ELASTICITY_COLUMNS))


def regular_prices(lines: pd.DataFrame) -> pd.Series:
    """Each product's regular unit price from its sold lines (code, price, units): the highest
    price level that sold at least REGULAR_PRICE_SHARE of the product's units."""
    if lines.empty:
        return pd.Series(dtype=float, name="reference_price")
    frame = lines.loc[(lines["units"] > 0) & (lines["price"] > 0), ["code", "price", "units"]]
    frame["level"] = _level_of(frame["price"].to_numpy(dtype=float))
    by_level = frame.groupby(["code", "level"], sort=False, as_index=False).agg(
        units=("units", "sum"), price=("price", "max")
    )
    total = by_level.groupby("code")["units"].transform("sum").to_numpy(dtype=float)
    common = by_level["units"].to_numpy(dtype=float) >= REGULAR_PRICE_SHARE * total
    prices = pd.Series(
        by_level["price"].to_numpy(dtype=float)[common],
        index=pd.Index(by_level["code"].to_numpy()[common], name="code"),
        name="reference_price",
    )
    return prices.groupby(level=0).max()


def buyer_classes(
    units: np.ndarray | pd.Series, discounted_units: np.ndarray | pd.Series
) -> tuple[np.ndarray, np.ndarray]:
    """(share of units bought at a discount, class) per customer; the class is full_price,
    mixed or discount_only, and None (share too) below MIN_UNITS_FOR_CLASS units."""
    total = np.asarray(units, dtype=float)
    discounted = np.asarray(discounted_units, dtype=float)
    known = np.isfinite(total) & (total >= MIN_UNITS_FOR_CLASS)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(known, np.clip(discounted / total, 0.0, 1.0), np.nan)
    classes = np.full(len(total), None, dtype=object)
    classes[known] = "mixed"
    classes[known & (share <= FULL_PRICE_MAX_SHARE)] = "full_price"
    classes[known & (share >= DISCOUNT_ONLY_MIN_SHARE)] = "discount_only"
    return share, classes


def _level_of(prices: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """The price level of each price: log steps of PRICE_LEVEL_STEP."""
    return np.rint(np.log(prices) / math.log1p(PRICE_LEVEL_STEP))


def _checked(sales: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in SALES_COLUMNS if c not in sales.columns]
    if missing:
        raise ValueError(f"sales lack column(s) {missing}; they have {list(sales.columns)}")
    frame = sales.loc[(sales["units"] > 0) & (sales["price"] > 0), list(SALES_COLUMNS)]
    return frame.reset_index(drop=True)


def _other_units(frame: pd.DataFrame) -> np.ndarray:
    """Per row: log(1 + units of the shop's other products in the row's week)."""
    weekly = frame.groupby("week")["units"].transform("sum").to_numpy(dtype=float)
    return np.log1p(weekly - frame["units"].to_numpy(dtype=float))


def _row(key: str, levels: PriceLevels, units: float) -> dict[str, object]:
    return {
        "key": key,
        "status": "unknown",
        "reason": None,
        "elasticity": None,
        "ci_low": None,
        "ci_high": None,
        "weeks": levels.weeks,
        "price_levels": levels.levels,
        "price_spread": levels.spread,
        "units": units,
    }


def _slope(
    y: np.ndarray, log_price: np.ndarray, control: np.ndarray, groups: np.ndarray | None
) -> dict[str, object]:
    """The price coefficient with its t interval; with `groups`, a fixed effect per group
    (within transformation). The control is dropped when it does not vary."""
    columns = [log_price]
    if np.ptp(control) > 0:
        columns.append(control)
    x = np.column_stack(columns)
    if groups is None:
        x = np.column_stack([np.ones(len(y)), x])
        effects = 1
        slope_at = 1
    else:
        codes, _ = pd.factorize(groups)
        y = y - _group_means(y, codes)
        x = x - np.column_stack([_group_means(c, codes) for c in x.T])
        effects = int(codes.max()) + 1
        slope_at = 0
    dof = len(y) - x.shape[1] - (effects if groups is not None else 0)
    if dof < 1:
        return {"reason": "few_weeks"}
    coef, _, rank, _ = np.linalg.lstsq(x, y, rcond=None)
    if rank < x.shape[1]:
        return {"reason": "moved_with_shop"}
    residual = y - x @ coef
    sigma2 = float(residual @ residual) / dof
    covariance = sigma2 * np.linalg.inv(x.T @ x)
    se = float(np.sqrt(covariance[slope_at, slope_at]))
    half = float(stats.t.ppf(0.5 + CONFIDENCE / 2, dof)) * se
    value = float(coef[slope_at])
    return {
        "status": "estimated",
        "reason": None,
        "elasticity": value,
        "ci_low": value - half,
        "ci_high": value + half,
    }


def _group_means(values: np.ndarray, codes: np.ndarray) -> np.ndarray:
    sums = np.bincount(codes, weights=values)
    counts = np.bincount(codes)
    return (sums / counts)[codes]
