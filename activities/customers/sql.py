"""The SQL around the customer analytics: orders in, customer by customer; summaries, metrics
and item rules out with COPY. Plain psycopg (sync), because the activities that call it run in
threads or in a child process, and server-side cursors and COPY are psycopg's.

Orders come from `orders_all` (hot and archive tables together). A customer is the order's
`customer_guid`; a guest order (no GUID) belongs to the registered customer whose e-mail it has
(`lower(btrim(…))` on both sides; only when exactly one non-deleted customer of the shop has that
e-mail), else to the guest keyed by that normalised e-mail. The matched guest orders are staged
once per run in `customer_run_merged_orders` under the customer's GUID, so the registered phase
reads them by GUID range with the GUID's own orders and the guests phase skips their e-mails:
every order counts once. Cancelled orders are left out; an
order with a negative total is a refund (see docs/customer-analytics.md); money is
`total_with_vat × exchange_rate` (the shop's currency; a missing rate counts as 1).
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final, LiteralString
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import psycopg
from scipy import sparse

from activities.child_process import Beat
from activities.customers.analytics import (
    Baskets,
    calibration_holdout_summary,
    rfm_summary,
)
from activities.customers.prices import ELASTICITY_COLUMNS as ESTIMATE_COLUMNS
from activities.customers.spend import DAYS_PER_MONTH, periods_per_month
from activities.pg_copy import copy_frame, update_by_id
from db.order_margins import COSTS_ROW, CostModel, cost_params, order_margins

ORDERS: Final = "orders_all"
ORDER_ITEMS: Final = "order_items_all"
FETCH_ROWS = 20_000
PERIOD_UNITS = {"D": "day", "W": "week", "M": "month"}  # PostgreSQL's date_trunc for freq
SUMMARY_COLUMNS = (
    "customer_key",
    "customer_guid",
    "email",
    "first_order_at",
    "last_order_at",
    "orders",
    "frequency",
    "recency",
    "t",
    "monetary_value",
    "total_value",
    "cal_frequency",
    "cal_recency",
    "cal_t",
    "frequency_holdout",
    "profit_total",
    "units",
    "discounted_units",
)
PROFIT_COLUMNS = ("customer_key", "profit_total", "units", "discounted_units")
METRIC_COLUMNS = (
    "customer_key",
    "frequency",
    "recency",
    "t",
    "monetary_value",
    "total_value",
    "p_alive",
    "expected_purchases_90d",
    "clv_12m",
    "clv_at_risk",
    "next_purchase_at",
    "churn_risk",
    "r_score",
    "f_score",
    "m_score",
    "fm_score",
    "segment",
    "profit_total",
    "margin_rate",
    "clv_profit_12m",
    "discount_share",
    "price_buyer",
    "discount_advice",
)
# what `product_elasticities` stores: a row of the price estimates (prices.ELASTICITY_COLUMNS)
# with its scope, name, category and the product's regular price
ELASTICITY_COLUMNS = ("scope", *ESTIMATE_COLUMNS, "name", "category", "reference_price")


@dataclass(frozen=True)
class Window:
    """The run's clock in the shop's wall time, where periods are cut."""

    observation_end: datetime  # UTC, aware
    timezone: str
    freq: str
    holdout_periods: int

    def __post_init__(self) -> None:
        if self.freq not in PERIOD_UNITS:
            raise ValueError(f"freq must be one of {sorted(PERIOD_UNITS)}, got {self.freq!r}")
        if self.holdout_periods < 1:
            raise ValueError(f"holdout_periods must be >= 1, got {self.holdout_periods}")

    @property
    def local_end(self) -> pd.Timestamp:
        """The observation end as naive wall time in the shop's zone."""
        return pd.Timestamp(self.observation_end.astimezone(ZoneInfo(self.timezone))).tz_localize(
            None
        )

    @property
    def local_calibration_end(self) -> pd.Timestamp:
        """The end of the last period before the holdout (a period boundary, as lifetimes needs)."""
        return (self.local_end.to_period(self.freq) - self.holdout_periods).end_time.floor("us")

    @property
    def calibration_end(self) -> datetime:
        return self.local_calibration_end.tz_localize(ZoneInfo(self.timezone)).to_pydatetime()

    @property
    def days_per_period(self) -> float:
        return DAYS_PER_MONTH / periods_per_month(self.freq)


