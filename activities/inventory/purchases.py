"""From the variants that need stock to purchase recommendations across suppliers.

No I/O: needs and offers come from inventory.sql, the rows returned are stored as they are.
One MILP (`plan_purchases`) over the whole shop chooses or splits each variant's order by
landed cost and lead-time risk; the supplier's order cost and the shop's own cost of placing
an order are charged once per supplier used, and an optional budget caps the night's spend.

Lead times are the offers' learnt ones (inventory.supplier_risk, from the purchase orders they
delivered), and an offer's expected lateness is a risk cost in the MILP; an offer whose
supplier is out of stock is left out. Each line names the variant's primary supplier (the one
it was last ordered from, else the cheapest) and, when the primary is late, has an overdue
order, is out of stock or over budget, the alternative: the chosen supplier when the plan
switched, else the best reliable other offer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, cast

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.stats import norm

from activities.inventory.analytics import PurchasingInfeasible, order_by, plan_purchases
from activities.inventory.supplier_risk import LATE_RATE, RECEIPT_COLUMNS, offer_records
from db.models.inventory import RECOMMENDATION_COLUMNS

NO_OFFER_NOTE = "no supplier offers this variant: add an offer to plan who to buy it from"
OUT_OF_STOCK_NOTE = "every supplier of this variant is out of stock: ask them when it is back"
SHORTAGE_PRICE_FACTOR = 10.0  # with a budget, a unit left unbought costs this × the top price


@dataclass(frozen=True)
class PurchaseSettings:
    as_of: date
    service_level: float
    order_cost: float  # the shop's own cost per purchase order, per supplier used
    budget: float  # 0: no limit
    lead_time_days: float  # for variants without an offer
    currency: str


@dataclass(frozen=True)
class Recommendations:
    rows: pd.DataFrame  # RECOMMENDATION_COLUMNS, in order-by date order
    plan: dict[str, Any]  # costs, budget, shortages and why the plan is partial


def tier_price(unit_price: float, price_breaks: Any, quantity: float) -> float:
    """The all-units price of `quantity`: the deepest break it reaches, else the list price."""
    price = float(unit_price)
    tiers: list[Any] = price_breaks or []
    for start, tier in sorted((float(q), float(p)) for q, p in tiers):
        if quantity >= start:
            price = tier
    return price


def recommend(
    needs: pd.DataFrame,
    offers: pd.DataFrame,
    forecasts: pd.DataFrame,
    settings: PurchaseSettings,
    receipts: pd.DataFrame | None = None,
) -> Recommendations:
    """Recommendations for `needs` (inventory.sql.needs) from `offers` (inventory.sql.offers);
    `forecasts` (variant_id, period, mean) date each line by its chosen supplier's lead time;
    `receipts` (inventory.sql.purchase_receipts) are the offers' delivery record."""
    if needs.empty:
        return Recommendations(pd.DataFrame(columns=list(RECOMMENDATION_COLUMNS)), {})
    offers = _with_risk(offers, receipts, settings)
    stocked = offers[offers["supplier_stock"].isna() | (offers["supplier_stock"] > 0)]
    offered = needs["variant_code"].isin(stocked["variant_code"])
    sold_out = needs["variant_code"].isin(offers["variant_code"]) & ~offered
    plan: dict[str, Any] = {"budget": settings.budget or None}
    lines = [
        _without_offer(needs[~offered & ~sold_out], settings, NO_OFFER_NOTE),
        _without_offer(needs[sold_out], settings, OUT_OF_STOCK_NOTE),
    ]
    if offered.any():
        try:
            planned = _planned(needs[offered], stocked, forecasts, settings, plan)
            lines.append(_alternatives(planned, offers, settings))
        except PurchasingInfeasible as exc:
            plan["message"] = str(exc)
    filled = [f for f in lines if not f.empty]
    # as objects: a part whose column is all None must not decide that column's type
    rows = pd.concat([f.astype(object) for f in filled], ignore_index=True) if filled else lines[0]
    rows = rows.sort_values(["order_by", "variant_code", "supplier_name"], na_position="last")
    plan["without_offer"] = int((~offered & ~sold_out).sum())
    plan["suppliers_out_of_stock"] = int(sold_out.sum())
    plan["expected_cost"] = float(pd.to_numeric(rows["expected_cost"]).fillna(0).sum())
    return Recommendations(rows[list(RECOMMENDATION_COLUMNS)].reset_index(drop=True), plan)


