"""From the variants that need stock to purchase recommendations across suppliers.

No I/O: needs and offers come from inventory.sql, the rows returned are stored as they are.
One MILP (`plan_purchases`) over the whole shop chooses or splits each variant's order by
landed cost and lead-time risk; the supplier's order cost and the shop's own cost of placing
an order are charged once per supplier used, and an optional budget caps the night's spend.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import norm

from activities.inventory.analytics import PurchasingInfeasible, order_by, plan_purchases
from db.models.inventory import RECOMMENDATION_COLUMNS

NO_OFFER_NOTE = "no supplier offers this variant: add an offer to plan who to buy it from"
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
    for start, tier in sorted((float(q), float(p)) for q, p in (price_breaks or [])):
        if quantity >= start:
            price = tier
    return price


def recommend(
    needs: pd.DataFrame,
    offers: pd.DataFrame,
    forecasts: pd.DataFrame,
    settings: PurchaseSettings,
) -> Recommendations:
    """Recommendations for `needs` (inventory.sql.needs) from `offers` (inventory.sql.offers);
    `forecasts` (variant_id, period, mean) date each line by its chosen supplier's lead time."""
    if needs.empty:
        return Recommendations(pd.DataFrame(columns=list(RECOMMENDATION_COLUMNS)), {})
    offered = needs["variant_code"].isin(offers["variant_code"])
    plan: dict[str, Any] = {"budget": settings.budget or None}
    lines = [_without_offer(needs[~offered], settings)]
    if offered.any():
        try:
            lines.append(_planned(needs[offered], offers, forecasts, settings, plan))
        except PurchasingInfeasible as exc:
            plan["message"] = str(exc)
    filled = [f for f in lines if not f.empty]
    # as objects: a part whose column is all None must not decide that column's type
    rows = pd.concat([f.astype(object) for f in filled], ignore_index=True) if filled else lines[0]
    rows = rows.sort_values(["order_by", "variant_code", "supplier_name"], na_position="last")
    plan["without_offer"] = int((~offered).sum())
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
            "moq": pd.to_numeric(offers["moq"]).fillna(0.0),
            "pack_size": pd.to_numeric(offers["pack_size"]).fillna(1.0).where(lambda s: s > 0, 1.0),
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
    share = np.where(spent > 0, orders["purchase_cost"] / spent.where(spent > 0, 1.0), 1.0 / lines)
    supplier_cost = orders["supplier_id"].map(fixed).fillna(0.0).to_numpy() * share
    names = offers.drop_duplicates("supplier_id").set_index("supplier_id")
    due = _due_dates(orders, need, forecasts, settings)
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
            "order_cost": np.round(supplier_cost + orders["order_cost"].to_numpy(), 2),
            "risk_cost": orders["risk_cost"].round(2),
            "expected_cost": np.round(
                orders["purchase_cost"].to_numpy()
                + orders["order_cost"].to_numpy()
                + supplier_cost,
                2,
            ),
            "currency": orders["supplier_id"].map(names["currency"]).fillna(settings.currency),
            "order_by": due,
            "lead_time_days": orders["lead_time_mean"],
            "on_hand": need["on_hand"].reindex(orders["variant_id"]).to_numpy(),
            "reorder_point": need["reorder_point"].reindex(orders["variant_id"]).to_numpy(),
            "note": None,
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


def _without_offer(needs: pd.DataFrame, settings: PurchaseSettings) -> pd.DataFrame:
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
            "note": NO_OFFER_NOTE,
        }
    )