# Orders a customer is made of: not cancelled, up to the run's observation end.
IN_WINDOW: Final = "o.shop_id = %(shop)s AND NOT o.cancelled AND o.created_at <= %(end)s"
# The normalised e-mail of an order (matches the index ix_orders_shop_guest_email_key).
ORDER_EMAIL_KEY: Final = "lower(btrim(o.email))"
GUEST_ORDER: Final = f"o.customer_guid IS NULL AND {ORDER_EMAIL_KEY} <> ''"
UNMATCHED_GUEST: Final = (
    "NOT EXISTS (SELECT 1 FROM customer_run_merged_orders m WHERE m.report_id = %(report)s "
    f"AND m.email_key = {ORDER_EMAIL_KEY})"
)
# One GUID per e-mail key that exactly one non-deleted customer of the shop has. `< 2`, not
# `= 1`: the planner then guesses that a third of the e-mails pass, not 0.5 %, and joins the
# guest orders by hash instead of probing every orders partition once per customer.
UNIQUE_CUSTOMER_EMAILS = (
    "SELECT lower(btrim(email)) AS email_key, (array_agg(guid))[1] AS guid FROM customers "
    "WHERE shop_id = %(shop)s AND NOT deleted AND lower(btrim(email)) <> '' "
    "GROUP BY 1 HAVING count(*) < 2"
)
MERGE_GUEST_ORDERS = (
    "INSERT INTO customer_run_merged_orders (report_id, customer_guid, code, created_at, "
    "email_key, total_with_vat, exchange_rate) SELECT %(report)s, c.guid, o.code, o.created_at, "
    f"c.email_key, o.total_with_vat, o.exchange_rate FROM ({UNIQUE_CUSTOMER_EMAILS}) c "
    f"JOIN {ORDERS} o ON {IN_WINDOW} AND {GUEST_ORDER} AND {ORDER_EMAIL_KEY} = c.email_key"
)
"""Stage the run's guest orders that belong to a registered customer: those whose e-mail
exactly one non-deleted customer of the shop has (an e-mail two accounts share is ambiguous:
its orders stay a guest's)."""
COUNT_CUSTOMERS = (
    "SELECT (SELECT count(*) FROM ("
    f"SELECT o.customer_guid FROM {ORDERS} o WHERE {IN_WINDOW} AND o.customer_guid IS NOT NULL "
    "UNION SELECT customer_guid FROM customer_run_merged_orders WHERE report_id = %(report)s"
    f") registered), (SELECT count(DISTINCT {ORDER_EMAIL_KEY}) FROM {ORDERS} o "
    f"WHERE {IN_WINDOW} AND {GUEST_ORDER} AND {UNMATCHED_GUEST})"
)
"""(registered customers, guests) of a run once its merged orders are staged: GUIDs with own or
merged orders, and the e-mail keys of the other guest orders."""