def _planned(
    needs: pd.DataFrame,
    offers: pd.DataFrame,
    forecasts: pd.DataFrame,
    settings: PurchaseSettings,
    plan: dict[str, Any],
) -> pd.DataFrame:
    need = needs.set_index("variant_code")
    offers = offers[offers["variant_code"].isin(need.index)].reset_index(drop=True)
    wanted = need["quantity"].reindex(offers["variant_code"]).to_numpy(dtype=float)
    table = pd.DataFrame(
        {
            "variant_id": offers["variant_code"],
            "supplier_id": offers["supplier_id"],
            "unit_price": [
                tier_price(p, b, q)
                for p, b, q in zip(
                    offers["unit_price"], offers["price_breaks"], wanted, strict=True
                )
            ],
            "lead_time_mean": offers["lead_time_mean"],
            "lead_time_sd": offers["lead_time_sd"],
            "late_days": offers["late_days"],
            "moq": pd.to_numeric(offers["moq"]).fillna(0.0),
            "pack_size": pd.to_numeric(offers["pack_size"]).fillna(1.0).where(lambda s: s > 0, 1.0),
            "capacity": _capacity(offers, need["quantity"]),
        }
    )
    fixed = (
        offers.groupby("supplier_id")["supplier_order_cost"].first().fillna(0.0)
        + settings.order_cost
    )
    budget = settings.budget if settings.budget > 0 else None
    result = plan_purchases(
        needs.rename(columns={"variant_code": "variant_id"})[
            ["variant_id", "quantity", "mean_demand", "sd_demand", "stockout_penalty"]
        ],
        table,
        budget=budget,
        shipping_costs={s: float(c) for s, c in fixed.items() if c > 0},
        shortage_cost=SHORTAGE_PRICE_FACTOR * float(table["unit_price"].max()) if budget else None,
        service_level=settings.service_level,
    )
    shortages = result.shortages[result.shortages > 1e-9]
    plan.update(
        purchase_cost=result.purchase_cost,
        fixed_cost=result.fixed_cost,
        risk_cost=result.risk_cost,
        shortage_units=float(shortages.sum()),
        shortages={str(k): float(v) for k, v in shortages.head(50).items()},
    )
    if len(shortages):
        plan["message"] = (
            f"the budget of {settings.budget:,.2f} leaves {shortages.sum():g} units of "
            f"{len(shortages)} variants unbought"
        )
    orders = result.orders
    if orders.empty:
        return pd.DataFrame(columns=list(RECOMMENDATION_COLUMNS))
    by_supplier = orders.groupby("supplier_id")
    spent = by_supplier["purchase_cost"].transform("sum")
    lines = by_supplier["supplier_id"].transform("size")
    # the supplier's fixed cost is shared by the lines in proportion to what they cost
    share = cast(  # np.where over Series: numpy stubs do not resolve the overload
        npt.NDArray[np.float64],
        np.where(spent > 0, orders["purchase_cost"] / spent.where(spent > 0, 1.0), 1.0 / lines),
    )
    supplier_cost: npt.NDArray[np.float64] = orders["supplier_id"].map(fixed).fillna(0.0).to_numpy() * share
    names = offers.drop_duplicates("supplier_id").set_index("supplier_id")
    due = _due_dates(orders, need, forecasts, settings)
    order_cost: npt.NDArray[np.float64] = supplier_cost + orders["order_cost"].to_numpy()
    expected_cost: npt.NDArray[np.float64] = (
        orders["purchase_cost"].to_numpy() + orders["order_cost"].to_numpy() + supplier_cost
    )
    return pd.DataFrame(
        {
            "variant_code": orders["variant_id"],
            "variant_name": need["name"].reindex(orders["variant_id"]).to_numpy(),
            "supplier_id": orders["supplier_id"],
            "supplier_name": orders["supplier_id"].map(names["supplier_name"]),
            "quantity": orders["quantity"],
            "packs": orders["packs"],
            "unit_price": orders["unit_price"].round(2),
            "purchase_cost": orders["purchase_cost"].round(2),
            "order_cost": np.round(order_cost, 2),
            "risk_cost": orders["risk_cost"].round(2),
            "expected_cost": np.round(expected_cost, 2),
            "currency": orders["supplier_id"].map(names["currency"]).fillna(settings.currency),
            "order_by": due,
            "lead_time_days": orders["lead_time_mean"],
            "on_hand": need["on_hand"].reindex(orders["variant_id"]).to_numpy(),
            "reorder_point": need["reorder_point"].reindex(orders["variant_id"]).to_numpy(),
            "note": None,
            "on_time_rate": _by_offer(offers, orders, "on_time_rate"),
            "lead_time_sd_days": orders["lead_time_sd"].round(2),
        }
    )


