"""What an order earned the shop: its margin, from its lines, the purchase prices and the shop's
cost model for shipping and payment (docs/customer-analytics.md, "Profit").

One definition for the nightly customer analytics (which sums it per customer) and the API
(which shows it per order), so both always agree to the cent. Money is without VAT (VAT is not
the shop's), in the shop's currency (× the order's exchange rate, a missing rate counts as 1):

    margin = goods + discounts + shipping charged + payment charged − goods cost
             − (shipping charged × shipping_cost_share + shipping_cost_per_order)
             − (order total with VAT × payment_cost_percent / 100 + payment_cost_per_order)

The shipping and payment costs apply to purchases only: a refund (an order with a negative
total, as the customer models treat it) earns its own negative lines back, and the goods it
returns (negative amounts) take their cost back with them. An order without lines counts its
total. A goods line's unit cost is its own purchase price (what it cost when sold), else the
variant's purchase price, else the cheapest supplier offer; a line with none costs 0 and counts
in `uncosted` (the line's price is in the order's currency, the others in the shop's). Units are the
product units bought (returns are not purchases); one is bought at a discount when its order holds a discount line or its unit
price is more than 2 % below the product's regular price
(`product_elasticities.reference_price`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, LiteralString

# A unit price more than 2 % below the regular price is a discount, not a rounding difference.
BELOW_REGULAR: Final = "0.98"
# Shoptet's item types that carry a discount (a coupon or a volume discount); any other
# non-goods line with a negative price is taken as one too.
DISCOUNT_TYPES: Final = "('discount-coupon', 'volume-discount')"
SERVICE_TYPES: Final = "('shipping', 'billing')"


@dataclass(frozen=True)
class CostModel:
    """The shop's shipping and payment costs (settings `analytics.customers.*`)."""

    shipping_cost_share: float = 1.0  # 1: shipping passes through at what the customer paid
    shipping_cost_per_order: float = 0.0
    payment_cost_percent: float = 0.0
    payment_cost_per_order: float = 0.0


COST_SETTINGS: Final = (
    "shipping_cost_share",
    "shipping_cost_per_order",
    "payment_cost_percent",
    "payment_cost_per_order",
)

# The cost model as a row `costs`, from named parameters (psycopg's style, and SQLAlchemy's).
COSTS_ROW: Final = (
    "(SELECT %(shipping_cost_share)s::numeric AS shipping_cost_share, "
    "%(shipping_cost_per_order)s::numeric AS shipping_cost_per_order, "
    "%(payment_cost_percent)s::numeric AS payment_cost_percent, "
    "%(payment_cost_per_order)s::numeric AS payment_cost_per_order) costs"
)
COSTS_ROW_NAMED: Final = (
    "(SELECT CAST(:shipping_cost_share AS numeric) AS shipping_cost_share, "
    "CAST(:shipping_cost_per_order AS numeric) AS shipping_cost_per_order, "
    "CAST(:payment_cost_percent AS numeric) AS payment_cost_percent, "
    "CAST(:payment_cost_per_order AS numeric) AS payment_cost_per_order) costs"
)

_NET = "coalesce(i.price_without_vat, i.price_with_vat / (1 + coalesce(i.vat_rate, 0) / 100))"
_VAT = "(1 + coalesce(i.vat_rate, 0) / 100)"
_IS_DISCOUNT = (
    f"(i.item_type IN {DISCOUNT_TYPES} OR (i.item_type NOT IN {SERVICE_TYPES} "
    "AND i.item_type <> 'product' AND i.price_with_vat < 0))"
)
_IS_GOODS = f"(i.item_type NOT IN {SERVICE_TYPES} AND NOT {_IS_DISCOUNT})"

_UNIT_PRICE = "coalesce(i.unit_price_with_vat, i.price_with_vat / nullif(i.amount, 0))"


def _line_columns(rate: LiteralString, offer_price: LiteralString) -> LiteralString:
    """The columns of one line `i` (with its variant `v` and regular price `e`) that the margin
    aggregates read; `rate` is the order's exchange rate, `offer_price` the cheapest supplier
    offer of the line's variant."""
    # the line's own purchase price is in the order's currency; the variant's and the supplier
    # offers' are the shop's
    unit_cost = (
        f"coalesce(i.purchase_price / {_VAT} * {rate}, v.purchase_price / {_VAT}, {offer_price})"
    )
    return (
        f"i.item_type, i.amount, {_NET} AS net, {unit_cost} AS unit_cost, "
        f"{_IS_DISCOUNT} AS discount, {_IS_GOODS} AS goods, {_UNIT_PRICE} AS unit_price, "
        "e.reference_price, i.item_type = 'product' AND i.amount > 0 AS bought"
    )


# the joins that give a line `i` its variant `v` and its regular price `e`
_LINE_JOINS: Final = (
    "LEFT JOIN variants v ON v.shop_id = i.shop_id AND v.code = i.code "
    "LEFT JOIN product_elasticities e ON e.shop_id = i.shop_id AND e.scope = 'product' "
    "AND e.key = i.code"
)


