"""Closed-form stock policy: safety stock, reorder point, economic order quantity, the order-by
date, and open orders that arrive after the shelf runs empty."""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import pairwise
from numbers import Real
from typing import NamedTuple, cast

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.stats import norm

ArrayLike = float | np.ndarray


class ReorderPoint(NamedTuple):
    safety_stock: ArrayLike
    reorder_point: ArrayLike


class OrderQuantity(NamedTuple):
    quantity: float
    unit_price: float
    total_cost: float  # per year: purchase + ordering + holding


def _non_negative(name: str, value: ArrayLike) -> np.ndarray:
    array = np.asarray(value, dtype=float)
    if not np.isfinite(array).all() or (array < 0).any():
        raise ValueError(f"{name} must be finite and >= 0, got {value!r}")
    return array


def _scalar_or_array(array: np.ndarray) -> ArrayLike:
    return float(array) if array.ndim == 0 else array


def reorder_point(
    mean_demand: ArrayLike,
    sd_demand: ArrayLike,
    mean_lead_time: ArrayLike,
    sd_lead_time: ArrayLike,
    service_level: ArrayLike,
) -> ReorderPoint:
    """Safety stock z·sqrt(L·σd² + d²·σL²) and reorder point d·L + safety stock.

    Demand is per period and lead time in the same periods; both vary. `service_level` is the
    cycle service level (probability of no stock-out in a replenishment cycle), in (0, 1).
    Works element-wise on arrays, so a whole assortment is one call.
    """
    d = _non_negative("mean_demand", mean_demand)
    sd = _non_negative("sd_demand", sd_demand)
    lead = _non_negative("mean_lead_time", mean_lead_time)
    sd_lead = _non_negative("sd_lead_time", sd_lead_time)
    level = np.asarray(service_level, dtype=float)
    if not ((level > 0) & (level < 1)).all():
        raise ValueError(f"service_level must be strictly between 0 and 1, got {service_level!r}")
    safety = norm.ppf(level) * np.sqrt(lead * sd**2 + d**2 * sd_lead**2)
    return ReorderPoint(_scalar_or_array(safety), _scalar_or_array(d * lead + safety))


def _tiers(
    unit_price: float, price_breaks: Sequence[tuple[float, float]] | None
) -> list[tuple[float, float, float]]:
    """(from quantity, up to but excluding, price) of each all-units price tier."""
    breaks = sorted((float(q), float(p)) for q, p in (price_breaks or []))
    for q, p in breaks:
        if not (math.isfinite(q) and q >= 0 and math.isfinite(p) and p > 0):
            raise ValueError(f"price break ({q}, {p}) needs min_quantity >= 0 and unit_price > 0")
    starts = [q for q, _ in breaks]
    if len(set(starts)) != len(starts):
        raise ValueError(f"price_breaks repeat a min_quantity: {price_breaks!r}")
    tiers = [(0.0, unit_price), *breaks] if not breaks or breaks[0][0] > 0 else breaks
    prices = [p for _, p in tiers]
    if any(b > a for a, b in pairwise(prices)):
        raise ValueError(
            f"price_breaks must not raise the price as quantity grows (all-units discounts): "
            f"{tiers!r}"
        )
    ends = [q for q, _ in tiers[1:]] + [math.inf]
    return [(q, end, p) for (q, p), end in zip(tiers, ends, strict=True)]


