"""The SQL around the inventory planning: stock snapshots and chunk inputs in, results out.

Demand never reaches Python as raw order items: PostgreSQL sums them per variant and
shop-local day (from `order_items_all`, hot and archive together, cancelled orders left out).
Writes of one chunk happen in one transaction, so a retried chunk replaces its own rows and
readers see each variant from the previous run or from this one, never half of each.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, LiteralString
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt
import pandas as pd
import psycopg
from psycopg.types.json import Jsonb

from activities.inventory.root_causes import LINE_COLUMNS
from activities.inventory.supplier_risk import RECEIPT_COLUMNS, offer_records, supplier_records
from activities.pg_copy import copy_frame, update_by_id
from db.models.inventory import ANOMALY_COLUMNS, RECOMMENDATION_COLUMNS

FETCH_ROWS = 50_000

FORECAST_COLUMNS = ("variant_code", "day", "mean", "lo", "hi", "naive")
METRIC_COLUMNS = (
    "variant_code",
    "pattern",
    "adi",
    "cv2",
    "model",
    "season_length",
    "n_observed",
    "n_censored",
    "mase",
    "naive_mase",
    "relative_mae",
    "backtest_mae",
    "naive_mae",
    "backtest_rmse",
    "mean_demand",
    "sd_demand",
    "supplier_id",
    "lead_time_days",
    "lead_time_sd_days",
    "safety_stock",
    "reorder_point",
    "on_hand",
    "on_order",
    "eoq",
    "order_by",
    "need_quantity",
    "stockout_penalty",
    "mase_without_regressors",
    "mase_with_regressors",
    "regressor_gain",
    "regressors_used",
)
PROMOTION_COLUMNS = ("variant_code", "starts_on", "ends_on")  # variant_code None: shop-wide
# one row per variant and open purchase order with units outstanding (on_order)
ON_ORDER_COLUMNS = ("variant_code", "purchase_order_id", "on_order", "arrives_on")

# Current on-hand stock per catalogue variant: the sum over the shop's stocks, else the
# variant's own total; NULL when the shop reports neither.
CURRENT_STOCK = (
    "SELECT v.code, coalesce(sl.amount, v.stock_total) AS stock FROM variants v "
    "LEFT JOIN (SELECT variant_code, sum(amount) AS amount FROM stock_levels "
    "WHERE shop_id = %(shop)s GROUP BY variant_code) sl ON sl.variant_code = v.code "
    "WHERE v.shop_id = %(shop)s"
)


def local_midnight(day: date, timezone: str) -> datetime:
    """The instant a shop-local day starts (aware), for half-open timestamp ranges."""
    return datetime.combine(day, time(), ZoneInfo(timezone))


def snapshot_stock(conn: psycopg.Connection, shop_id: int, day: date, observed_at: datetime) -> int:
    """Record each variant's current stock as the end of `day`, where it changed since the
    variant's previous row; the first observation of a day stays (a rerun writes nothing)."""
    with conn.transaction():
        cur = conn.execute(
            "WITH now_stock AS (" + CURRENT_STOCK + ") "
            "INSERT INTO stock_history (shop_id, variant_code, day, stock, observed_at) "
            "SELECT %(shop)s, c.code, %(day)s, c.stock, %(at)s FROM now_stock c "
            "LEFT JOIN LATERAL (SELECT h.stock FROM stock_history h WHERE h.shop_id = %(shop)s "
            "AND h.variant_code = c.code AND h.day < %(day)s ORDER BY h.day DESC LIMIT 1) l "
            "ON true WHERE c.stock IS NOT NULL AND l.stock IS DISTINCT FROM c.stock "
            "ON CONFLICT (shop_id, variant_code, day) DO NOTHING",
            {"shop": shop_id, "day": day, "at": observed_at},
        )
        return cur.rowcount


