"""Purchase orders the merchant placed: created from the latest run's recommendations (one per
supplier) or by hand, listed with their lines and totals, received and cancelled. Open orders'
unreceived units are the stock on order the nightly planning nets out of its needs.

Every query is scoped to the shop the route resolved for the caller; another shop's orders,
recommendations and suppliers are 404 problems, as missing ones are.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from api.pagination import cursor_id, next_id_cursor
from api.problems import Problem
from db.app_settings import get_setting
from db.models import Shop

STATUSES = ("open", "received", "cancelled")
ORDER_COLUMNS = (
    "id",
    "supplier_id",
    "supplier_name",
    "supplier_email",
    "status",
    "currency",
    "note",
    "created_by",
    "ordered_at",
    "expected_at",
    "received_at",
    "cancelled_at",
    "emailed_at",
    "emailed_to",
)
LINE_COLUMNS = (
    "id",
    "variant_code",
    "variant_name",
    "quantity",
    "received_quantity",
    "unit_price",
    "recommendation_id",
)


async def create_from_recommendations(
    session: AsyncSession, shop: Shop, user_id: int | None, ids: list[int], note: str | None
) -> list[dict[str, Any]]:
    """One open order per supplier from the recommendation lines `ids` (quantity, unit price
    and supplier copied). The lines are locked first, so of two requests for the same lines the
    second waits for the first and then finds them ordered (409): a double click orders once."""
    wanted = sorted(set(ids))
    found = (
        (
            await session.execute(
                text(
                    "SELECT r.id, r.variant_code, r.supplier_id, r.quantity, r.unit_price, "
                    "r.currency FROM inventory_recommendations r WHERE r.shop_id = :shop "
                    "AND r.id = ANY(:ids) ORDER BY r.id FOR UPDATE"
                ),
                {"shop": shop.id, "ids": wanted},
            )
        )
        .mappings()
        .all()
    )
    missing = sorted(set(wanted) - {r["id"] for r in found})
    if missing:
        await session.rollback()
        raise Problem(
            404,
            "Recommendation not found",
            f"recommendation_ids: no recommendation {', '.join(map(str, missing))} in this "
            "shop's latest plan",
            recommendation_ids=missing,
        )
    ordered = (
        (
            await session.execute(
                text(
                    "SELECT l.recommendation_id, l.purchase_order_id FROM purchase_order_lines l "
                    "JOIN purchase_orders p ON p.id = l.purchase_order_id AND p.status = 'open' "
                    "WHERE l.shop_id = :shop AND l.recommendation_id = ANY(:ids) "
                    "ORDER BY l.recommendation_id"
                ),
                {"shop": shop.id, "ids": wanted},
            )
        )
        .mappings()
        .all()
    )
    if ordered:
        await session.rollback()
        taken = sorted({r["recommendation_id"] for r in ordered})
        raise Problem(
            409,
            "Already ordered",
            f"recommendation_ids: {', '.join(map(str, taken))} already on an open purchase order",
            recommendation_ids=taken,
            purchase_order_ids=sorted({r["purchase_order_id"] for r in ordered}),
        )
    supplierless = [r["id"] for r in found if r["supplier_id"] is None]
    if supplierless:
        await session.rollback()
        raise Problem(
            422,
            "No supplier",
            f"recommendation_ids: {', '.join(map(str, supplierless))} have no supplier: add an "
            "offer for their variants on the Suppliers page and plan again, or order them by hand "
            "from a supplier",
            recommendation_ids=supplierless,
        )
    by_supplier: dict[int | None, list[Any]] = defaultdict(list)
    for rec in found:
        by_supplier[rec["supplier_id"]].append(rec)
    created = []
    for supplier_id, recs in sorted(by_supplier.items(), key=lambda kv: (kv[0] is None, kv[0])):
        lines = [
            {
                "variant_code": r["variant_code"],
                "quantity": r["quantity"],
                "unit_price": r["unit_price"],
                "recommendation_id": r["id"],
            }
            for r in recs
        ]
        created.append(
            await _insert(
                session, shop, supplier_id, user_id, recs[0]["currency"], note, None, lines
            )
        )
    await session.commit()
    return await _orders(session, shop.id, created)


async def create_manual(
    session: AsyncSession,
    shop: Shop,
    user_id: int | None,
    supplier_id: int | None,
    lines: list[dict[str, Any]],
    expected_at: datetime | None,
    currency: str | None,
    note: str | None,
) -> dict[str, Any]:
    """One open order of the given lines from a supplier of the shop; variants must be in the
    shop's catalogue. A purchase order is sent to someone, so it needs its supplier."""
    if supplier_id is None:
        raise Problem(
            422,
            "No supplier",
            "supplier_id: a purchase order needs its supplier; add one on the Suppliers page",
        )
    supplier = (
        await session.execute(
            text("SELECT currency FROM suppliers WHERE id = :id AND shop_id = :shop"),
            {"id": supplier_id, "shop": shop.id},
        )
    ).first()
    if supplier is None:
        raise Problem(
            404, "Supplier not found", f"supplier_id: no supplier {supplier_id} in this shop"
        )
    currency = currency or supplier[0]
    codes = sorted({line["variant_code"] for line in lines})
    known = set(
        (
            await session.execute(
                text("SELECT code FROM variants WHERE shop_id = :shop AND code = ANY(:codes)"),
                {"shop": shop.id, "codes": codes},
            )
        ).scalars()
    )
    for k, line in enumerate(lines):
        if line["variant_code"] not in known:
            raise Problem(
                422,
                "Unknown variant",
                f"lines.{k}.variant_code: no variant {line['variant_code']!r} in this shop",
            )
    if currency is None:
        usual: str | None = (
            await session.execute(
                text(
                    "SELECT mode() WITHIN GROUP (ORDER BY currency) FROM variants "
                    "WHERE shop_id = :shop"
                ),
                {"shop": shop.id},
            )
        ).scalar_one()
        currency = usual or "CZK"
    order_id = await _insert(
        session,
        shop,
        supplier_id,
        user_id,
        currency,
        note,
        expected_at,
        [{**line, "recommendation_id": None} for line in lines],
    )
    await session.commit()
    return (await _orders(session, shop.id, [order_id]))[0]