def eoq(
    annual_demand: float,
    order_cost: float,
    holding_cost_rate: float,
    unit_price: float,
    price_breaks: Sequence[tuple[float, float]] | None = None,
    moq: float | None = None,
    pack_size: float | None = None,
) -> OrderQuantity:
    """Order quantity with the lowest yearly cost D·p + D/Q·S + Q/2·h·p.

    Classic EOQ sqrt(2DS / hp); with all-units `price_breaks` [(min_quantity, unit_price), ...]
    each tier's EOQ is clamped into the tier and the cheapest tier wins (purchase cost
    included). `moq` raises the floor; `pack_size` restricts Q to whole packs, trying the packs
    either side of the optimum in every tier, so the answer is re-costed at its real price.
    Without a pack size the quantity is the continuous textbook optimum.
    """
    for name, value in (
        ("annual_demand", annual_demand),
        ("order_cost", order_cost),
        ("holding_cost_rate", holding_cost_rate),
        ("unit_price", unit_price),
    ):
        if not (isinstance(value, Real) and math.isfinite(value) and value > 0):
            raise ValueError(f"{name} must be a positive number, got {value!r}")
    for name, value in (("moq", moq), ("pack_size", pack_size)):
        if value is not None and not (math.isfinite(value) and value > 0):
            raise ValueError(f"{name} must be positive when given, got {value!r}")

    def cost(quantity: float, price: float) -> float:
        return (
            annual_demand * price
            + annual_demand / quantity * order_cost
            + quantity / 2 * holding_cost_rate * price
        )

    floor = moq or 0.0
    best: OrderQuantity | None = None
    for start, end, price in _tiers(float(unit_price), price_breaks):
        lower = max(start, floor)
        if lower >= end:
            continue
        optimum = math.sqrt(2 * annual_demand * order_cost / (holding_cost_rate * price))
        if pack_size is None:
            if optimum >= end:  # the next, cheaper tier does better at its threshold
                continue
            candidates = [max(optimum, lower)]
        else:
            packs = optimum / pack_size
            first = max(math.ceil(lower / pack_size), 1)
            last = (
                math.ceil(end / pack_size) - 1
                if math.isfinite(end)
                else max(first, math.ceil(packs))
            )
            if first > last:
                continue
            candidates = sorted(
                {
                    min(max(k, first), last) * pack_size
                    for k in (math.floor(packs), math.ceil(packs))
                }
            )
        for quantity in candidates:
            total = cost(quantity, price)
            if best is None or total < best.total_cost:
                best = OrderQuantity(float(quantity), price, total)
    if best is None:
        raise ValueError(
            f"no order quantity satisfies moq={moq}, pack_size={pack_size} and price_breaks="
            f"{price_breaks!r}"
        )
    return best


def order_by(position: pd.Series, forecasts: pd.DataFrame, reorder_points: pd.Series) -> pd.Series:
    """Per variant, the first forecast period whose projected stock reaches the reorder point.

    `position` is on hand plus on order, `reorder_points` the reorder_point per variant (both
    indexed by variant_id), `forecasts` the long frame of forecast_many. Projected stock is the
    position minus cumulative forecast demand to the end of each period; a variant already at or
    below its reorder point gets the first period (order now). Variants that stay above it
    through the horizon, or have no forecast, get NaN.
    """
    missing = {"variant_id", "period", "mean"} - set(forecasts.columns)
    if missing:
        raise ValueError(f"forecasts lacks columns {sorted(missing)}")
    if (position < 0).any():
        raise ValueError("position (on hand + on order) must be >= 0; book backorders as demand")
    frame = forecasts[["variant_id", "period", "mean"]].copy()
    used = frame["mean"].groupby(frame["variant_id"], sort=False).cumsum()
    frame["left"] = frame["variant_id"].map(position) - used
    frame["rop"] = frame["variant_id"].map(reorder_points)
    due = frame[frame["left"] <= frame["rop"]]
    first = due.groupby("variant_id", sort=False)["period"].first()
    return first.reindex(position.index).rename("order_by")


LATE_COLUMNS = ("variant_id", "stockout", "arrival", "order_id", "quantity", "shortfall")