def chunk_variants(
    conn: psycopg.Connection, shop_id: int, after: str | None, limit: int, until: str | None = None
) -> pd.DataFrame:
    """The next `limit` catalogue variants after `after` by code (with `until`: those up to
    it, however many): code, name, purchase price."""
    where = "AND code > %(after)s" if after is not None else ""
    bound = (
        "AND code <= %(until)s ORDER BY code"
        if until is not None
        else "ORDER BY code LIMIT %(limit)s"
    )
    rows = conn.execute(
        "SELECT code, name, purchase_price::float8 FROM variants "
        f"WHERE shop_id = %(shop)s {where} {bound}",
        {"shop": shop_id, "after": after, "limit": limit, "until": until},
    ).fetchall()
    return pd.DataFrame(rows, columns=["variant_code", "name", "purchase_price"])


def daily_sales(
    conn: psycopg.Connection,
    shop_id: int,
    codes: list[str],
    first: date,
    last: date,
    timezone: str,
) -> pd.DataFrame:
    """Units sold per variant and shop-local day in [first, last], summed in PostgreSQL.

    Columns variant_id, ordered_at (the local day, naive), quantity. A day whose returns
    outweigh its sales counts as 0 (demand is never negative).
    """
    query = (
        "SELECT i.code, (i.created_at AT TIME ZONE %(tz)s)::date - DATE '1970-01-01', "
        "greatest(sum(i.amount), 0)::float8 FROM order_items_all i "
        "WHERE i.shop_id = %(shop)s AND i.code = ANY(%(codes)s) AND i.item_type = 'product' "
        "AND i.created_at >= %(start)s AND i.created_at < %(end)s "
        "AND NOT EXISTS (SELECT 1 FROM orders_all o WHERE o.shop_id = i.shop_id "
        "AND o.code = i.order_code AND o.created_at = i.created_at AND o.cancelled) "
        "GROUP BY 1, 2"
    )
    params = {
        "shop": shop_id,
        "codes": codes,
        "tz": timezone,
        "start": local_midnight(first, timezone),
        "end": local_midnight(last + timedelta(days=1), timezone),
    }
    variant, day, units = _read_coded(conn, "inventory_daily_sales", query, params, codes)
    return pd.DataFrame({"variant_id": variant, "ordered_at": day, "quantity": units})


def stock_rows(
    conn: psycopg.Connection, shop_id: int, codes: list[str], first: date, last: date
) -> pd.DataFrame:
    """Stock history rows of the variants in [first, last], plus each variant's last row
    before `first` (rows are written only on change, so that one still holds)."""
    query = (
        "SELECT variant_code, day - DATE '1970-01-01', stock::float8 FROM stock_history "
        "WHERE shop_id = %(shop)s AND variant_code = ANY(%(codes)s) AND day >= %(first)s "
        "AND day <= %(last)s UNION ALL SELECT c.code, h.day - DATE '1970-01-01', "
        "h.stock::float8 FROM unnest(%(codes)s::text[]) c(code) CROSS JOIN LATERAL (SELECT day, "
        "stock FROM stock_history WHERE shop_id = %(shop)s AND variant_code = c.code "
        "AND day < %(first)s ORDER BY day DESC LIMIT 1) h"
    )
    params = {"shop": shop_id, "codes": codes, "first": first, "last": last}
    variant, day, stock = _read_coded(conn, "inventory_stock_rows", query, params, codes)
    return pd.DataFrame({"variant_code": variant, "day": day, "stock": stock})