@dataclass(frozen=True)
class Phase:
    """SQL of one customer phase: its keys and its orders, key column `k`."""

    name: str
    key_type: LiteralString  # the key's SQL type, for the keyset bounds

    def keys(self, after: bool) -> LiteralString:
        """Every order's customer key (duplicates included) above %(after)s."""
        if self.name == "registered":
            return (
                f"SELECT o.customer_guid AS k FROM {ORDERS} o WHERE {IN_WINDOW} "
                f"AND o.customer_guid IS NOT NULL{self._above('o.customer_guid', after)} "
                "UNION ALL SELECT m.customer_guid FROM customer_run_merged_orders m "
                f"WHERE m.report_id = %(report)s{self._above('m.customer_guid', after)}"
            )
        return (
            f"SELECT {ORDER_EMAIL_KEY} AS k FROM {ORDERS} o WHERE {IN_WINDOW} AND {GUEST_ORDER}"
            f"{self._above(ORDER_EMAIL_KEY, after)} AND {UNMATCHED_GUEST}"
        )

    def orders(self, after: bool) -> LiteralString:
        """The orders of the customers in (%(after)s, %(upto)s]: key, the e-mail key they were
        matched by (registered phase: NULL for the GUID's own orders), time, total, rate."""
        columns = "code, created_at, total_with_vat, exchange_rate"
        if self.name == "registered":
            return (
                f"SELECT o.customer_guid AS k, NULL::text AS email_key, {columns} FROM {ORDERS} o "
                f"WHERE {IN_WINDOW} AND o.customer_guid IS NOT NULL"
                f"{self._within('o.customer_guid', after)} "
                f"UNION ALL SELECT m.customer_guid, m.email_key, {columns} "
                "FROM customer_run_merged_orders m WHERE m.report_id = %(report)s"
                f"{self._within('m.customer_guid', after)}"
            )
        return (
            f"SELECT {ORDER_EMAIL_KEY} AS k, {ORDER_EMAIL_KEY} AS email_key, {columns} "
            f"FROM {ORDERS} o WHERE {IN_WINDOW} AND {GUEST_ORDER}"
            f"{self._within(ORDER_EMAIL_KEY, after)} AND {UNMATCHED_GUEST}"
        )

    def _above(self, column: LiteralString, after: bool) -> LiteralString:
        return f" AND {column} > %(after)s::{self.key_type}" if after else ""

    def _within(self, column: LiteralString, after: bool) -> LiteralString:
        return f"{self._above(column, after)} AND {column} <= %(upto)s::{self.key_type}"


PHASES = {"registered": Phase("registered", "uuid"), "guests": Phase("guests", "text")}


def _phase(name: str) -> Phase:
    try:
        return PHASES[name]
    except KeyError:
        raise ValueError(f"unknown customer phase {name!r}; use 'registered' or 'guests'") from None


# A chunk's queries (keys, periods, margins) are one-off statements over tens of thousands of
# orders: JIT-compiling them took longer than they ran (the margins query 7 s instead of 4 s
# for 48 000 orders), and the per-order margins hash and sort spilled to disk at 4 MB.
CHUNK_WORK_MEM: Final = "64MB"


def tune_chunk_session(conn: psycopg.Connection) -> None:
    """Settings for the connection of one chunk or of the price step (it lives as long as the
    activity)."""
    conn.execute(
        "SELECT set_config('jit', 'off', false), set_config('work_mem', %s, false)",
        (CHUNK_WORK_MEM,),
    )


def chunk_upper_key(
    conn: psycopg.Connection,
    shop_id: int,
    report_id: int,
    phase: str,
    after: str | None,
    limit: int,
    observation_end: datetime,
) -> tuple[int, str | None]:
    """(customers in the next chunk, the last key of it) by keyset over the phase's key index."""
    keys = _phase(phase).keys(after is not None)
    query = (
        "SELECT count(*) OVER (), k::text FROM ("
        f"SELECT DISTINCT k FROM ({keys}) keys ORDER BY 1 LIMIT %(limit)s) chunk "
        "ORDER BY k DESC LIMIT 1"
    )
    params = {
        "shop": shop_id,
        "report": report_id,
        "after": after,
        "limit": limit,
        "end": observation_end,
    }
    row = conn.execute(query, params).fetchone()
    return (0, None) if row is None else (int(row[0]), row[1])


