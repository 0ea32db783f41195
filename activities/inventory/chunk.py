"""One chunk of variants, from its database rows to what the run stores about them.

No I/O: the rows come from inventory.sql.read_chunk, the frames returned go to
inventory.sql.store_chunk. The order of calls into the pure module is the documented one:
demand_history → forecast_many → demand_per_period → reorder_point → eoq / order_by →
(purchases, per shop, in inventory.purchases) → sales_anomalies and stock_anomalies.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, cast

import numpy as np
import numpy.typing as npt
import pandas as pd

from activities.inventory.analytics import (
    BatchForecast,
    demand_history,
    demand_per_period,
    eoq,
    forecast_many,
    late_arrivals,
    order_by,
    reorder_point,
    sales_anomalies,
    stock_anomalies,
)
from activities.inventory.sql import ANOMALY_COLUMNS, FORECAST_COLUMNS, METRIC_COLUMNS, ChunkRows
from activities.inventory.weather import weather_regressors

DAYS_PER_YEAR = 365.0
# A stock row is the stock at the end of its day (a reading just before midnight); a day that
# opens sold out is censored too.
DAY_END = pd.Timedelta(hours=23, minutes=59, seconds=59)
STOCK_DAYS = 90  # end-of-day stock the stock anomaly scale is estimated from
SOON_DAYS = 7  # a late purchase order whose stock-out is this close is urgent


@dataclass(frozen=True)
class ChunkPolicy:
    """The run's settings a chunk needs (plain values, so the child gets them pickled)."""

    as_of: date
    history_from: date
    horizon: int
    service_level: float
    holding_cost_rate: float
    order_cost: float
    order_window_days: int
    lead_time_days: float
    lead_time_sd_days: float
    anomaly_days: int
    holidays: str | None

    @property
    def recent_from(self) -> date:
        return self.as_of - timedelta(days=self.anomaly_days - 1)


@dataclass(frozen=True)
class ChunkOutput:
    forecasts: pd.DataFrame  # FORECAST_COLUMNS
    metrics: pd.DataFrame  # METRIC_COLUMNS
    anomalies: pd.DataFrame  # ANOMALY_COLUMNS


def empty_output() -> ChunkOutput:
    return ChunkOutput(
        pd.DataFrame(columns=list(FORECAST_COLUMNS)),
        pd.DataFrame(columns=list(METRIC_COLUMNS)),
        pd.DataFrame(columns=list(ANOMALY_COLUMNS)),
    )


def chunk_results(rows: ChunkRows, policy: ChunkPolicy) -> ChunkOutput:
    """Forecasts, per-variant accuracy and stock policy, and anomalies of one chunk."""
    readings = stock_readings(rows.stock) if not rows.stock.empty else None
    history = demand_history(
        rows.sales, readings, start=str(policy.history_from), end=str(policy.as_of)
    )
    if history.shape[1] == 0 or not history.notna().to_numpy().any():
        return empty_output()
    batch = _forecast(history, rows, policy)
    if batch.forecasts.empty:
        return empty_output()
    forecasts = batch.forecasts.assign(
        variant_code=batch.forecasts["variant_id"],
        day=pd.PeriodIndex(batch.forecasts["period"], freq="D").to_timestamp().date,
    )
    metrics = _metrics(batch, rows, policy)
    found = [
        _sales_anomalies(history, rows, policy),
        _stock_anomalies(rows, policy),
        _late_purchase_orders(batch, metrics, rows, policy),
    ]
    return ChunkOutput(
        forecasts[list(FORECAST_COLUMNS)],
        metrics,
        _anomaly_rows(found),
    )


def promotion_calendar(
    promotions: pd.DataFrame, periods: pd.PeriodIndex, horizon: int
) -> pd.DataFrame | None:
    """1 on the days of a promotion over history and horizon, else 0; None when no promotion
    touches the history (nothing to learn its effect from)."""
    days = pd.period_range(periods[0], periods[-1] + horizon, freq="D")
    active = np.zeros(len(days))
    for start, end in promotions[["starts_on", "ends_on"]].itertuples(index=False):
        active[(days >= pd.Period(start, "D")) & (days <= pd.Period(end, "D"))] = 1.0
    if not active[: len(periods)].any():
        return None
    return pd.DataFrame({"promotion": active}, index=days)