def _read_coded(
    conn: psycopg.Connection,
    name: str,
    query: LiteralString,
    params: dict[str, Any],
    codes: list[str],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(variant code, day, value) of a query returning (code, days since 1970, number), read
    through a server-side cursor and packed batch by batch, so a chunk's rows hold one string
    object per variant rather than one per row."""
    position = {code: k for k, code in enumerate(codes)}
    index: list[npt.NDArray[np.int32]] = []
    days: list[npt.NDArray[np.int64]] = []
    values: list[npt.NDArray[np.float64]] = []
    # A cursor is planned for its first rows by default, which picks nested loops over the
    # order views; all rows are wanted, so plan for the total.
    conn.execute("SET LOCAL cursor_tuple_fraction = 1.0")
    with conn.cursor(name=name) as cur:
        cur.execute(query, params)
        while rows := cur.fetchmany(FETCH_ROWS):
            index.append(np.fromiter((position[r[0]] for r in rows), np.int32, len(rows)))
            days.append(np.fromiter((r[1] for r in rows), np.int64, len(rows)))
            values.append(np.fromiter((r[2] for r in rows), np.float64, len(rows)))
    if not index:
        return np.array([], dtype=object), np.array([], "datetime64[ns]"), np.array([])
    return (
        np.asarray(codes, dtype=object)[np.concatenate(index)],
        np.concatenate(days).astype("datetime64[D]").astype("datetime64[ns]"),
        np.concatenate(values),
    )


def offers(conn: psycopg.Connection, shop_id: int, codes: list[str] | None) -> pd.DataFrame:
    """Every supplier offer for the variants (None: of the shop), with the supplier's lead time
    and order cost."""
    rows = conn.execute(
        "SELECT o.variant_code, o.supplier_id, s.name, o.unit_price::float8, o.moq::float8, "
        "o.pack_size::float8, o.price_breaks, "
        "coalesce(o.lead_time_days, s.lead_time_days)::float8, "  # the offer's own, else the supplier's
        "coalesce(o.lead_time_sd_days, s.lead_time_sd_days)::float8, s.order_cost::float8, s.currency, "
        "s.lead_time_days::float8, s.lead_time_sd_days::float8, o.lead_time_days IS NOT NULL, "
        "o.supplier_stock::float8 "
        "FROM supplier_offers o JOIN suppliers s ON s.id = o.supplier_id "
        "WHERE s.shop_id = %(shop)s AND (%(codes)s::text[] IS NULL "
        "OR o.variant_code = ANY(%(codes)s)) ORDER BY o.variant_code, o.supplier_id",
        {"shop": shop_id, "codes": codes},
    ).fetchall()
    return pd.DataFrame(
        rows,
        columns=[
            "variant_code",
            "supplier_id",
            "supplier_name",
            "unit_price",
            "moq",
            "pack_size",
            "price_breaks",
            "lead_time_mean",
            "lead_time_sd",
            "supplier_order_cost",
            "currency",
            "supplier_lead_time_mean",
            "supplier_lead_time_sd",
            "own_lead_time",
            "supplier_stock",
        ],
    )


def purchase_receipts(
    conn: psycopg.Connection, shop_id: int, codes: list[str] | None
) -> pd.DataFrame:
    """The delivery record of the variants' (None: all) offers: one row per purchase order
    line with a supplier, received or still open (inventory.supplier_risk.RECEIPT_COLUMNS)."""
    rows = conn.execute(
        "SELECT p.supplier_id, l.variant_code, p.id, p.ordered_at, p.expected_at, p.received_at "
        "FROM purchase_order_lines l JOIN purchase_orders p ON p.id = l.purchase_order_id "
        "WHERE l.shop_id = %(shop)s AND (%(codes)s::text[] IS NULL "
        "OR l.variant_code = ANY(%(codes)s)) AND p.shop_id = %(shop)s AND p.supplier_id IS NOT NULL "
        "AND p.status IN ('open', 'received') ORDER BY p.ordered_at",
        {"shop": shop_id, "codes": codes},
    ).fetchall()
    return pd.DataFrame(rows, columns=list(RECEIPT_COLUMNS))


def on_order(
    conn: psycopg.Connection,
    shop_id: int,
    codes: list[str],
    timezone: str,
    lead_time_days: float,
) -> pd.DataFrame:
    """Units on order per variant and open purchase order: the unreceived rest (quantity -
    received) of its lines, and the shop-local day the order is expected. An order without
    `expected_at` is expected its supplier's lead time after it was placed (the shop's
    `lead_time_days` without a supplier), the default the API gives new orders; not the order
    day, which would make it look on time. One small row per variant and order with something
    outstanding (the partial index on outstanding lines serves it)."""
    rows = conn.execute(
        "SELECT l.variant_code, p.id, sum(l.quantity - l.received_quantity)::float8, "
        "(coalesce(p.expected_at, p.ordered_at + interval '1 day' * "
        "coalesce(s.lead_time_days::float8, %(lead)s)) AT TIME ZONE %(tz)s)::date "
        "FROM purchase_order_lines l JOIN purchase_orders p ON p.id = l.purchase_order_id "
        "LEFT JOIN suppliers s ON s.id = p.supplier_id "
        "WHERE l.shop_id = %(shop)s AND l.variant_code = ANY(%(codes)s) "
        "AND l.received_quantity < l.quantity AND p.shop_id = %(shop)s AND p.status = 'open' "
        "GROUP BY l.variant_code, p.id, s.id",
        {"shop": shop_id, "codes": codes, "tz": timezone, "lead": lead_time_days},
    ).fetchall()
    return pd.DataFrame(rows, columns=list(ON_ORDER_COLUMNS))


def previous_forecasts(
    conn: psycopg.Connection, shop_id: int, codes: list[str], first: date, last: date
) -> pd.DataFrame:
    """What earlier runs forecast for the variants' days in [first, last] (to judge sales)."""
    rows = conn.execute(
        "SELECT variant_code, day, mean, lo, hi FROM inventory_forecasts "
        "WHERE shop_id = %(shop)s AND variant_code = ANY(%(codes)s) "
        "AND day >= %(first)s AND day <= %(last)s",
        {"shop": shop_id, "codes": codes, "first": first, "last": last},
    ).fetchall()
    return pd.DataFrame(rows, columns=["variant_id", "period", "mean", "lo", "hi"])


