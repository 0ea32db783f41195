"""What the weekly sales report says, read from the shop's orders and analytics tables.

A week is Monday 00:00 to Monday 00:00 in Prague. Cancelled orders do not count. The channel
split reads `orders.channel` where the column exists (multi-channel orders) and counts every
order as `shoptet` before it does, so the report works on both schemas.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

PRAGUE = ZoneInfo("Europe/Prague")
TOP_PRODUCTS = 5
AT_RISK = 5
STOCKOUTS = 10
STOCKOUT_HORIZON_DAYS = 14  # recommendations to order within two weeks of the report


def last_full_week(as_of: datetime) -> date:
    """The Monday of the last week that ended before `as_of` (Prague time)."""
    today = as_of.astimezone(PRAGUE).date()
    return today - timedelta(days=today.weekday() + 7)


def _bounds(start: date) -> tuple[datetime, datetime]:
    begin = datetime.combine(start, time(0), PRAGUE)
    return begin, datetime.combine(start + timedelta(days=7), time(0), PRAGUE)


def _money(value: Any) -> str:
    return str(Decimal(value or 0).quantize(Decimal("0.01")))


async def _has_channel(session: AsyncSession) -> bool:
    found = await session.scalar(
        text(
            "SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema() "
            "AND table_name = 'orders' AND column_name = 'channel'"
        )
    )
    return found is not None


async def _totals(session: AsyncSession, shop_id: int, a: datetime, b: datetime) -> dict[str, Any]:
    row = (
        await session.execute(
            text(
                "SELECT count(*) AS orders, coalesce(sum(total_with_vat), 0) AS revenue, "
                "mode() WITHIN GROUP (ORDER BY currency) AS currency FROM orders "
                "WHERE shop_id = :s AND created_at >= :a AND created_at < :b AND NOT cancelled"
            ),
            {"s": shop_id, "a": a, "b": b},
        )
    ).one()
    orders, revenue = int(row.orders), Decimal(row.revenue)
    aov = (revenue / orders) if orders else Decimal(0)
    return {
        "orders": orders,
        "revenue": _money(revenue),
        "average_order_value": _money(aov),
        "currency": row.currency or "CZK",
    }


async def collect(session: AsyncSession, shop_id: int, start: date) -> dict[str, Any]:
    """Everything the report shows, as JSON-ready values (money as decimal strings)."""
    a, b = _bounds(start)
    params = {"s": shop_id, "a": a, "b": b}
    totals = await _totals(session, shop_id, a, b)
    previous = await _totals(session, shop_id, a - timedelta(days=7), a)
    daily = {
        r.day: (int(r.orders), _money(r.revenue))
        for r in await session.execute(
            text(
                "SELECT (created_at AT TIME ZONE 'Europe/Prague')::date AS day, count(*) AS orders, "
                "sum(total_with_vat) AS revenue FROM orders "
                "WHERE shop_id = :s AND created_at >= :a AND created_at < :b AND NOT cancelled "
                "GROUP BY 1"
            ),
            params,
        )
    }
    days = [start + timedelta(days=i) for i in range(7)]
    channel = "coalesce(o.channel, 'shoptet')" if await _has_channel(session) else "'shoptet'"
    channels = [
        {"channel": r.channel, "orders": int(r.orders), "revenue": _money(r.revenue)}
        for r in await session.execute(
            text(
                f"SELECT {channel} AS channel, count(*) AS orders, sum(o.total_with_vat) AS revenue "
                "FROM orders o WHERE o.shop_id = :s AND o.created_at >= :a AND o.created_at < :b "
                "AND NOT o.cancelled GROUP BY 1 ORDER BY 3 DESC"
            ),
            params,
        )
    ]
    products = [
        {"code": r.code, "name": r.name, "quantity": str(r.quantity), "revenue": _money(r.revenue)}
        for r in await session.execute(
            text(
                "SELECT coalesce(i.code, i.name) AS code, max(i.name) AS name, "
                "sum(i.amount) AS quantity, sum(i.price_with_vat) AS revenue "
                "FROM order_items i JOIN orders o ON o.shop_id = i.shop_id "
                "AND o.code = i.order_code AND o.created_at = i.created_at "
                "WHERE i.shop_id = :s AND i.created_at >= :a AND i.created_at < :b "
                "AND i.item_type = 'product' AND NOT o.cancelled "
                "GROUP BY 1 ORDER BY 4 DESC, 1 LIMIT :n"
            ),
            {**params, "n": TOP_PRODUCTS},
        )
    ]
    at_risk = [
        {
            "customer": r.email or r.customer_key,
            "churn_risk": round(float(r.churn_risk or 0), 3),
            "value_at_risk": _money(r.clv_at_risk),
            "last_order": r.last_order_at.astimezone(PRAGUE).date().isoformat(),
        }
        for r in await session.execute(
            text(
                "SELECT customer_key, email, churn_risk, clv_at_risk, last_order_at "
                "FROM customer_metrics WHERE shop_id = :s AND clv_at_risk > 0 "
                "ORDER BY clv_at_risk DESC, customer_key LIMIT :n"
            ),
            {"s": shop_id, "n": AT_RISK},
        )
    ]
    stockouts = [
        {
            "code": r.variant_code,
            "name": r.variant_name,
            "on_hand": None if r.on_hand is None else str(r.on_hand),
            "order_by": r.order_by.isoformat(),
            "quantity": str(r.quantity),
            "supplier": r.supplier_name,
        }
        for r in await session.execute(
            text(
                "SELECT variant_code, variant_name, on_hand, order_by, quantity, supplier_name "
                "FROM inventory_recommendations WHERE shop_id = :s AND run_id = "
                "(SELECT max(run_id) FROM inventory_recommendations WHERE shop_id = :s) "
                "AND order_by < :horizon ORDER BY order_by, variant_code LIMIT :n"
            ),
            {"s": shop_id, "horizon": start + timedelta(days=7 + STOCKOUT_HORIZON_DAYS),
             "n": STOCKOUTS},
        )
    ]
    return {
        "week_start": start.isoformat(),
        "week_end": (start + timedelta(days=7)).isoformat(),
        **totals,
        "previous_revenue": previous["revenue"],
        "previous_orders": previous["orders"],
        "daily": [
            {"day": d.isoformat(), "orders": daily.get(d, (0, "0.00"))[0],
             "revenue": daily.get(d, (0, "0.00"))[1]}
            for d in days
        ],
        "channels": channels,
        "top_products": products,
        "at_risk_customers": at_risk,
        "stockouts": stockouts,
    }