def read_customer_periods(
    conn: psycopg.Connection,
    shop_id: int,
    report_id: int,
    phase: str,
    after: str | None,
    upto: str,
    window: Window,
    beat: Beat,
) -> pd.DataFrame:
    """One row per (customer, period, purchase-or-refund) of the customers in (after, upto]:
    summed value, order count, first and last order time, and the customer's matched guest
    e-mail key. Streamed from a server-side cursor a batch at a time; raw orders never reach
    Python."""
    orders = _phase(phase).orders(after is not None)
    query = (
        "SELECT k::text AS customer_key, "
        "date_trunc(%(unit)s, created_at AT TIME ZONE %(tz)s) AS period, "
        "total_with_vat < 0 AS refund, "
        "sum(total_with_vat * coalesce(exchange_rate, 1))::float8 AS value, "
        "count(*)::int AS orders, min(created_at) AS first_at, max(created_at) AS last_at, "
        f"max(email_key) AS email FROM ({orders}) chunk GROUP BY 1, 2, 3"
    )
    params = {
        "shop": shop_id,
        "report": report_id,
        "after": after,
        "upto": upto,
        "end": window.observation_end,
        "unit": PERIOD_UNITS[window.freq],
        "tz": window.timezone,
    }
    columns = [
        "customer_key",
        "period",
        "refund",
        "value",
        "orders",
        "first_at",
        "last_at",
        "email",
    ]
    batches: list[pd.DataFrame] = []
    with conn.cursor(name=f"customer_periods_{phase}") as cur:
        cur.execute(query, params)
        while rows := cur.fetchmany(FETCH_ROWS):
            batches.append(pd.DataFrame.from_records(rows, columns=columns))
            beat({"rows": sum(len(b) for b in batches)})
    if not batches:
        return pd.DataFrame(columns=columns)
    return pd.concat(batches, ignore_index=True)


def read_customer_profits(
    conn: psycopg.Connection,
    shop_id: int,
    report_id: int,
    phase: str,
    after: str | None,
    upto: str,
    window: Window,
    costs: CostModel,
) -> pd.DataFrame:
    """Per customer in (after, upto]: the margin of their orders (db/order_margins.py, refunds
    netted), their units and the units bought at a discount (PROFIT_COLUMNS), from one
    set-based query over the chunk's orders and their lines (`order_margins`)."""
    orders = _phase(phase).orders(after is not None)
    margins = order_margins(orders, "%(shop)s", COSTS_ROW)
    query = (
        "SELECT m.k::text, sum(m.margin)::float8, sum(m.units)::float8, "
        f"sum(m.discounted_units)::float8 FROM ({margins}) m GROUP BY 1"
    )
    params: dict[str, Any] = {
        "shop": shop_id,
        "report": report_id,
        "after": after,
        "upto": upto,
        "end": window.observation_end,
        **cost_params(costs),
    }
    rows = conn.execute(query, params).fetchall()
    return pd.DataFrame.from_records(rows, columns=list(PROFIT_COLUMNS))


def summarise_chunk(
    periods: pd.DataFrame, phase: str, window: Window, profits: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Per customer of the chunk: the whole-history and the calibration summary, with the
    profit and discount sums of `profits` (SUMMARY_COLUMNS). Customers with only refunds have
    no purchase and are left out, as `rfm_summary` does."""
    if periods.empty:
        return pd.DataFrame(columns=SUMMARY_COLUMNS)
    key, when, value = "customer_key", "period", "value"
    full = rfm_summary(periods, key, when, value, window.local_end, window.freq)
    calibration = calibration_holdout_summary(
        periods, key, when, value, window.local_calibration_end, window.local_end, window.freq
    )
    purchases = (
        periods.loc[~periods["refund"].astype(bool)]
        .groupby(key)
        .agg(
            first_order_at=("first_at", "min"),
            last_order_at=("last_at", "max"),
            orders=("orders", "sum"),
        )
    )
    out = full.rename(columns={"T": "t"}).join(purchases, how="left")
    cal = calibration[["frequency", "recency", "T", "frequency_holdout"]].rename(
        columns={"frequency": "cal_frequency", "recency": "cal_recency", "T": "cal_t"}
    )
    emails = periods.groupby(key)["email"].first()  # the matched e-mail key, if any
    out = out.join(cal, how="left").join(emails, how="left")
    if profits is not None and not profits.empty:
        out = out.join(profits.set_index(key), how="left")
    out = out.reset_index()
    out["customer_guid"] = out[key] if phase == "registered" else None
    return out.reindex(columns=list(SUMMARY_COLUMNS))


def stage_summaries(conn: psycopg.Connection, report_id: int, summaries: pd.DataFrame) -> None:
    """Upsert the chunk's summaries (a retried chunk overwrites its own rows)."""
    names = ", ".join(SUMMARY_COLUMNS)
    with conn.transaction():
        conn.execute(
            "CREATE TEMP TABLE IF NOT EXISTS staged_customers ON COMMIT DELETE ROWS AS "
            f"SELECT {names} FROM customer_run_summaries WITH NO DATA"
        )
        conn.execute("TRUNCATE staged_customers")
        copy_frame(conn, "staged_customers", summaries)
        updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in SUMMARY_COLUMNS[1:])
        conn.execute(
            f"INSERT INTO customer_run_summaries (report_id, {names}) "
            f"SELECT %s, {names} FROM staged_customers "
            f"ON CONFLICT (report_id, customer_key) DO UPDATE SET {updates}",
            (report_id,),
        )