def store_chunk(
    conn: psycopg.Connection,
    shop_id: int,
    run_id: int,
    codes: list[str],
    forecasts: pd.DataFrame,
    metrics: pd.DataFrame,
    anomalies: pd.DataFrame,
) -> int:
    """Replace the chunk's forecasts and metrics; add anomalies not seen before (by variant,
    day and kind; a late purchase order by variant, order and expected day). Returns the
    number of new anomalies."""
    ids = {"shop": shop_id, "codes": codes}
    with conn.transaction():
        conn.execute(
            "DELETE FROM inventory_forecasts WHERE shop_id = %(shop)s "
            "AND variant_code = ANY(%(codes)s)",
            ids,
        )
        conn.execute(
            "DELETE FROM inventory_variant_metrics WHERE shop_id = %(shop)s "
            "AND variant_code = ANY(%(codes)s)",
            ids,
        )
        copy_frame(
            conn,
            "inventory_forecasts",
            forecasts[list(FORECAST_COLUMNS)].assign(shop_id=shop_id, run_id=run_id),
        )
        copy_frame(
            conn,
            "inventory_variant_metrics",
            metrics[list(METRIC_COLUMNS)].assign(shop_id=shop_id, run_id=run_id),
        )
        if anomalies.empty:
            return 0
        names = ", ".join(ANOMALY_COLUMNS)
        conn.execute(
            "CREATE TEMP TABLE IF NOT EXISTS found_anomalies ON COMMIT DELETE ROWS AS "
            f"SELECT {names} FROM inventory_anomalies WITH NO DATA"
        )
        conn.execute("TRUNCATE found_anomalies")
        copy_frame(conn, "found_anomalies", anomalies[list(ANOMALY_COLUMNS)])
        # a late purchase order is news once per order and expected day: its projected
        # stock-out day moves with every night's forecast and must not raise it again
        cur = conn.execute(
            f"INSERT INTO inventory_anomalies (shop_id, run_id, {names}) "
            f"SELECT %(shop)s, %(run)s, {names} FROM found_anomalies f WHERE NOT EXISTS "
            "(SELECT 1 FROM inventory_anomalies a WHERE a.shop_id = %(shop)s "
            "AND a.variant_code = f.variant_code AND a.kind = f.kind "
            "AND a.purchase_order_id = f.purchase_order_id AND a.arrives_on = f.arrives_on) "
            "ON CONFLICT (shop_id, variant_code, day, kind) DO NOTHING",
            {"shop": shop_id, "run": run_id},
        )
        return cur.rowcount