def variant_promotions(
    promotions: pd.DataFrame, codes: pd.Index, periods: pd.PeriodIndex, horizon: int
) -> pd.DataFrame:
    """Days (history and horizon) × variants: 1 on the days of a shop-wide promotion or one
    scoped to the variant, else 0 (forecast_many leaves it out for a variant whose history
    it never touches)."""
    days = pd.period_range(periods[0], periods[-1] + horizon, freq="D")
    first = days[0].ordinal
    active = np.zeros((len(days), len(codes)))
    position = codes.get_indexer(pd.Index(promotions["variant_code"]))
    for column, start, end, shop_wide in zip(
        position.tolist(),
        promotions["starts_on"].tolist(),
        promotions["ends_on"].tolist(),
        promotions["variant_code"].isna().tolist(),
        strict=True,
    ):
        if column < 0 and not shop_wide:
            continue  # scoped to a variant outside this chunk
        lo = max(pd.Period(start, "D").ordinal - first, 0)
        hi = min(pd.Period(end, "D").ordinal - first + 1, len(days))
        if lo < hi:
            active[lo:hi, slice(None) if shop_wide else column] = 1.0
    return pd.DataFrame(active, index=days, columns=codes)


def _forecast(history: pd.DataFrame, rows: ChunkRows, policy: ChunkPolicy) -> BatchForecast:
    """forecast_many over the chunk with its regressors: the region's weather and the
    promotions, shop-wide ones with those scoped to the variant or its category, as one more
    column of each variant's own (a single call for the chunk); the backtest of each variant
    decides whether the regressors are kept (regressors_used names them)."""
    periods = pd.PeriodIndex(history.index)
    weather = weather_regressors(rows.weather, periods, policy.horizon)
    promotions = rows.promotions
    scoped = promotions["variant_code"].notna()
    shared: list[pd.DataFrame] = [] if weather is None else [weather]
    own: dict[str, pd.DataFrame] = {}
    if bool(scoped.any()):
        own["promotion"] = variant_promotions(promotions, history.columns, periods, policy.horizon)
    else:  # the same days for every variant: a shared column, as the weather
        calendar = promotion_calendar(promotions, periods, policy.horizon)
        shared += [] if calendar is None else [calendar]
    batch = forecast_many(
        history,
        policy.horizon,
        holidays=policy.holidays or None,
        regressors=pd.concat(shared, axis=1) if shared else None,
        variant_regressors=own or None,
    )
    used = batch.summary["regressors_used"].to_numpy(dtype=bool)
    given = batch.summary["regressors"].tolist()
    labels: list[str | None] = [
        ",".join(dict.fromkeys(c.split(".")[0] for c in g.split(","))) if u and g else None
        for u, g in zip(used.tolist(), given, strict=True)
    ]
    summary = batch.summary.assign(
        regressors_used=pd.Series(labels, index=batch.summary.index, dtype=object)
    )
    return BatchForecast(batch.forecasts, summary)


def _anomaly_rows(found: list[pd.DataFrame]) -> pd.DataFrame:
    """One frame of ANOMALY_COLUMNS; the order id stays an integer column (COPY into bigint)."""
    frames = [f for f in found if not f.empty] or found[:1]
    out = pd.concat(frames, ignore_index=True).reindex(columns=list(ANOMALY_COLUMNS))
    return out.astype({"purchase_order_id": "Int64"})


def stock_readings(stock: pd.DataFrame) -> pd.DataFrame:
    """Stock rows (variant_code, day, stock) as readings for demand_history: each row closes
    its day, and a sold-out previous row opens it (rows exist only where the stock changed, so
    the previous row is the stock the day started with; an opening above zero changes nothing,
    so it is left out)."""
    stock = stock.sort_values(["variant_code", "day"])
    starts = pd.to_datetime(stock["day"])
    opening = stock.groupby("variant_code")["stock"].shift(1)
    opened = (opening <= 0).to_numpy()
    return pd.DataFrame(
        {
            "variant_id": np.concatenate(
                [stock["variant_code"].to_numpy(), stock["variant_code"].to_numpy()[opened]]
            ),
            "observed_at": np.concatenate([starts + DAY_END, starts[opened]]),
            "stock": np.concatenate(
                [stock["stock"].to_numpy(dtype=float), opening.to_numpy(dtype=float)[opened]]
            ),
        }
    )


def end_of_day_stock(stock: pd.DataFrame, days: pd.PeriodIndex) -> pd.DataFrame:
    """Days × variants stock at the end of each day, carried over days without a row."""
    if stock.empty:
        return pd.DataFrame(index=days)
    frame = stock.assign(period=pd.PeriodIndex(pd.to_datetime(stock["day"]), freq="D"))
    wide = frame.pivot_table(index="period", columns="variant_code", values="stock", aggfunc="last")
    return wide.reindex(wide.index.union(days)).ffill().reindex(days)