def read_summaries(
    conn: psycopg.Connection, report_id: int, window: Window, beat: Beat
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(whole-history summary, calibration summary) of a run, indexed by customer key, in the
    shapes `analyse_summaries` takes."""
    columns = [
        "customer_key",
        "frequency",
        "recency",
        "T",
        "monetary_value",
        "total_value",
        "cal_frequency",
        "cal_recency",
        "cal_t",
        "frequency_holdout",
        "profit_total",
        "units",
        "discounted_units",
    ]
    batches: list[pd.DataFrame] = []
    with conn.cursor(name="customer_summaries") as cur:
        cur.execute(
            "SELECT customer_key, frequency, recency, t, monetary_value, total_value, "
            "cal_frequency, cal_recency, cal_t, frequency_holdout, profit_total, units, "
            "discounted_units "
            "FROM customer_run_summaries WHERE report_id = %s ORDER BY customer_key",
            (report_id,),
        )
        while rows := cur.fetchmany(FETCH_ROWS * 5):
            batches.append(pd.DataFrame.from_records(rows, columns=columns))
            beat({"phase": "reading summaries", "customers": sum(len(b) for b in batches)})
    frame = (
        pd.concat(batches, ignore_index=True) if batches else pd.DataFrame(columns=columns)
    ).set_index("customer_key")
    numeric = frame.astype(float)
    summary = numeric[["frequency", "recency", "T", "monetary_value", "total_value"]]
    if numeric["profit_total"].notna().any():  # runs whose chunks summed profit
        summary = summary.join(numeric[["profit_total", "units", "discounted_units"]])
    calibrated = numeric.loc[numeric["cal_frequency"].notna()]
    calibration = pd.DataFrame(
        {
            "frequency": calibrated["cal_frequency"],
            "recency": calibrated["cal_recency"],
            "T": calibrated["cal_t"],
            "frequency_holdout": calibrated["frequency_holdout"].fillna(0.0),
            "duration_holdout": float(window.holdout_periods),
        },
        index=calibrated.index,
    )
    return summary, calibration


def store_metrics(
    conn: psycopg.Connection,
    shop_id: int,
    report_id: int,
    metrics: pd.DataFrame,
    report: dict[str, Any],
) -> None:
    """Replace the shop's customer metrics with this run's and update its report, in one
    transaction, so readers see the previous run or this one, never a mix."""
    names = ", ".join(METRIC_COLUMNS)
    with conn.transaction():
        conn.execute(
            "CREATE TEMP TABLE IF NOT EXISTS scored_customers ("
            "customer_key text, frequency float8, recency float8, t float8, "
            "monetary_value numeric, total_value numeric, p_alive float8, "
            "expected_purchases_90d float8, clv_12m numeric, clv_at_risk numeric, "
            "next_purchase_at timestamptz, churn_risk float8, r_score int2, f_score int2, "
            "m_score int2, fm_score int2, segment text, profit_total numeric, "
            "margin_rate float8, clv_profit_12m numeric, discount_share float8, "
            "price_buyer text, discount_advice text) ON COMMIT DELETE ROWS"
        )
        conn.execute("TRUNCATE scored_customers")
        copy_frame(conn, "scored_customers", metrics[list(METRIC_COLUMNS)])
        updates = ", ".join(
            f"{c} = EXCLUDED.{c}"
            for c in (
                "customer_guid",
                "email",
                "report_id",
                "first_order_at",
                "last_order_at",
                "orders",
                *METRIC_COLUMNS[1:],
                "computed_at",
            )
        )
        conn.execute(
            "INSERT INTO customer_metrics (shop_id, customer_guid, email, report_id, "
            f"first_order_at, last_order_at, orders, computed_at, {names}) "
            "SELECT %(shop)s, s.customer_guid, s.email, %(report)s, s.first_order_at, "
            "s.last_order_at, s.orders, now(), "
            + ", ".join(f"x.{c}" for c in METRIC_COLUMNS)
            + " FROM scored_customers x JOIN customer_run_summaries s "
            "ON s.report_id = %(report)s AND s.customer_key = x.customer_key "
            f"ON CONFLICT (shop_id, customer_key) DO UPDATE SET {updates}",
            {"shop": shop_id, "report": report_id},
        )
        conn.execute(
            "DELETE FROM customer_metrics WHERE shop_id = %s AND report_id <> %s",
            (shop_id, report_id),
        )
        update_report(conn, report_id, report)


def update_report(conn: psycopg.Connection, report_id: int, values: dict[str, Any]) -> None:
    update_by_id(conn, "customer_model_reports", report_id, values)


def read_baskets(
    conn: psycopg.Connection, shop_id: int, since: datetime, until: datetime, beat: Beat
) -> tuple[Baskets, dict[str, str]]:
    """The shop's baskets as a sparse basket x item matrix (built as they stream) and the item
    names by code."""
    codes: dict[str, int] = {}
    # flat typed arrays, not an array per basket: ~4 bytes per line instead of ~110 per basket
    indices = array("i")
    lengths = array("q")
    with conn.cursor(name="customer_baskets") as cur:
        cur.execute(
            "SELECT array_agg(code ORDER BY code) FROM ("
            f"SELECT DISTINCT order_code, created_at, code FROM {ORDER_ITEMS} "
            "WHERE shop_id = %s AND item_type = 'product' AND code IS NOT NULL AND code <> '' "
            "AND created_at > %s AND created_at <= %s) lines GROUP BY order_code, created_at",
            (shop_id, since, until),
        )
        while rows := cur.fetchmany(FETCH_ROWS):
            for (basket,) in rows:
                indices.extend(codes.setdefault(c, len(codes)) for c in basket)
                lengths.append(len(basket))
            beat({"phase": "reading baskets", "baskets": len(lengths)})
    indptr = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(np.frombuffer(lengths, dtype=np.int64), out=indptr[1:])
    flat = np.frombuffer(indices, dtype=np.int32).copy()  # writable, as scipy may sort it
    matrix = sparse.csr_matrix(
        (np.ones(len(flat), dtype=np.int32), flat, indptr), shape=(len(lengths), len(codes))
    )
    items = pd.Index(list(codes))
    names = dict(
        conn.execute(
            "SELECT DISTINCT ON (code) code, name FROM "
            f"{ORDER_ITEMS} WHERE shop_id = %s AND item_type = 'product' AND code = ANY(%s) "
            "ORDER BY code, created_at DESC",
            (shop_id, list(codes)),
        ).fetchall()
    )
    return Baskets(matrix, items, pd.RangeIndex(len(lengths))), names


def store_rules(
    conn: psycopg.Connection, shop_id: int, report_id: int, rules: pd.DataFrame
) -> None:
    """Replace the shop's item rules (columns of CustomerItemRule) in one transaction."""
    with conn.transaction():
        conn.execute("DELETE FROM customer_item_rules WHERE shop_id = %s", (shop_id,))
        frame = rules.assign(shop_id=shop_id, report_id=report_id)[
            [
                "shop_id",
                "item_code",
                "suggestion_code",
                "suggestion_name",
                "count",
                "confidence",
                "lift",
                "rank",
                "report_id",
            ]
        ]
        copy_frame(conn, "customer_item_rules", frame)


# Sold product lines of purchases (not cancelled, not refunds) in (%(since)s, %(until)s]:
# code, the order's week in the shop's zone, units and unit price in the shop's currency.
SOLD_LINES: Final = (
    "SELECT i.code, date_trunc('week', i.created_at AT TIME ZONE %(tz)s) AS week, "
    "i.amount AS units, coalesce(i.unit_price_with_vat, i.price_with_vat / i.amount) "
    "* coalesce(o.exchange_rate, 1) AS price, i.name, i.product_guid "
    f"FROM {ORDER_ITEMS} i JOIN {ORDERS} o ON o.shop_id = i.shop_id AND o.code = i.order_code "
    "AND o.created_at = i.created_at WHERE i.shop_id = %(shop)s AND i.item_type = 'product' "
    "AND i.code IS NOT NULL AND i.code <> '' AND i.amount > 0 AND NOT o.cancelled "
    "AND o.total_with_vat >= 0 AND i.created_at > %(since)s AND i.created_at <= %(until)s"
)


@dataclass(frozen=True)
class ProductSales:
    """What the price sensitivity reads: weekly sales, sold units per price, product facts."""

    weekly: pd.DataFrame  # code, week, units, price (the week's mean unit price)
    by_price: pd.DataFrame  # code, price (to the cent), units
    products: pd.DataFrame  # indexed by code: name, category


def read_product_sales(
    conn: psycopg.Connection, shop_id: int, since: datetime, until: datetime, timezone: str
) -> ProductSales:
    """The shop's product sales in (since, until], aggregated in the database in one scan of the
    sold lines: GROUPING SETS give the weekly rows (with the name and product of each week's
    lines) and the units per price from the same pass; each product's name and product are
    those of its latest week, its category is looked up for those products only."""
    params = {"shop": shop_id, "since": since, "until": until, "tz": timezone}
    rows = conn.execute(
        "SELECT GROUPING(cents) = 0 AS by_price, code, week, cents::float8, sum(units)::float8, "
        "(sum(price * units) / sum(units))::float8, max(name), max(product_guid::text) "
        f"FROM (SELECT lines.*, round(price, 2) AS cents FROM ({SOLD_LINES}) lines) lines "
        "GROUP BY GROUPING SETS ((code, week), (code, cents)) ORDER BY 1, 2, 3",
        params,
    ).fetchall()
    frame = pd.DataFrame.from_records(
        rows,
        columns=["by_price", "code", "week", "cents", "units", "price", "name", "product_guid"],
    )
    is_price = frame["by_price"].astype(bool)
    weekly = frame.loc[~is_price, ["code", "week", "units", "price", "name", "product_guid"]]
    by_price = frame.loc[is_price, ["code", "cents", "units"]].rename(columns={"cents": "price"})
    latest = weekly.drop_duplicates("code", keep="last")  # sorted by code, week
    categories = conn.execute(
        "SELECT s.code, p.default_category FROM unnest(%(codes)s::text[], %(guids)s::uuid[]) "
        "AS s(code, guid) LEFT JOIN variants v ON v.shop_id = %(shop)s AND v.code = s.code "
        "LEFT JOIN products p ON p.shop_id = %(shop)s AND p.guid = coalesce(s.guid, v.product_guid)",
        {
            "shop": shop_id,
            "codes": latest["code"].tolist(),
            "guids": latest["product_guid"].tolist(),
        },
    ).fetchall()
    products = pd.DataFrame(
        {"code": latest["code"].to_numpy(), "name": latest["name"].to_numpy()}
    ).set_index("code")
    products["category"] = pd.Series(dict(categories), dtype=object)
    return ProductSales(
        weekly=weekly[["code", "week", "units", "price"]].reset_index(drop=True),
        by_price=by_price.reset_index(drop=True),
        products=products,
    )


def store_elasticities(
    conn: psycopg.Connection, shop_id: int, report_id: int, rows: pd.DataFrame
) -> None:
    """Replace the shop's product and category elasticities (ELASTICITY_COLUMNS) in one
    transaction."""
    with conn.transaction():
        conn.execute("DELETE FROM product_elasticities WHERE shop_id = %s", (shop_id,))
        frame = rows.reindex(columns=list(ELASTICITY_COLUMNS)).assign(
            shop_id=shop_id, report_id=report_id, computed_at=datetime.now(tz=UTC)
        )
        copy_frame(conn, "product_elasticities", frame)