def _margin_columns(order: LiteralString, costs: LiteralString) -> LiteralString:
    """Aggregates over the lines `l` (_line_columns) of one order, whose total_with_vat and
    exchange_rate are `order`'s: revenue_net, goods_cost, discounts, margin, units,
    discounted_units, uncosted. An order with a discount line has all its units bought at a
    discount."""
    rate = f"coalesce({order}.exchange_rate, 1)"
    revenue = f"coalesce(sum(l.net), {order}.total_with_vat)"
    goods_cost = "coalesce(sum(l.amount * l.unit_cost) FILTER (WHERE l.goods), 0)"
    shipping = "coalesce(sum(l.net) FILTER (WHERE l.item_type = 'shipping'), 0)"
    purchase_costs = (
        f"CASE WHEN {order}.total_with_vat >= 0 THEN "
        f"{rate} * {shipping} * {costs}.shipping_cost_share + {costs}.shipping_cost_per_order "
        f"+ {rate} * {order}.total_with_vat * {costs}.payment_cost_percent / 100 "
        f"+ {costs}.payment_cost_per_order ELSE 0 END"
    )
    return (
        f"{rate} * {revenue} AS revenue_net, "
        f"{goods_cost} AS goods_cost, "
        f"{rate} * coalesce(sum(l.net) FILTER (WHERE l.discount), 0) AS discounts, "
        f"round({rate} * {revenue} - {goods_cost} - {purchase_costs}, 2) AS margin, "
        "coalesce(sum(l.amount) FILTER (WHERE l.bought), 0) AS units, "
        "coalesce(CASE WHEN bool_or(l.discount) THEN sum(l.amount) FILTER (WHERE l.bought) "
        "ELSE sum(l.amount) FILTER (WHERE l.bought "
        f"AND {rate} * l.unit_price < l.reference_price * {BELOW_REGULAR}) END, 0) "
        "AS discounted_units, "
        "count(*) FILTER (WHERE l.goods AND l.unit_cost IS NULL) AS uncosted"
    )


def order_lines(order: LiteralString, shop: LiteralString, costs: LiteralString) -> LiteralString:
    """A LATERAL subquery over the lines of the order aliased `order` (columns code,
    created_at, total_with_vat, exchange_rate) of the shop `shop` (an SQL expression): one row
    `margins` of revenue_net, goods_cost, discounts, margin, units, discounted_units and
    uncosted (goods lines without a cost). `costs` names a row with the CostModel's columns
    (COSTS_ROW). For a few orders (the API); many orders at once: `order_margins`."""
    offer = (
        "(SELECT min(s.unit_price) FROM supplier_offers s "
        "WHERE s.shop_id = i.shop_id AND s.variant_code = i.code)"
    )
    return (
        f"LATERAL (SELECT {_margin_columns(order, costs)} "
        f"FROM (SELECT {_line_columns(f'coalesce({order}.exchange_rate, 1)', offer)} "
        f"FROM order_items_all i {_LINE_JOINS} "
        f"WHERE i.shop_id = {shop} AND i.order_code = {order}.code "
        f"AND i.created_at = {order}.created_at) l) margins"
    )


# What the margins read of a line. The set-based query fetches a chunk's lines from the hot and
# the archive items tables one by one (`order_items_all` is their UNION ALL): a partitioned table
# on its own is pruned at run time to the one partition of the order's created_at, where through
# the view every partition of both was probed for every order; and an index fetch per order
# reads only the chunk's lines where a hash join read all the shop's items for every chunk.
_LINE_SOURCE_COLUMNS: Final = (
    "i.shop_id, i.code, i.item_type, i.amount, i.price_with_vat, i.price_without_vat, "
    "i.vat_rate, i.unit_price_with_vat, i.purchase_price"
)
_ITEM_TABLES: Final = ("order_items", "order_items_archive")


def order_margins(
    orders: LiteralString, shop: LiteralString, costs_row: LiteralString
) -> LiteralString:
    """One set-based query: the columns of `order_lines` and `k` for every order of `orders` (a
    subquery with columns k, code, created_at, total_with_vat, exchange_rate) of the shop `shop`:
    the orders' lines fetched by key and joined, then all margins aggregated in one GROUP BY (not
    an aggregate subquery per order). `costs_row` is COSTS_ROW or COSTS_ROW_NAMED. Each row of
    `orders` is one order, as a LATERAL row would be."""
    offers = (
        "(SELECT variant_code, min(unit_price) AS unit_price FROM supplier_offers "
        f"WHERE shop_id = {shop} GROUP BY 1) s"
    )
    group = ", ".join(f"costs.{c}" for c in COST_SETTINGS)
    fetch = " UNION ALL ".join(
        f"SELECT {_LINE_SOURCE_COLUMNS} FROM {table} i WHERE i.shop_id = {shop} "
        "AND i.order_code = o.code AND i.created_at = o.created_at"
        for table in _ITEM_TABLES
    )
    # OFFSET 0 keeps the fetch alone in the per-order loop: the variants, regular prices and
    # offers are hash-joined to all the chunk's lines at once (inside it, the regular prices
    # were scanned again for every order)
    lines = (
        "(SELECT o.n, o.k, o.total_with_vat, o.exchange_rate, f.* "
        f"FROM (SELECT row_number() OVER () AS n, x.* FROM ({orders}) x) o "
        f"LEFT JOIN LATERAL ({fetch}) f ON true OFFSET 0) i"
    )
    return (
        f"SELECT l.k, {_margin_columns('l', 'costs')} "
        "FROM (SELECT i.n, i.k, i.total_with_vat, i.exchange_rate, "
        f"{_line_columns('coalesce(i.exchange_rate, 1)', 's.unit_price')} "
        f"FROM {lines} {_LINE_JOINS} "
        f"LEFT JOIN {offers} ON s.variant_code = i.code) l CROSS JOIN {costs_row} "
        f"GROUP BY l.n, l.k, l.total_with_vat, l.exchange_rate, {group}"
    )


def cost_params(model: CostModel) -> dict[str, float]:
    """The cost model as the named parameters of COSTS_ROW."""
    return {name: float(getattr(model, name)) for name in COST_SETTINGS}