def late_arrivals(
    on_hand: pd.Series, forecasts: pd.DataFrame, arrivals: pd.DataFrame
) -> pd.DataFrame:
    """Per variant, the first day the shelf runs empty while an open order is still to come.

    The stock position of `order_by` counts an order from the day it is placed, so a reorder is
    not triggered twice; this asks the other question, whether what is on the shelf lasts until
    the goods arrive. `on_hand` is the stock on the shelf (>= 0, by variant_id), `forecasts` the
    long frame of forecast_many (daily periods), `arrivals` one row per open order and variant:
    `variant_id`, `order_id`, `period` (the expected arrival day) and `quantity` (units still
    outstanding). An arrival before the first forecast day (overdue) is taken to come on that
    day, the earliest it still can.

    Projected stock = on hand + arrivals up to the day − cumulative forecast demand (order_by
    with the arrivals as negative demand and a reorder point of 0). The stock-out is the first
    day it reaches 0; the variant is late when some arrival is still pending after that day.
    Returns `variant_id`, `stockout`, `arrival` (the next arrival after the stock-out: the order
    to expedite), `order_id`, `quantity` (its units) and `shortfall`: the forecast demand up to
    the day before that arrival that neither the shelf nor earlier arrivals cover (past the
    horizon at the horizon's mean daily demand), i.e. what a bridging order must bring. Rows
    only where the shortfall is positive; a stock-out beyond the horizon is not seen.
    """
    on_hand = on_hand.dropna()
    arrivals = arrivals[(arrivals["quantity"] > 0) & arrivals["variant_id"].isin(on_hand.index)]
    frame = forecasts.loc[
        forecasts["variant_id"].isin(arrivals["variant_id"]), ["variant_id", "period", "mean"]
    ]
    if frame.empty:
        return pd.DataFrame(columns=list(LATE_COLUMNS))
    frame_days = cast(npt.NDArray[np.int64], pd.PeriodIndex(frame["period"], freq="D").asi8)  # pyright: ignore[reportAttributeAccessIssue, reportUnknownMemberType, reportUnknownArgumentType]
    frame = frame.assign(day=frame_days)
    frame = frame.sort_values(["variant_id", "day"], kind="stable")
    days = frame.groupby("variant_id", sort=False)["day"]
    first, last = days.min(), days.max()
    arrivals = arrivals[arrivals["variant_id"].isin(first.index)]
    arrival_days = cast(npt.NDArray[np.int64], pd.PeriodIndex(arrivals["period"], freq="D").asi8)  # pyright: ignore[reportAttributeAccessIssue, reportUnknownMemberType, reportUnknownArgumentType]
    arrivals = arrivals.assign(
        day=np.maximum(
            arrival_days,
            first.reindex(arrivals["variant_id"]).to_numpy(),
        )
    )
    key = pd.MultiIndex.from_arrays([frame["variant_id"], frame["day"]])
    incoming = arrivals.groupby(["variant_id", "day"])["quantity"].sum()
    frame["in"] = incoming.reindex(key).fillna(0.0).to_numpy()
    used = pd.Series(frame.groupby("variant_id", sort=False)["mean"].cumsum().to_numpy(), key)
    came = pd.Series(frame.groupby("variant_id", sort=False)["in"].cumsum().to_numpy(), key)

    shelf = on_hand.reindex(first.index).astype(float)
    net = frame.assign(mean=frame["mean"] - frame["in"])
    out = order_by(shelf, net, pd.Series(0.0, index=shelf.index)).dropna()
    out_days = cast(npt.NDArray[np.int64], pd.PeriodIndex(out, freq="D").asi8)  # pyright: ignore[reportAttributeAccessIssue, reportUnknownMemberType, reportUnknownArgumentType]
    out_day = pd.Series(out_days, index=out.index)
    pending = arrivals[arrivals["day"] > arrivals["variant_id"].map(out_day)]
    if pending.empty:
        return pd.DataFrame(columns=list(LATE_COLUMNS))
    nxt = pending.sort_values(["variant_id", "day", "order_id"]).drop_duplicates("variant_id")
    variant = nxt["variant_id"].to_numpy()
    stockout = out_day.reindex(variant).to_numpy()
    before = nxt["day"].to_numpy() - 1  # the arrival day's own demand is served by it
    horizon_end = last.reindex(variant).to_numpy()
    upto = np.minimum(before, horizon_end)
    demand = used.reindex(pd.MultiIndex.from_arrays([variant, upto])).to_numpy()
    total = used.reindex(pd.MultiIndex.from_arrays([variant, horizon_end])).to_numpy()
    per_day = total / (horizon_end - first.reindex(variant).to_numpy() + 1)
    demand = demand + per_day * np.maximum(before - horizon_end, 0)
    # no arrival falls between the stock-out and the next one: what came is what came by then
    arrived = came.reindex(pd.MultiIndex.from_arrays([variant, stockout])).to_numpy()
    shortfall = demand - shelf.reindex(variant).to_numpy() - arrived
    stockout_periods = cast(pd.PeriodIndex, pd.PeriodIndex.from_ordinals(stockout, freq="D"))  # pyright: ignore[reportAttributeAccessIssue, reportUnknownMemberType]
    arrival_periods = cast(pd.PeriodIndex, pd.PeriodIndex.from_ordinals(nxt["day"].to_numpy(), freq="D"))  # pyright: ignore[reportAttributeAccessIssue, reportUnknownMemberType]
    found = pd.DataFrame(
        {
            "variant_id": variant,
            "stockout": stockout_periods,
            "arrival": arrival_periods,
            "order_id": nxt["order_id"].to_numpy(),
            "quantity": nxt["quantity"].to_numpy(dtype=float),
            "shortfall": shortfall,
        }
    )
    return found[found["shortfall"] > 1e-9].reset_index(drop=True)