def on_hand(stock: pd.DataFrame) -> pd.Series:
    """Each variant's latest stock row (the snapshot of this run, or the last change before)."""
    if stock.empty:
        return pd.Series(dtype=float)
    latest = stock.sort_values(["variant_code", "day"]).drop_duplicates("variant_code", keep="last")
    return latest.set_index("variant_code")["stock"].astype(float)


def units_on_order(on_order: pd.DataFrame) -> pd.Series:
    """Units on open purchase orders per variant (inventory.sql.on_order has a row per order)."""
    if on_order.empty:
        return pd.Series(dtype=float)
    return on_order.groupby("variant_code")["on_order"].sum().astype(float)


def primary_offers(offers: pd.DataFrame) -> pd.DataFrame:
    """Per variant the cheapest offer (then the shortest lead time): it sets the reorder point
    and EOQ; the purchase plan may still choose or split across the others."""
    ranked = offers.sort_values(["variant_code", "unit_price", "lead_time_mean", "supplier_id"])
    return ranked.drop_duplicates("variant_code").set_index("variant_code")


def _metrics(batch: BatchForecast, rows: ChunkRows, policy: ChunkPolicy) -> pd.DataFrame:
    rate = demand_per_period(batch)
    codes = rate.index
    d = rate["mean_demand"].clip(lower=0).fillna(0.0).to_numpy(dtype=float)
    sd = rate["sd_demand"].clip(lower=0).fillna(0.0).to_numpy(dtype=float)
    primary = primary_offers(rows.offers).reindex(codes)
    lead = primary["lead_time_mean"].fillna(policy.lead_time_days).to_numpy(dtype=float)
    lead_sd = primary["lead_time_sd"].fillna(policy.lead_time_sd_days).to_numpy(dtype=float)
    policy_points = reorder_point(d, sd, lead, lead_sd, policy.service_level)
    rop = pd.Series(np.asarray(policy_points.reorder_point, dtype=float), index=codes)

    stock = on_hand(rows.stock).reindex(codes)
    ordered = units_on_order(rows.on_order).reindex(codes).fillna(0.0)
    in_stock = stock.clip(lower=0).dropna()  # unknown stock: no order-by date, no need
    # the stock position: on hand + units on open purchase orders; the order-by date is when
    # the position (not just what is on the shelf) reaches the reorder point
    position = in_stock + ordered.reindex(in_stock.index)
    mine = batch.forecasts[batch.forecasts["variant_id"].isin(position.index)]
    due = order_by(position, mine, rop).reindex(codes)

    catalogue = rows.variants.set_index("variant_code")["purchase_price"].reindex(codes)
    price = primary["unit_price"].fillna(catalogue).to_numpy(dtype=float)
    fixed = policy.order_cost + primary["supplier_order_cost"].fillna(0.0).to_numpy(dtype=float)
    quantity = np.array(
        [
            _order_quantity(
                d[j] * DAYS_PER_YEAR,
                fixed[j],
                policy.holding_cost_rate,
                price[j],
                None if pd.isna(primary["supplier_id"].iloc[j]) else primary.iloc[j],
            )
            for j in range(len(codes))
        ]
    )
    # what to order as if nothing were on order, less what is: an open order that covers the
    # need leaves none, a partial one leaves the rest
    # (with nothing on order the position is the stock on hand: its order-by dates are `due`)
    due_on_hand = order_by(in_stock, mine, rop).reindex(codes) if ordered.any() else due
    gross = _needs(mine, in_stock, rop, due_on_hand, d, quantity, codes, policy)
    last = pd.Period(policy.as_of, "D") + policy.order_window_days
    due_now = np.array([not pd.isna(w) and w <= last for w in due], dtype=bool)
    need = np.where(due_now, np.maximum(np.ceil(gross - ordered.to_numpy() - 1e-9), 0.0), 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        penalty = np.where(
            (d > 0) & np.isfinite(price),
            policy.holding_cost_rate * price * need / (d * DAYS_PER_YEAR),
            0.0,
        )
    summary = batch.summary.reindex(codes)
    out = pd.DataFrame(
        {
            "variant_code": codes.to_numpy(),
            "pattern": summary["pattern"].to_numpy(),
            "adi": _finite(summary["adi"].to_numpy(dtype=float)),  # never sold: ADI = inf
            "cv2": summary["cv2"].to_numpy(dtype=float),
            "model": summary["model"].to_numpy(),
            "season_length": summary["season_length"].astype(int).to_numpy(),
            "n_observed": summary["n_observed"].astype(int).to_numpy(),
            "n_censored": summary["n_censored"].astype(int).to_numpy(),
            "mean_demand": d,
            "sd_demand": sd,
            "supplier_id": primary["supplier_id"].astype("Int64").array,
            "lead_time_days": lead,
            "lead_time_sd_days": lead_sd,
            "safety_stock": np.asarray(policy_points.safety_stock, dtype=float),
            "reorder_point": rop.to_numpy(),
            "on_hand": stock.to_numpy(dtype=float),
            "on_order": ordered.to_numpy(dtype=float),
            "eoq": quantity,
            "order_by": [_day(p) for p in due],
            "need_quantity": need,
            "stockout_penalty": penalty,
        }
    )
    for column in ("mase", "naive_mase", "relative_mae", "backtest_mae", "naive_mae"):
        out[column] = _finite(summary[column].to_numpy(dtype=float))
    out["backtest_rmse"] = _finite(summary["backtest_rmse"].to_numpy(dtype=float))
    for column in ("mase_without_regressors", "mase_with_regressors", "regressor_gain"):
        out[column] = _finite(summary[column].to_numpy(dtype=float))
    out["regressors_used"] = [
        u if isinstance(u, str) else None for u in summary["regressors_used"].tolist()
    ]
    return out[list(METRIC_COLUMNS)]


def _needs(
    forecasts: pd.DataFrame,
    position: pd.Series,
    rop: pd.Series,
    due: pd.Series,
    d: np.ndarray,
    quantity: np.ndarray,
    codes: pd.Index,
    policy: ChunkPolicy,
) -> np.ndarray:
    """Units to order now for variants due within the order window: enough to lift the stock
    position at the order-by date to the reorder point plus one order quantity (EOQ; without
    one, the window's demand). The caller nets out what is already on order."""
    last = pd.Period(policy.as_of, "D") + policy.order_window_days
    need = np.zeros(len(codes))
    used = forecasts.assign(used=forecasts.groupby("variant_id")["mean"].cumsum())
    used = used.set_index(["variant_id", "period"])["used"]
    for j, code in enumerate(codes):
        when = due.iloc[j]
        if pd.isna(when) or when > last:
            continue
        projected = position[code] - used.get((code, when), 0.0)
        lot = quantity[j] if np.isfinite(quantity[j]) else d[j] * policy.order_window_days
        need[j] = max(math.ceil(rop[code] + lot - projected - 1e-9), 0)
    return need


def _order_quantity(
    annual_demand: float, order_cost: float, rate: float, price: float, offer: Any
) -> float:
    """The EOQ at the primary offer (its price breaks, MOQ and pack size), NaN if unknown."""
    if not (annual_demand > 0 and order_cost > 0 and price > 0):
        return math.nan
    breaks = moq = pack = None
    if offer is not None:
        price_breaks: list[Any] = offer["price_breaks"] or []
        breaks = [tuple(b) for b in price_breaks] or None
        moq, pack = _positive(offer["moq"]), _positive(offer["pack_size"])
    return eoq(annual_demand, order_cost, rate, price, breaks, moq, pack).quantity


def _sales_anomalies(history: pd.DataFrame, rows: ChunkRows, policy: ChunkPolicy) -> pd.DataFrame:
    """Recent days whose sales fell far outside what earlier runs forecast for them."""
    previous = rows.previous
    if previous.empty:
        return pd.DataFrame(columns=list(ANOMALY_COLUMNS))
    recent = pd.period_range(policy.recent_from, policy.as_of, freq="D")
    previous = previous.assign(period=pd.PeriodIndex(pd.to_datetime(previous["period"]), freq="D"))
    previous = previous[
        previous["period"].isin(recent) & previous["variant_id"].isin(history.columns)
    ]
    if previous.empty:
        return pd.DataFrame(columns=list(ANOMALY_COLUMNS))
    found = sales_anomalies(history.loc[recent], previous)
    return pd.DataFrame(
        {
            "variant_code": found["variant_id"],
            "day": _days(found["period"]),
            "kind": "sales_" + found["direction"],
            "severity": found["severity"],
            "score": found["score"],
            "sales": found["sales"],
            "expected": found["mean"],
            "lo": found["lo"],
            "hi": found["hi"],
        }
    )


def _stock_anomalies(rows: ChunkRows, policy: ChunkPolicy) -> pd.DataFrame:
    """Recent days on which stock moved in a way the day's sales do not explain."""
    first = max(policy.history_from, policy.as_of - timedelta(days=STOCK_DAYS - 1))
    days = pd.period_range(first, policy.as_of, freq="D")
    stock = end_of_day_stock(rows.stock, days)
    stock = stock.loc[:, stock.notna().sum() >= 2]
    if stock.shape[1] == 0:
        return pd.DataFrame(columns=list(ANOMALY_COLUMNS))
    sold = rows.sales.assign(
        period=pd.PeriodIndex(pd.to_datetime(rows.sales["ordered_at"]), freq="D")
    )
    sales = (
        sold.pivot_table(index="period", columns="variant_id", values="quantity", aggfunc="sum")
        .reindex(index=days, columns=stock.columns)
        .fillna(0.0)
        if not sold.empty
        else pd.DataFrame(0.0, index=days, columns=stock.columns)
    )
    with warnings.catch_warnings():  # variants without restocks in the window: NaN scales
        warnings.simplefilter("ignore", RuntimeWarning)
        found = stock_anomalies(stock, sales)
    found = found[found["period"] >= pd.Period(policy.recent_from, "D")]
    return pd.DataFrame(
        {
            "variant_code": found["variant_id"],
            "day": _days(found["period"]),
            "kind": found["kind"],
            "severity": found["severity"],
            "score": found["score"],
            "sales": found["sales"],
            "stock_change": found["stock_change"],
            "unexplained": found["unexplained"],
        }
    )


def _late_purchase_orders(
    batch: BatchForecast, metrics: pd.DataFrame, rows: ChunkRows, policy: ChunkPolicy
) -> pd.DataFrame:
    """Open purchase orders expected after the shelf runs empty (late_arrivals): the order-by
    date counts an order from the day it is placed, so only this shows the merchant that it
    must be expedited or bridged. Day = the projected stock-out; severity high when the shelf
    stays empty longer than the variant's lead time (a bridging order placed now would still
    come first) or the stock-out is within SOON_DAYS, else medium; score = days without stock."""
    orders = rows.on_order
    if orders.empty:
        return pd.DataFrame(columns=list(ANOMALY_COLUMNS))
    known = metrics.set_index("variant_code")
    shelf = known["on_hand"].astype(float).clip(lower=0).dropna()
    arrivals = pd.DataFrame(
        {
            "variant_id": orders["variant_code"].to_numpy(),
            "order_id": orders["purchase_order_id"].to_numpy(dtype=np.int64),
            "period": pd.PeriodIndex(pd.to_datetime(orders["arrives_on"]), freq="D"),
            "quantity": orders["on_order"].to_numpy(dtype=float),
        }
    )
    late = late_arrivals(shelf, batch.forecasts, arrivals)
    if late.empty:
        return pd.DataFrame(columns=list(ANOMALY_COLUMNS))
    as_of = pd.Period(policy.as_of, "D").ordinal
    stockout = cast(npt.NDArray[np.int64], pd.PeriodIndex(late["stockout"], freq="D").asi8)  # pyright: ignore[reportAttributeAccessIssue, reportUnknownMemberType, reportUnknownArgumentType]
    gap = cast(npt.NDArray[np.int64], pd.PeriodIndex(late["arrival"], freq="D").asi8) - stockout  # pyright: ignore[reportAttributeAccessIssue, reportUnknownMemberType, reportUnknownArgumentType]
    lead = known["lead_time_days"].reindex(late["variant_id"]).to_numpy(dtype=float)
    urgent = (gap > lead) | (stockout - as_of <= SOON_DAYS)
    return pd.DataFrame(
        {
            "variant_code": late["variant_id"].to_numpy(),
            "day": _days(late["stockout"]),
            "kind": "late_purchase_order",
            "severity": np.where(urgent, "high", "medium"),
            "score": gap.astype(float),
            "expected": late["quantity"].to_numpy(dtype=float),
            "purchase_order_id": pd.array(late["order_id"].to_numpy(), dtype="Int64"),
            "arrives_on": _days(late["arrival"]),
            "bridge_quantity": np.ceil(late["shortfall"].to_numpy(dtype=float) - 1e-9),
        }
    )


def _days(periods: pd.Series) -> list[date]:
    return [p.to_timestamp().date() for p in periods]


def _day(period: Any) -> date | None:
    return None if pd.isna(period) else period.to_timestamp().date()


def _finite(values: np.ndarray) -> np.ndarray:
    return np.where(np.isfinite(values), values, np.nan)


def _positive(value: Any) -> float | None:
    return float(value) if value is not None and not pd.isna(value) and value > 0 else None