def _due_dates(
    orders: pd.DataFrame, need: pd.DataFrame, forecasts: pd.DataFrame, settings: PurchaseSettings
) -> list[date]:
    """Order-by date of each line from its supplier's reorder point: a slower or less reliable
    supplier must be ordered from earlier. Without a crossing in the horizon, the variant's date."""
    z = norm.ppf(settings.service_level)
    d = need["mean_demand"].reindex(orders["variant_id"]).to_numpy(dtype=float)
    sd = need["sd_demand"].reindex(orders["variant_id"]).to_numpy(dtype=float)
    lead = orders["lead_time_mean"].to_numpy(dtype=float)
    lead_sd = orders["lead_time_sd"].to_numpy(dtype=float)
    lines = pd.RangeIndex(len(orders))
    rop = pd.Series(d * lead + z * np.sqrt(lead * sd**2 + d**2 * lead_sd**2), index=lines)
    on_order = need["on_order"] if "on_order" in need else pd.Series(0.0, index=need.index)
    stock = need["on_hand"].fillna(0.0).clip(lower=0) + on_order.fillna(0.0)  # the position
    position = pd.Series(stock.reindex(orders["variant_id"]).to_numpy(), index=lines)
    per_line = (
        pd.DataFrame({"line": lines, "variant_id": orders["variant_id"].to_numpy()})
        .merge(forecasts, on="variant_id")
        .sort_values(["line", "period"])
    )
    due = order_by(position, per_line.assign(variant_id=per_line["line"]), rop)
    fallback = need["order_by"].reindex(orders["variant_id"]).to_numpy()
    return [f if pd.isna(x) else _as_date(x) for x, f in zip(due, fallback, strict=True)]


def _as_date(value: Any) -> date:
    if isinstance(value, pd.Period):
        return value.to_timestamp().date()
    return pd.Timestamp(value).date()


def _without_offer(needs: pd.DataFrame, settings: PurchaseSettings, note: str) -> pd.DataFrame:
    price = needs["purchase_price"].astype(float)
    cost = (needs["quantity"] * price).round(2)
    return pd.DataFrame(
        {
            "variant_code": needs["variant_code"],
            "variant_name": needs["name"],
            "supplier_id": None,
            "supplier_name": None,
            "quantity": needs["quantity"],
            "packs": None,
            "unit_price": price.round(2),
            "purchase_cost": cost,
            "order_cost": None,
            "risk_cost": None,
            "expected_cost": cost,
            "currency": settings.currency,
            "order_by": needs["order_by"],
            "lead_time_days": settings.lead_time_days,
            "on_hand": needs["on_hand"],
            "reorder_point": needs["reorder_point"],
            "note": note,
        }
    ).reindex(columns=list(RECOMMENDATION_COLUMNS))


def _with_risk(
    offers: pd.DataFrame, receipts: pd.DataFrame | None, settings: PurchaseSettings
) -> pd.DataFrame:
    """The offers with their learnt lead time, spread, on-time rate and lateness in place of the
    typed ones (the typed ones are the prior), and the supplier's stock (NaN: not known)."""
    typed = offers.assign(
        supplier_lead_time_mean=offers.get("supplier_lead_time_mean", offers["lead_time_mean"]),
        supplier_lead_time_sd=offers.get("supplier_lead_time_sd", offers["lead_time_sd"]),
        own_lead_time=offers.get("own_lead_time", pd.Series(False, index=offers.index)),
        supplier_stock=pd.to_numeric(
            offers.get("supplier_stock", pd.Series(np.nan, index=offers.index))
        ).astype(float),
    )
    if receipts is None:
        receipts = pd.DataFrame(columns=list(RECEIPT_COLUMNS))
    as_of = pd.Timestamp(settings.as_of) + pd.Timedelta(days=1)  # the end of the as_of day
    learnt = offer_records(receipts, typed, as_of)
    last = (
        receipts.sort_values("ordered_at").drop_duplicates("variant_code", keep="last")
        if not receipts.empty
        else receipts
    )
    primary = last.set_index("variant_code")["supplier_id"]
    return learnt.assign(last_supplier_id=learnt["variant_code"].map(primary))


