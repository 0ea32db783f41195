"""What each export kind reads: one SQL statement per kind, scoped to the shop, with the
orders list's filters where they mean something (orders, their items)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import LiteralString

from psycopg import sql

KINDS = (
    "orders",
    "order_items",
    "customers",
    "products",
    "purchase_orders",
    "customer_segments",
    "inventory_recommendations",
)
# the kinds the orders-list filters (created range, status, search) apply to
FILTERED_KINDS = ("orders", "order_items")


@dataclass(frozen=True)
class Filters:
    created_from: datetime | None = None  # inclusive
    created_to: datetime | None = None  # exclusive
    status_id: int | None = None
    q: str | None = None

    @classmethod
    def from_json(cls, raw: dict[str, object]) -> Filters:
        def when(key: str) -> datetime | None:
            value = raw.get(key)
            return datetime.fromisoformat(value) if isinstance(value, str) and value else None

        status = raw.get("status_id")
        q = raw.get("q")
        return cls(
            created_from=when("created_from"),
            created_to=when("created_to"),
            status_id=int(status) if isinstance(status, int | str) and str(status) else None,
            q=q.strip() if isinstance(q, str) and q.strip() else None,
        )


_SELECT: dict[str, LiteralString] = {
    "orders": (
        "SELECT o.code, o.created_at, o.changed_at, o.status_name, o.paid, o.cancelled, "
        "o.source_name, o.email, o.phone, o.billing_name, o.billing_company, o.billing_city, "
        "o.billing_zip, o.billing_country, o.shipping_name, o.payment_name, o.currency, "
        "o.total_with_vat, o.total_without_vat, o.total_vat, o.item_count "
        "FROM orders_all o WHERE o.shop_id = {shop}"
    ),
    "order_items": (
        "SELECT i.order_code, i.created_at AS order_created_at, i.item_id, i.item_type, i.code, "
        "i.ean, i.name, i.variant_name, i.brand, i.amount, i.amount_unit, i.unit_price_with_vat, "
        "i.price_with_vat, i.price_without_vat, i.vat_rate, i.supplier_name "
        "FROM order_items_all i WHERE i.shop_id = {shop}"
    ),
    "customers": (
        "SELECT c.guid, c.email, c.full_name, c.company, c.phone, c.city, c.zip, c.country, "
        "c.customer_group, c.created_at, c.changed_at "
        "FROM customers c WHERE c.shop_id = {shop} AND NOT c.deleted"
    ),
    "products": (
        "SELECT v.code, v.ean, v.name AS variant_name, p.name AS product_name, p.brand, "
        "v.price_with_vat, v.purchase_price, v.currency, v.vat_rate, v.stock_total, v.availability "
        "FROM variants v LEFT JOIN products p ON p.shop_id = v.shop_id AND p.guid = v.product_guid "
        "WHERE v.shop_id = {shop} AND (p.guid IS NULL OR NOT p.deleted)"
    ),
    "purchase_orders": (
        "SELECT po.id AS purchase_order_id, s.name AS supplier, po.status, po.currency, "
        "po.ordered_at, po.expected_at, po.received_at, l.variant_code, "
        "l.quantity, l.received_quantity, l.unit_price "
        "FROM purchase_orders po JOIN purchase_order_lines l ON l.purchase_order_id = po.id "
        "LEFT JOIN suppliers s ON s.id = po.supplier_id WHERE po.shop_id = {shop}"
    ),
    "customer_segments": (
        "SELECT m.customer_key, m.email, m.segment, m.orders, m.total_value, m.clv_12m, "
        "m.p_alive, m.churn_risk, m.first_order_at, m.last_order_at, m.next_purchase_at "
        "FROM customer_metrics m WHERE m.shop_id = {shop}"
    ),
    "inventory_recommendations": (
        "SELECT r.variant_code, r.variant_name, r.supplier_name, r.quantity, r.packs, "
        "r.unit_price, r.purchase_cost, r.expected_cost, r.currency, r.order_by, "
        "r.lead_time_days, r.on_hand, r.reorder_point, r.note "
        "FROM inventory_recommendations r WHERE r.shop_id = {shop} AND r.run_id = "
        "(SELECT max(run_id) FROM inventory_recommendations WHERE shop_id = {shop})"
    ),
}
_ORDER_BY: dict[str, LiteralString] = {
    "orders": " ORDER BY o.created_at, o.code",
    # a million items sorted cost 8x the read itself (bench.exports): they come as stored,
    # quarter by quarter, each order's items together
    "order_items": "",
    "customers": " ORDER BY c.created_at NULLS FIRST, c.guid",
    "products": " ORDER BY v.code",
    "purchase_orders": " ORDER BY po.id, l.variant_code",
    "customer_segments": " ORDER BY m.customer_key",
    "inventory_recommendations": " ORDER BY r.order_by NULLS LAST, r.variant_code",
}


def _like(q: str) -> str:
    return q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _order_conditions(alias: str, f: Filters) -> list[sql.Composable]:
    out: list[sql.Composable] = []
    col = sql.Identifier(alias, "created_at")
    if f.created_from:
        out.append(sql.SQL("{} >= {}").format(col, sql.Literal(f.created_from)))
    if f.created_to:
        out.append(sql.SQL("{} < {}").format(col, sql.Literal(f.created_to)))
    if f.status_id is not None:
        out.append(sql.SQL("{} = {}").format(sql.Identifier(alias, "status_id"), sql.Literal(f.status_id)))
    if f.q:
        term = _like(f.q)
        out.append(
            sql.SQL(
                "({a}.code ILIKE {prefix} ESCAPE '\\' OR {a}.email ILIKE {part} ESCAPE '\\' "
                "OR {a}.billing_name ILIKE {part} ESCAPE '\\')"
            ).format(a=sql.Identifier(alias), prefix=sql.Literal(f"{term}%"), part=sql.Literal(f"%{term}%"))
        )
    return out


def export_query(kind: str, shop_id: int, filters: Filters, ordered: bool = True) -> sql.Composed:
    """The kind's SELECT for one shop, filtered; every value is a literal (COPY takes no parameters)."""
    if kind not in _SELECT:
        raise ValueError(f"unknown export kind {kind!r}")
    base = sql.SQL(_SELECT[kind]).format(shop=sql.Literal(shop_id))
    parts: list[sql.Composable] = [base]
    if kind == "orders":
        parts += [sql.SQL(" AND ") + c for c in _order_conditions("o", filters)]
    elif kind == "order_items":
        if filters.created_from:
            parts.append(sql.SQL(" AND i.created_at >= {}").format(sql.Literal(filters.created_from)))
        if filters.created_to:
            parts.append(sql.SQL(" AND i.created_at < {}").format(sql.Literal(filters.created_to)))
        order_only = Filters(status_id=filters.status_id, q=filters.q)
        conds = _order_conditions("o", order_only)
        if conds:
            parts.append(
                sql.SQL(
                    " AND EXISTS (SELECT 1 FROM orders_all o WHERE o.shop_id = i.shop_id "
                    "AND o.code = i.order_code AND o.created_at = i.created_at AND "
                )
                + sql.SQL(" AND ").join(conds)
                + sql.SQL(")")
            )
    if ordered:
        parts.append(sql.SQL(_ORDER_BY[kind]))
    return sql.Composed(parts)