async def _insert(
    session: AsyncSession,
    shop: Shop,
    supplier_id: int | None,
    user_id: int | None,
    currency: str,
    note: str | None,
    expected_at: datetime | None,
    lines: list[dict[str, Any]],
) -> int:
    """Insert an open order and its lines. Without `expected_at` it is due the supplier's lead
    time after now (the shop's analytics.inventory.lead_time_days without a supplier)."""
    default_days = float(await get_setting(session, "analytics.inventory.lead_time_days", shop.id))
    order_id = (
        await session.execute(
            text(
                "INSERT INTO purchase_orders (shop_id, supplier_id, status, currency, note, "
                "created_by, expected_at) SELECT :shop, :supplier, 'open', :currency, :note, "
                ":user, coalesce(CAST(:expected AS timestamptz), now() + interval '1 day' * "
                "CAST(coalesce((SELECT lead_time_days FROM suppliers WHERE id = :supplier "
                "AND shop_id = :shop), :days) AS float8)) RETURNING id"
            ),
            {
                "shop": shop.id,
                "supplier": supplier_id,
                "currency": currency,
                "note": note,
                "user": user_id,
                "expected": expected_at,
                "days": default_days,
            },
        )
    ).scalar_one()
    await session.execute(
        text(
            "INSERT INTO purchase_order_lines (purchase_order_id, shop_id, variant_code, "
            "quantity, unit_price, recommendation_id) VALUES (:order, :shop, :code, :quantity, "
            ":price, :rec)"
        ),
        [
            {
                "order": order_id,
                "shop": shop.id,
                "code": line["variant_code"],
                "quantity": line["quantity"],
                "price": line.get("unit_price"),
                "rec": line.get("recommendation_id"),
            }
            for line in lines
        ],
    )
    return int(order_id)


async def orders_page(
    session: AsyncSession,
    shop_id: int,
    status: str | None,
    supplier_id: int | None,
    cursor: str | None,
    limit: int,
) -> dict[str, Any]:
    """Orders newest first (keyset on id), each with its lines and totals."""
    if status is not None and status not in STATUSES:
        raise Problem(
            422,
            "Unknown status",
            f"status must be one of {', '.join(STATUSES)}, not {status!r}",
        )
    where = ""
    params: dict[str, object] = {"shop": shop_id, "limit": limit + 1}
    after = cursor_id(cursor)
    if after is not None:
        where += "AND p.id < :after "
        params["after"] = after
    if status is not None:
        where += "AND p.status = :status "
        params["status"] = status
    if supplier_id is not None:
        where += "AND p.supplier_id = :supplier "
        params["supplier"] = supplier_id
    ids = list(
        (
            await session.execute(
                text(
                    "SELECT p.id FROM purchase_orders p WHERE p.shop_id = :shop "
                    + where
                    + "ORDER BY p.id DESC LIMIT :limit"
                ),
                params,
            )
        ).scalars()
    )
    items = await _orders(session, shop_id, ids[:limit])
    return {"items": items, "next_cursor": next_id_cursor([{"id": i} for i in ids], limit)}


async def get_order(session: AsyncSession, shop_id: int, order_id: int) -> dict[str, Any]:
    found = await _orders(session, shop_id, [order_id])
    if not found:
        raise _not_found(order_id)
    return found[0]