def store_delivery_records(conn: psycopg.Connection, shop_id: int, as_of: datetime) -> int:
    """Learn every supplier's and offer's delivery record from the shop's purchase orders as of
    `as_of` (inventory.supplier_risk) and keep it on them for the suppliers page; returns the
    number of offers."""
    suppliers = pd.DataFrame(
        conn.execute(
            "SELECT id, lead_time_days::float8, lead_time_sd_days::float8 FROM suppliers "
            "WHERE shop_id = %(shop)s",
            {"shop": shop_id},
        ).fetchall(),
        columns=["supplier_id", "lead_time_mean", "lead_time_sd"],
    )
    if suppliers.empty:
        return 0
    receipts = purchase_receipts(conn, shop_id, None)
    now = pd.Timestamp(as_of)
    by_supplier = supplier_records(receipts, suppliers, now)
    by_offer = offer_records(receipts, offers(conn, shop_id, None), now)
    record = (
        "learnt_lead_time_days = r.mean, learnt_lead_time_sd_days = r.sd, on_time_rate = r.rate, "
        "deliveries = r.n, late_deliveries = r.late, overdue_orders = r.overdue, "
        "learnt_at = %(at)s FROM unnest(%(ids)s::bigint[], %(codes)s::text[], "
        "%(mean)s::float8[], %(sd)s::float8[], %(rate)s::float8[], %(n)s::int[], %(late)s::int[], "
        "%(overdue)s::int[]) AS r(id, code, mean, sd, rate, n, late, overdue) "
    )

    def params(frame: pd.DataFrame, ids: list[Any], codes: list[Any]) -> dict[str, Any]:
        return {
            "shop": shop_id,
            "at": as_of,
            "ids": ids,
            "codes": codes,
            "mean": frame["lead_time_mean"].round(2).tolist(),
            "sd": frame["lead_time_sd"].round(2).tolist(),
            "rate": frame["on_time_rate"].round(3).tolist(),
            "n": frame["deliveries"].astype(int).tolist(),
            "late": frame["late"].astype(int).tolist(),
            "overdue": frame["overdue"].astype(int).tolist(),
        }

    with conn.transaction():
        ids = [int(i) for i in by_supplier.index]
        conn.execute(
            "UPDATE suppliers s SET " + record + "WHERE s.shop_id = %(shop)s AND s.id = r.id",
            params(by_supplier, ids, [""] * len(ids)),
        )
        conn.execute(
            "UPDATE supplier_offers o SET " + record + "WHERE o.shop_id = %(shop)s "
            "AND o.supplier_id = r.id AND o.variant_code = r.code",
            params(
                by_offer,
                [int(i) for i in by_offer["supplier_id"]],
                by_offer["variant_code"].tolist(),
            ),
        )
    return len(by_offer)


def anomaly_lines(
    conn: psycopg.Connection,
    shop_id: int,
    codes: list[str],
    first: date,
    last: date,
    timezone: str,
) -> pd.DataFrame:
    """Order lines of the variants on shop-local days [first, last], with what a sales
    anomaly's causes are sliced by (inventory.root_causes.LINE_COLUMNS): the order's channel,
    billing country, customer (account, else e-mail), unit price, and whether the order carried
    a discount line. Cancelled orders left out."""
    rows = conn.execute(
        "SELECT i.code, (i.created_at AT TIME ZONE %(tz)s)::date, i.amount::float8, o.channel, "
        "o.billing_country, coalesce(o.customer_guid::text, lower(btrim(o.email))), "
        "coalesce(i.unit_price_with_vat, i.price_with_vat / nullif(i.amount, 0))::float8, "
        "EXISTS (SELECT 1 FROM order_items_all d WHERE d.shop_id = i.shop_id "
        "AND d.order_code = i.order_code AND d.created_at = i.created_at "
        "AND (d.item_type ILIKE '%%discount%%' OR (d.item_type <> 'product' "
        "AND d.price_with_vat < 0))) "
        "FROM order_items_all i JOIN orders_all o ON o.shop_id = i.shop_id "
        "AND o.code = i.order_code AND o.created_at = i.created_at "
        "WHERE i.shop_id = %(shop)s AND i.code = ANY(%(codes)s) AND i.item_type = 'product' "
        "AND i.created_at >= %(start)s AND i.created_at < %(end)s AND NOT o.cancelled",
        {
            "shop": shop_id,
            "codes": codes,
            "tz": timezone,
            "start": local_midnight(first, timezone),
            "end": local_midnight(last + timedelta(days=1), timezone),
        },
    ).fetchall()
    return pd.DataFrame(rows, columns=list(LINE_COLUMNS))