def _capacity(offers: pd.DataFrame, need: pd.Series) -> np.ndarray:
    """The supplier's stock as the offer's capacity; no limit where it is not known, nor for a
    variant whose suppliers together have less than it needs (the plan must still cover it:
    the supplier may restock; the shortage shows as the alternative's reason)."""
    stock = offers["supplier_stock"].to_numpy(float)
    capacity = np.where(np.isnan(stock), np.inf, stock)
    by_variant: dict[Any, float] = {}
    for code, units in zip(offers["variant_code"], capacity, strict=True):
        by_variant[code] = by_variant.get(code, 0.0) + float(units)
    total = np.array([by_variant[c] for c in offers["variant_code"]], dtype=float)
    short = total < np.asarray(need.reindex(offers["variant_code"]), dtype=float)
    return np.where(short, np.inf, capacity)


def _by_offer(offers: pd.DataFrame, orders: pd.DataFrame, column: str) -> np.ndarray:
    key = offers.set_index(["variant_code", "supplier_id"])[column]
    pairs = pd.MultiIndex.from_arrays([orders["variant_id"], orders["supplier_id"]])
    return key.reindex(pairs).to_numpy(dtype=float).round(3)


def _alternatives(
    lines: pd.DataFrame, offers: pd.DataFrame, settings: PurchaseSettings
) -> pd.DataFrame:
    """Name each line's primary supplier and, where the primary is late, overdue, out of stock
    or over budget, the alternative (the line's own supplier when the plan switched)."""
    if lines.empty:
        return lines.reindex(columns=list(RECOMMENDATION_COLUMNS))
    by_offer: dict[tuple[Any, Any], Mapping[Any, Any]] = {
        (r["variant_code"], r["supplier_id"]): r for r in offers.to_dict("records")
    }
    names = offers.drop_duplicates("supplier_id").set_index("supplier_id")["supplier_name"]
    primary_of = _primaries(offers)
    found: list[tuple[Any, Any, str | None]] = []  # (primary, alternative, reason)
    for code, supplier, price in zip(
        lines["variant_code"], lines["supplier_id"], lines["unit_price"], strict=True
    ):
        primary = primary_of.get(code)
        if primary is None:
            found.append((None, None, None))
            continue
        record = by_offer[(code, primary)]
        reason = _weakness(record)
        if primary != supplier:
            if reason is None:
                cheaper = float(price) < float(record["unit_price"])
                reason = "over_budget" if settings.budget > 0 and cheaper else "cheaper"
            found.append((primary, supplier, reason))
            continue
        alternative = _best_other(offers, code, primary) if reason else None
        found.append((primary, alternative, reason if alternative is not None else None))

    def column(values: list[Any]) -> pd.Series:
        return pd.Series(values, index=lines.index, dtype=object)

    return lines.assign(
        primary_supplier_name=column([names.get(p) for p, _, _ in found]),
        alternative_supplier_id=pd.array(
            [None if a is None else int(a) for _, a, _ in found], dtype="Int64"
        ),
        alternative_supplier_name=column(
            [None if a is None else names.get(a) for _, a, _ in found]
        ),
        alternative_reason=column([r for _, _, r in found]),
    )


def _primaries(offers: pd.DataFrame) -> dict[Any, Any]:
    """Per variant the supplier it was last ordered from (if it still offers it), else the
    offer with the lowest list price."""
    cheapest = offers.sort_values(["unit_price", "supplier_id"]).drop_duplicates("variant_code")
    primary = dict(zip(cheapest["variant_code"], cheapest["supplier_id"], strict=True))
    offered = set(zip(offers["variant_code"], offers["supplier_id"], strict=True))
    for code, last in zip(offers["variant_code"], offers["last_supplier_id"], strict=True):
        if not pd.isna(last) and (code, last) in offered:
            primary[code] = last
    return primary


def _weakness(record: Mapping[Any, Any]) -> str | None:
    """Why an offer should not be relied on, if it should not: out of stock, an overdue open
    order, or a poor on-time record."""
    stock = float(record["supplier_stock"])
    if not np.isnan(stock) and stock <= 0:
        return "out_of_stock"
    if int(record["overdue"]) > 0:
        return "overdue"
    if float(record["on_time_rate"]) < LATE_RATE:
        return "late"
    return None


def _best_other(offers: pd.DataFrame, code: str, primary: Any) -> Any:
    """The cheapest other offer of the variant with no weakness of its own, else None."""
    sound: list[tuple[float, str, Any]] = [
        (float(row["unit_price"]), str(row["supplier_id"]), row["supplier_id"])
        for row in offers.to_dict("records")
        if row["variant_code"] == code and row["supplier_id"] != primary and _weakness(row) is None
    ]
    return min(sound)[2] if sound else None