async def receive(
    session: AsyncSession, shop_id: int, order_id: int, lines: list[dict[str, Any]] | None
) -> dict[str, Any]:
    """Book units as received: per line (`line_id`, `quantity` received now), or every line's
    rest when `lines` is None. The order is received when every line is fully received."""
    await _lock_open(session, shop_id, order_id, "received")
    current = {
        r["id"]: r
        for r in (
            await session.execute(
                text(
                    "SELECT id, quantity, received_quantity FROM purchase_order_lines "
                    "WHERE purchase_order_id = :order ORDER BY id"
                ),
                {"order": order_id},
            )
        )
        .mappings()
        .all()
    }
    if lines is None:
        updates = {i: r["quantity"] for i, r in current.items()}
    else:
        updates = {}
        for k, line in enumerate(lines):
            row = current.get(line["line_id"])
            if row is None:
                await session.rollback()
                raise Problem(
                    422,
                    "Unknown line",
                    f"lines.{k}.line_id: no line {line['line_id']} on purchase order {order_id}",
                )
            total = updates.get(row["id"], row["received_quantity"]) + Decimal(line["quantity"])
            if total > row["quantity"]:
                await session.rollback()
                raise Problem(
                    422,
                    "More than ordered",
                    f"lines.{k}.quantity: line {row['id']} would receive {total} of "
                    f"{row['quantity']} ordered",
                )
            updates[row["id"]] = total
    if updates:
        await session.execute(
            text("UPDATE purchase_order_lines SET received_quantity = :received WHERE id = :id"),
            [{"id": i, "received": q} for i, q in updates.items()],
        )
    await session.execute(
        text(
            "UPDATE purchase_orders SET status = 'received', received_at = now() WHERE id = :id "
            "AND NOT EXISTS (SELECT 1 FROM purchase_order_lines WHERE purchase_order_id = :id "
            "AND received_quantity < quantity)"
        ),
        {"id": order_id},
    )
    await session.commit()
    order = await get_order(session, shop_id, order_id)
    if order.get("status") == "received":
        from activities.outbound_webhooks.events import publish

        await publish(shop_id, [("purchase_order.received", {
            "purchase_order_id": order_id, "received_at": str(order.get("received_at")),
        })])
    return order


async def cancel(session: AsyncSession, shop_id: int, order_id: int) -> dict[str, Any]:
    """Cancel an open order: what it did not deliver is no longer on order."""
    await _lock_open(session, shop_id, order_id, "cancelled")
    await session.execute(
        text(
            "UPDATE purchase_orders SET status = 'cancelled', cancelled_at = now() WHERE id = :id"
        ),
        {"id": order_id},
    )
    await session.commit()
    return await get_order(session, shop_id, order_id)


async def _lock_open(session: AsyncSession, shop_id: int, order_id: int, to: str) -> None:
    status = (
        await session.execute(
            text(
                "SELECT status FROM purchase_orders WHERE id = :id AND shop_id = :shop FOR UPDATE"
            ),
            {"id": order_id, "shop": shop_id},
        )
    ).scalar_one_or_none()
    if status is None:
        await session.rollback()
        raise _not_found(order_id)
    if status != "open":
        await session.rollback()
        raise Problem(
            409,
            "Purchase order is closed",
            f"purchase order {order_id} is {status}; only an open order can be {to}",
            order_status=status,
        )


def _not_found(order_id: int) -> Problem:
    return Problem(404, "Purchase order not found", f"No purchase order {order_id} in this shop.")


async def _orders(session: AsyncSession, shop_id: int, ids: list[int]) -> list[dict[str, Any]]:
    """The orders `ids` (in that order) with their lines and totals."""
    if not ids:
        return []
    orders = (
        (
            await session.execute(
                text(
                    "SELECT p.*, s.name AS supplier_name, s.email AS supplier_email FROM purchase_orders p "
                    "LEFT JOIN suppliers s ON s.id = p.supplier_id "
                    "WHERE p.shop_id = :shop AND p.id = ANY(:ids)"
                ),
                {"shop": shop_id, "ids": ids},
            )
        )
        .mappings()
        .all()
    )
    lines: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for r in (
        await session.execute(
            text(
                "SELECT l.*, v.name AS variant_name FROM purchase_order_lines l "
                "LEFT JOIN variants v ON v.shop_id = l.shop_id AND v.code = l.variant_code "
                "WHERE l.shop_id = :shop AND l.purchase_order_id = ANY(:ids) ORDER BY l.id"
            ),
            {"shop": shop_id, "ids": ids},
        )
    ).mappings():
        lines[r["purchase_order_id"]].append({c: r[c] for c in LINE_COLUMNS})
    by_id = {o["id"]: o for o in orders}
    out = []
    for order_id in ids:
        if order_id not in by_id:
            continue
        mine = lines[order_id]
        priced = [line for line in mine if line["unit_price"] is not None]
        out.append(
            {
                **{c: by_id[order_id][c] for c in ORDER_COLUMNS},
                "lines": mine,
                "total_quantity": sum((line["quantity"] for line in mine), Decimal(0)),
                "received_quantity": sum((line["received_quantity"] for line in mine), Decimal(0)),
                "total_cost": sum(
                    (line["quantity"] * line["unit_price"] for line in priced), Decimal(0)
                ).quantize(Decimal("0.01")),
            }
        )
    return out