def store_anomaly_causes(conn: psycopg.Connection, shop_id: int, causes: pd.DataFrame) -> int:
    """Attach causes (variant_code, day, kind, causes: a list) to the stored anomalies that have
    none yet; returns how many were explained."""
    if causes.empty:
        return 0
    with conn.transaction():
        cur = conn.execute(
            "UPDATE inventory_anomalies a SET causes = c.causes FROM (SELECT * FROM "
            "unnest(%(codes)s::text[], %(days)s::date[], %(kinds)s::text[], %(causes)s::jsonb[]) "
            "AS t(variant_code, day, kind, causes)) c WHERE a.shop_id = %(shop)s "
            "AND a.variant_code = c.variant_code AND a.day = c.day AND a.kind = c.kind "
            "AND a.causes IS NULL",
            {
                "shop": shop_id,
                "codes": causes["variant_code"].tolist(),
                "days": list(causes["day"]),
                "kinds": causes["kind"].tolist(),
                "causes": [Jsonb(c) for c in causes["causes"]],
            },
        )
        return cur.rowcount


def needs(conn: psycopg.Connection, shop_id: int, run_id: int) -> pd.DataFrame:
    """The run's variants that need ordering, with what the purchase plan weighs."""
    rows = conn.execute(
        "SELECT m.variant_code, v.name, v.purchase_price::float8, m.need_quantity, "
        "m.mean_demand, m.sd_demand, m.stockout_penalty, m.order_by, m.on_hand::float8, "
        "m.reorder_point, m.lead_time_days, m.lead_time_sd_days, m.on_order::float8 "
        "FROM inventory_variant_metrics m LEFT JOIN variants v "
        "ON v.shop_id = m.shop_id AND v.code = m.variant_code "
        "WHERE m.shop_id = %(shop)s AND m.run_id = %(run)s AND m.need_quantity > 0 "
        "ORDER BY m.variant_code",
        {"shop": shop_id, "run": run_id},
    ).fetchall()
    return pd.DataFrame(
        rows,
        columns=[
            "variant_code",
            "name",
            "purchase_price",
            "quantity",
            "mean_demand",
            "sd_demand",
            "stockout_penalty",
            "order_by",
            "on_hand",
            "reorder_point",
            "lead_time_days",
            "lead_time_sd_days",
            "on_order",
        ],
    )


def current_forecasts(
    conn: psycopg.Connection, shop_id: int, run_id: int, codes: list[str]
) -> pd.DataFrame:
    rows = conn.execute(
        "SELECT variant_code, day, mean FROM inventory_forecasts WHERE shop_id = %(shop)s "
        "AND run_id = %(run)s AND variant_code = ANY(%(codes)s) ORDER BY variant_code, day",
        {"shop": shop_id, "run": run_id, "codes": codes},
    ).fetchall()
    return pd.DataFrame(rows, columns=["variant_id", "period", "mean"])


def store_recommendations(
    conn: psycopg.Connection, shop_id: int, run_id: int, rows: pd.DataFrame
) -> None:
    """Replace the shop's recommendations; ids follow the rows' order (order-by date first)."""
    with conn.transaction():
        conn.execute("DELETE FROM inventory_recommendations WHERE shop_id = %s", (shop_id,))
        copy_frame(
            conn,
            "inventory_recommendations",
            rows[list(RECOMMENDATION_COLUMNS)].assign(shop_id=shop_id, run_id=run_id),
        )


def update_run(conn: psycopg.Connection, run_id: int, values: dict[str, Any]) -> None:
    update_by_id(conn, "inventory_runs", run_id, values)


@dataclass(frozen=True)
class ChunkRows:
    """What one chunk reads: catalogue rows, daily sales, stock history, offers, what earlier
    runs forecast for the recent days, and the units on order (open purchase orders)."""

    variants: pd.DataFrame
    sales: pd.DataFrame
    stock: pd.DataFrame
    offers: pd.DataFrame
    previous: pd.DataFrame
    on_order: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=list(ON_ORDER_COLUMNS))
    )
    # the promotions calendar: variant_code None for shop-wide ones, else the scoped variant
    promotions: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=list(PROMOTION_COLUMNS))
    )
    # the weather region's stored series (daily PeriodIndex × temperature, precipitation)
    weather: pd.DataFrame | None = None


def read_chunk(
    conn: psycopg.Connection,
    shop_id: int,
    after: str | None,
    limit: int,
    first: date,
    last: date,
    recent_from: date,
    timezone: str,
    lead_time_days: float,
    weather_region: str = "",
    until: str | None = None,
) -> ChunkRows | None:
    """The chunk after `after`, or None when no variants are left. `lead_time_days` is the
    shop's default lead time (for open orders without a supplier or expected date);
    `weather_region` names the stored weather series the forecasts may use ("": none);
    `until` bounds the chunk by its last code (sql.chunk_variants)."""
    variants = chunk_variants(conn, shop_id, after, limit, until)
    if variants.empty:
        return None
    codes = variants["variant_code"].tolist()
    return ChunkRows(
        variants=variants,
        sales=daily_sales(conn, shop_id, codes, first, last, timezone),
        stock=stock_rows(conn, shop_id, codes, first, last),
        offers=offers(conn, shop_id, codes),
        previous=previous_forecasts(conn, shop_id, codes, recent_from, last),
        on_order=on_order(conn, shop_id, codes, timezone, lead_time_days),
        promotions=shop_promotions(conn, shop_id, first, codes),
        weather=stored_weather(conn, weather_region, first) if weather_region else None,
    )


def shop_promotions(
    conn: psycopg.Connection, shop_id: int, first: date, codes: list[str] | None = None
) -> pd.DataFrame:
    """Promotions ending on or after `first`: the shop-wide ones (variant_code None) and, for
    the variants `codes`, those scoped to the variant or to its product's category (one row
    per matching variant); the forecasts take them as a regressor where the backtest shows
    they help."""
    rows = conn.execute(
        "SELECT NULL::text, starts_on, ends_on FROM promotions WHERE shop_id = %(shop)s "
        "AND ends_on >= %(first)s AND variant_code IS NULL AND category IS NULL "
        "UNION ALL "
        "SELECT v.code, p.starts_on, p.ends_on FROM promotions p "
        "JOIN variants v ON v.shop_id = p.shop_id AND v.code = ANY(%(codes)s) "
        "LEFT JOIN products pr ON pr.shop_id = v.shop_id AND pr.guid = v.product_guid "
        "WHERE p.shop_id = %(shop)s AND p.ends_on >= %(first)s "
        "AND (p.variant_code = v.code OR p.category = pr.default_category) "
        "ORDER BY 2, 1",
        {"shop": shop_id, "first": first, "codes": codes or []},
    ).fetchall()
    return pd.DataFrame(rows, columns=list(PROMOTION_COLUMNS))


def stored_weather(conn: psycopg.Connection, region: str, first: date) -> pd.DataFrame | None:
    """The region's stored weather from three years before `first` (the climatology of the
    forecast days needs past years), or None when nothing is stored."""
    rows = conn.execute(
        "SELECT day, temperature_mean, precipitation_sum FROM weather_daily "
        "WHERE region = %s AND day >= %s ORDER BY day",
        (region, first - timedelta(days=3 * 366)),
    ).fetchall()
    if not rows:
        return None
    frame = pd.DataFrame(rows, columns=["day", "temperature", "precipitation"])
    index = pd.PeriodIndex(pd.to_datetime(frame.pop("day")), freq="D")
    return frame.astype(float).set_axis(index)
