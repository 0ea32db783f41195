"""Customer analytics reads: segments, the at-risk list (keyset pages and a streamed CSV, by CLV
at risk or by expected profit), one customer with recommendations and their orders' margins,
the products' price sensitivity, the model's track record, and starting a run now."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import asdict
from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client

from api.common.params import Amount, ShortText
from api.csv_export import keyset_csv
from api.pagination import Cursor, Page, decode_cursor, encode_cursor, page_by_id
from api.problems import Problem
from api.services.shop_runs import StartedOut, start_shop_run
from db.app_settings import get_setting
from db.models import CustomerModelReport
from db.order_margins import COST_SETTINGS, COSTS_ROW_NAMED, order_lines
from db.tagged_cache import cached, shop_tag
from infra.temporal_client import connect
from workflows.customers import (
    RUN_KIND,
    CustomerAnalyticsRequest,
    CustomerAnalyticsWorkflow,
    Progress,
    workflow_id,
)

QUERY_TIMEOUT = 2.0
RECOMMENDATIONS = 5
SEGMENT_NAMES = {
    "champions": "Champions",
    "loyal": "Loyal",
    "potential_loyalists": "Potential loyalists",
    "new": "New",
    "promising": "Promising",
    "need_attention": "Need attention",
    "about_to_sleep": "About to sleep",
    "at_risk": "At risk",
    "cant_lose": "Can't lose",
    "hibernating": "Hibernating",
    "lost": "Lost",
}
CUSTOMER_COLUMNS = (
    "customer_key",
    "customer_guid",
    "email",
    "name",
    "segment",
    "orders",
    "first_order_at",
    "last_order_at",
    "total_value",
    "clv_12m",
    "clv_at_risk",
    "p_alive",
    "churn_risk",
    "expected_purchases_90d",
    "next_purchase_at",
    "r_score",
    "f_score",
    "m_score",
    "profit_total",
    "margin_rate",
    "clv_profit_12m",
    "discount_share",
    "price_buyer",
    "discount_advice",
)
# how the customers list is ordered: column expression (indexed with shop_id, customer_key)
SORTS = {"clv_at_risk": "m.clv_at_risk", "clv_profit": "coalesce(m.clv_profit_12m, 0)"}
_CUSTOMER_SELECT = (
    "SELECT m.customer_key, m.customer_guid::text AS customer_guid, "
    "coalesce(c.email, m.email) AS email, c.full_name AS name, m.segment, m.orders, "
    "m.first_order_at, m.last_order_at, m.total_value, m.clv_12m, m.clv_at_risk, m.p_alive, "
    "m.churn_risk, m.expected_purchases_90d, m.next_purchase_at, m.r_score, m.f_score, "
    "m.m_score, m.frequency, m.recency, m.t, m.monetary_value, m.computed_at, "
    "m.email AS email_key, m.profit_total, m.margin_rate, m.clv_profit_12m, "
    "m.discount_share, m.price_buyer, m.discount_advice, "
    "coalesce(m.clv_profit_12m, 0) AS clv_profit_sort "
    "FROM customer_metrics m LEFT JOIN customers c "
    "ON c.shop_id = m.shop_id AND c.guid = m.customer_guid "
)


class SegmentOut(BaseModel):
    segment: str
    name: str
    customers: int
    total_value: str | None
    clv_12m: str | None
    clv_at_risk: str | None
    avg_p_alive: float | None
    avg_churn_risk: float | None
    profit_total: str | None
    clv_profit_12m: str | None


class SegmentsOut(BaseModel):
    currency: str
    customers: int
    items: list[SegmentOut]


class CustomerOut(BaseModel):
    customer_key: str
    customer_guid: str | None
    email: str | None
    name: str | None
    segment: str
    orders: int
    first_order_at: datetime
    last_order_at: datetime
    total_value: str | None
    clv_12m: str | None
    clv_at_risk: str | None
    p_alive: float | None
    churn_risk: float | None
    expected_purchases_90d: float | None
    next_purchase_at: datetime | None
    r_score: int
    f_score: int
    m_score: int
    profit_total: str | None  # margin of the orders so far, refunds netted
    margin_rate: float | None  # share of spend that is profit (shrunk to the shop's)
    clv_profit_12m: str | None  # CLV as expected profit
    discount_share: float | None  # share of units bought at a discount
    price_buyer: str | None  # full_price | mixed | discount_only; None: too few units
    discount_advice: str | None  # offer | avoid; None: no advice


class RecommendationOut(BaseModel):
    code: str
    name: str | None
    score: float
    lift: float
    because: list[str]


class CustomerDetailOut(CustomerOut):
    frequency: float
    recency_weeks: float
    age_weeks: float
    monetary_value: str | None
    computed_at: datetime
    recommendations: list[RecommendationOut]


class OrderMarginOut(BaseModel):
    code: str
    created_at: datetime
    total_with_vat: str
    revenue_net: str  # without VAT, in the shop's currency
    goods_cost: str
    discounts: str
    margin: str
    refund: bool
    uncosted_lines: int  # goods lines without a purchase price (counted at cost 0)


class ElasticityOut(BaseModel):
    scope: str  # product | category
    key: str
    name: str | None
    category: str | None
    status: str  # estimated | unknown
    # why unknown: few_weeks | price_never_moved | one_price_level | small_price_spread |
    # moved_with_shop | no_product_moved (activities/customers/prices.py, UNKNOWN_REASONS)
    reason: str | None
    elasticity: float | None
    ci_low: float | None
    ci_high: float | None
    weeks: int
    price_levels: int
    price_spread: float
    units: float
    reference_price: str | None
    computed_at: datetime


class ModelReportOut(BaseModel):
    id: int
    status: str
    message: str | None
    trigger: str
    started_at: datetime
    finished_at: datetime | None
    observation_end: datetime
    calibration_end: datetime
    holdout_periods: int
    data_from: datetime | None
    data_to: datetime | None
    customers: int
    repeat_buyers: int
    orders: int
    orders_without_customer: int
    chosen_model: str | None
    params: dict[str, Any]
    holdout_mae: float | None
    baseline_mae: float | None
    beats_baseline: bool | None
    auc_p_alive: float | None
    predicted_purchases: float | None
    actual_purchases: float | None
    baseline_predicted_purchases: float | None
    item_rules: int
    bundles: list[Any]
    seconds: dict[str, Any]
    models: list[dict[str, Any]]
    by_frequency: list[dict[str, Any]]


class ProgressOut(BaseModel):
    phase: str
    customers_processed: int
    customers_total: int | None
    report_id: int | None
    message: str | None


class AnalysisOut(BaseModel):
    workflow_id: str
    report: ModelReportOut | None
    progress: ProgressOut | None


def check_segment(segment: str | None) -> str:
    if segment is not None and segment not in SEGMENT_NAMES:
        raise Problem(
            422,
            "Unknown segment",
            f"segment must be one of {', '.join(SEGMENT_NAMES)}, not {segment!r}",
        )
    return "AND m.segment = :segment " if segment else ""


async def currency(session: AsyncSession, shop_id: int) -> str:
    row = (
        await session.execute(
            text(
                "SELECT currency FROM orders WHERE shop_id = :shop ORDER BY created_at DESC LIMIT 1"
            ),
            {"shop": shop_id},
        )
    ).first()
    return row[0] if row else "CZK"


async def segments(session: AsyncSession, shop_id: int) -> SegmentsOut:
    """Size and value of every segment (all eleven, empty ones with zeros); cached until the
    next analysis run stores new metrics (it invalidates the shop's `customer-metrics` tag)."""
    return await cached(
        f"segments:{shop_id}",
        [shop_tag(shop_id, "customer-metrics")],
        lambda: _segments(session, shop_id),
        kind="segments",
        dump=lambda value: value.model_dump(mode="json"),
        restore=SegmentsOut.model_validate,
    )


async def _segments(session: AsyncSession, shop_id: int) -> SegmentsOut:
    rows = await session.execute(
        text(
            "SELECT segment, count(*), sum(total_value), sum(clv_12m), sum(clv_at_risk), "
            "avg(p_alive), avg(churn_risk), sum(profit_total), sum(clv_profit_12m) "
            "FROM customer_metrics WHERE shop_id = :shop GROUP BY segment"
        ),
        {"shop": shop_id},
    )
    found = {r[0]: r for r in rows}
    items: list[SegmentOut] = []
    for key, name in SEGMENT_NAMES.items():
        _, count, total, clv, at_risk, alive, churn, profit, clv_profit = found.get(
            key, (key, 0, 0, None, 0, None, None, None, None)
        )
        items.append(
            SegmentOut(
                segment=key,
                name=name,
                customers=int(count),
                total_value=_money(total),
                clv_12m=_money(clv),
                clv_at_risk=_money(at_risk),
                avg_p_alive=None if alive is None else float(alive),
                avg_churn_risk=None if churn is None else float(churn),
                profit_total=_money(profit),
                clv_profit_12m=_money(clv_profit),
            )
        )
    return SegmentsOut(
        currency=await currency(session, shop_id),
        customers=sum(i.customers for i in items),
        items=items,
    )


class AtRiskCursor(Cursor):
    v: Amount  # the last row's CLV at risk
    k: ShortText  # and its customer key


def check_sort(sort: str) -> str:
    if sort not in SORTS:
        raise Problem(422, "Unknown sort", f"sort must be one of {', '.join(SORTS)}, not {sort!r}")
    return SORTS[sort]


async def at_risk_page(
    session: AsyncSession,
    shop_id: int,
    segment: str | None,
    min_churn_risk: float,
    cursor: str | None,
    limit: int,
    sort: str = "clv_at_risk",
) -> Page[CustomerOut]:
    """Customers by CLV at risk (or by CLV as expected profit), largest first; keyset on
    (that value, customer_key)."""
    order = check_sort(sort)
    where = check_segment(segment)
    params: dict[str, Any] = {
        "shop": shop_id,
        "segment": segment,
        "risk": min_churn_risk,
        "limit": limit + 1,
    }
    after = decode_cursor(cursor, AtRiskCursor)
    if after:
        params["after_value"], params["after_key"] = after.v, after.k
        where += f"AND ({order}, m.customer_key) < (:after_value, :after_key) "
    rows = (
        (
            await session.execute(
                text(
                    _CUSTOMER_SELECT
                    + "WHERE m.shop_id = :shop AND coalesce(m.churn_risk, 1) >= :risk "
                    + where
                    + f"ORDER BY {order} DESC, m.customer_key DESC LIMIT :limit"
                ),
                params,
            )
        )
        .mappings()
        .all()
    )
    items = [_customer_view(r) for r in rows[:limit]]
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1]
        value = last["clv_at_risk"] if sort == "clv_at_risk" else last["clv_profit_sort"]
        next_cursor = encode_cursor({"v": str(value), "k": last["customer_key"]})
    return Page[CustomerOut](items=items, next_cursor=next_cursor)


def at_risk_csv(
    shop_id: int, segment: str | None, min_churn_risk: float, sort: str = "clv_at_risk"
) -> AsyncIterator[str]:
    """The whole at-risk list as CSV, page by page by keyset."""
    check_segment(segment)
    check_sort(sort)
    return keyset_csv(
        CUSTOMER_COLUMNS,
        lambda session, cursor, limit: at_risk_page(
            session, shop_id, segment, min_churn_risk, cursor, limit, sort
        ),
    )


async def customer_detail(session: AsyncSession, shop_id: int, key: str) -> CustomerDetailOut:
    """One analysed customer by key; an e-mail (any case, stray spaces) also finds the guest
    keyed by it or the registered customer whose guest orders it merged."""
    row = await _customer_row(session, shop_id, "m.customer_key = :key", key)
    if row is None and "@" in key:  # one row at most: a merged e-mail has no guest of its own
        row = await _customer_row(session, shop_id, "m.email = lower(btrim(:key)) LIMIT 1", key)
    if row is None:
        raise Problem(
            404,
            "Customer not found",
            f"No analysed customer {key!r} in this shop; customers appear after the nightly "
            "customer analytics has run.",
        )
    return CustomerDetailOut(
        **_customer_view(row).model_dump(),
        frequency=row["frequency"],
        recency_weeks=row["recency"],
        age_weeks=row["t"],
        monetary_value=_money(row["monetary_value"]),
        computed_at=row["computed_at"],
        recommendations=await recommendations(session, shop_id, row),
    )


async def _customer_row(session: AsyncSession, shop_id: int, where: str, key: str) -> Any:
    result = await session.execute(
        text(_CUSTOMER_SELECT + f"WHERE m.shop_id = :shop AND {where}"),
        {"shop": shop_id, "key": key},
    )
    return result.mappings().first()


async def recommendations(
    session: AsyncSession, shop_id: int, customer: Any
) -> list[RecommendationOut]:
    """Products to offer: the shop's stored item rules from what the customer bought, scored by
    the sum of confidences, leaving out everything they already bought. The customer's orders
    are the analysis's: their GUID's, and guest orders with their e-mail key (a guest's own, or
    the one merged into a registered customer)."""
    rows = await session.execute(
        text(
            "WITH orders AS (SELECT code, created_at FROM orders_all o WHERE o.shop_id = :shop "
            "AND NOT o.cancelled AND o.customer_guid = CAST(:guid AS uuid) "
            "UNION ALL SELECT code, created_at FROM orders_all o WHERE o.shop_id = :shop "
            "AND NOT o.cancelled AND o.customer_guid IS NULL AND lower(btrim(o.email)) = :email), "
            "bought AS (SELECT DISTINCT i.code FROM orders o JOIN order_items_all i "
            "ON i.shop_id = :shop AND i.order_code = o.code AND i.created_at = o.created_at "
            "WHERE i.code IS NOT NULL) "
            "SELECT r.suggestion_code, max(r.suggestion_name), sum(r.confidence), max(r.lift), "
            "array_agg(r.item_code ORDER BY r.confidence DESC) FROM customer_item_rules r "
            "WHERE r.shop_id = :shop AND r.item_code IN (SELECT code FROM bought) "
            "AND r.suggestion_code NOT IN (SELECT code FROM bought) "
            "GROUP BY r.suggestion_code ORDER BY 3 DESC, 1 LIMIT :top"
        ),
        {
            "shop": shop_id,
            "guid": customer["customer_guid"],
            "email": customer["email_key"],
            "top": RECOMMENDATIONS,
        },
    )
    return [
        RecommendationOut(
            code=code, name=name, score=float(score), lift=float(lift), because=list(because)
        )
        for code, name, score, lift, because in rows
    ]


class OrderCursor(Cursor):
    t: datetime  # the last row's creation time
    c: ShortText  # and its code


# The orders of one analysed customer (their GUID's and the guest orders with their e-mail key),
# as the analysis counts them: not cancelled.
_CUSTOMER_ORDERS = (
    "SELECT o.code, o.created_at, o.total_with_vat, o.exchange_rate FROM orders_all o "
    "WHERE o.shop_id = :shop AND NOT o.cancelled AND (o.customer_guid = CAST(:guid AS uuid) "
    "OR (o.customer_guid IS NULL AND lower(btrim(o.email)) = :email))"
)


async def customer_orders(
    session: AsyncSession, shop_id: int, key: str, cursor: str | None, limit: int
) -> Page[OrderMarginOut]:
    """One analysed customer's orders with what each earned, newest first; the margin is the
    nightly analysis's own definition (db/order_margins.py) with the shop's cost model now."""
    row = await _customer_row(session, shop_id, "m.customer_key = :key", key)
    if row is None:
        raise Problem(404, "Customer not found", f"No analysed customer {key!r} in this shop.")
    costs = {
        name: float(await get_setting(session, f"analytics.customers.{name}", shop_id))
        for name in COST_SETTINGS
    }
    params: dict[str, Any] = {
        "shop": shop_id,
        "guid": row["customer_guid"],
        "email": row["email_key"],
        "limit": limit + 1,
        **costs,
    }
    after = decode_cursor(cursor, OrderCursor)
    where = ""
    if after:
        params["after_at"], params["after_code"] = after.t, after.c
        where = "WHERE (o.created_at, o.code) < (:after_at, :after_code) "
    rows = (
        await session.execute(
            text(
                f"SELECT o.code, o.created_at, o.total_with_vat, margins.revenue_net, "
                "margins.goods_cost, margins.discounts, margins.margin, margins.uncosted "
                f"FROM ({_CUSTOMER_ORDERS}) o CROSS JOIN {COSTS_ROW_NAMED} "
                f"CROSS JOIN {order_lines('o', ':shop', 'costs')} {where}"
                "ORDER BY o.created_at DESC, o.code DESC LIMIT :limit"
            ),
            params,
        )
    ).all()
    items = [
        OrderMarginOut(
            code=code,
            created_at=created_at,
            total_with_vat=_money(total) or "0.00",
            revenue_net=_money(revenue) or "0.00",
            goods_cost=_money(cost) or "0.00",
            discounts=_money(discounts) or "0.00",
            margin=_money(margin) or "0.00",
            refund=total < 0,
            uncosted_lines=int(uncosted),
        )
        for code, created_at, total, revenue, cost, discounts, margin, uncosted in rows[:limit]
    ]
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1]
        next_cursor = encode_cursor({"t": last[1].isoformat(), "c": last[0]})
    return Page[OrderMarginOut](items=items, next_cursor=next_cursor)


class ElasticityCursor(Cursor):
    s: ShortText  # the last row's scope
    k: ShortText  # and key


async def elasticities_page(
    session: AsyncSession,
    shop_id: int,
    scope: str | None,
    status: str | None,
    cursor: str | None,
    limit: int,
) -> Page[ElasticityOut]:
    """The products' and categories' price sensitivity by (scope, key); estimated ones or the
    unknown ones with their reasons."""
    if scope not in (None, "product", "category"):
        raise Problem(422, "Unknown scope", f"scope must be product or category, not {scope!r}")
    if status not in (None, "estimated", "unknown"):
        raise Problem(422, "Unknown status", f"status must be estimated or unknown, not {status!r}")
    params: dict[str, Any] = {"shop": shop_id, "scope": scope, "status": status, "limit": limit + 1}
    where = ""
    after = decode_cursor(cursor, ElasticityCursor)
    if after:
        params["after_scope"], params["after_key"] = after.s, after.k
        where = "AND (scope, key) > (:after_scope, :after_key) "
    rows = (
        (
            await session.execute(
                text(
                    "SELECT scope, key, name, category, status, reason, elasticity, ci_low, "
                    "ci_high, weeks, price_levels, price_spread, units, reference_price, "
                    "computed_at FROM product_elasticities WHERE shop_id = :shop "
                    "AND (CAST(:scope AS text) IS NULL OR scope = :scope) "
                    "AND (CAST(:status AS text) IS NULL OR status = :status) "
                    f"{where}ORDER BY scope, key LIMIT :limit"
                ),
                params,
            )
        )
        .mappings()
        .all()
    )
    items = [
        ElasticityOut.model_validate({**r, "reference_price": _money(r["reference_price"])})
        for r in rows[:limit]
    ]
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1]
        next_cursor = encode_cursor({"s": last["scope"], "k": last["key"]})
    return Page[ElasticityOut](items=items, next_cursor=next_cursor)


async def reports_page(
    session: AsyncSession, shop_id: int, cursor: str | None, limit: int
) -> Page[ModelReportOut]:
    """The model's track record: one report per run, newest first."""
    query = select(CustomerModelReport).where(CustomerModelReport.shop_id == shop_id)
    return await page_by_id(session, query, CustomerModelReport.id, cursor, limit, _report_view)


async def analysis_state(session: AsyncSession, shop_id: int) -> AnalysisOut:
    """The latest run's report, with the workflow's live progress while it runs (Temporal is
    asked only then, so the page still shows the stored state when Temporal is down)."""
    row = (
        await session.execute(
            select(CustomerModelReport)
            .where(CustomerModelReport.shop_id == shop_id)
            .order_by(CustomerModelReport.id.desc())
            .limit(1)
        )
    ).scalar_one_or_none()
    state = AnalysisOut(
        workflow_id=workflow_id(shop_id),
        report=None if row is None else _report_view(row),
        progress=None,
    )
    if row is not None and row.status == "running":
        try:
            client = await connect()
            progress: Progress = await asyncio.wait_for(
                client.get_workflow_handle(workflow_id(shop_id)).query(
                    CustomerAnalyticsWorkflow.progress
                ),
                QUERY_TIMEOUT,
            )
        except Exception:  # no worker right now, or closed: the report row is the truth
            return state
        state.progress = ProgressOut(**asdict(progress))
    return state


async def start_analysis(client: Client, shop_id: int) -> StartedOut:
    """Start the shop's run now; a run already going is returned instead of a second one."""
    return await start_shop_run(
        client,
        CustomerAnalyticsWorkflow.run,
        CustomerAnalyticsRequest(shop_id, "manual"),
        workflow_id=workflow_id(shop_id),
        run_kind=RUN_KIND,
        shop_id=shop_id,
        what="the analysis",
    )


def _customer_view(row: Any) -> CustomerOut:
    return CustomerOut.model_validate(
        {
            "customer_key": row["customer_key"],
            "customer_guid": row["customer_guid"],
            "email": row["email"],
            "name": row["name"],
            "segment": row["segment"],
            "orders": row["orders"],
            "first_order_at": row["first_order_at"],
            "last_order_at": row["last_order_at"],
            "total_value": _money(row["total_value"]),
            "clv_12m": _money(row["clv_12m"]),
            "clv_at_risk": _money(row["clv_at_risk"]),
            "p_alive": row["p_alive"],
            "churn_risk": row["churn_risk"],
            "expected_purchases_90d": row["expected_purchases_90d"],
            "next_purchase_at": row["next_purchase_at"],
            "r_score": row["r_score"],
            "f_score": row["f_score"],
            "m_score": row["m_score"],
            "profit_total": _money(row["profit_total"]),
            "margin_rate": row["margin_rate"],
            "clv_profit_12m": _money(row["clv_profit_12m"]),
            "discount_share": row["discount_share"],
            "price_buyer": row["price_buyer"],
            "discount_advice": row["discount_advice"],
        }
    )


def _report_view(report: CustomerModelReport) -> ModelReportOut:
    fields = (
        "id",
        "status",
        "message",
        "trigger",
        "started_at",
        "finished_at",
        "observation_end",
        "calibration_end",
        "holdout_periods",
        "data_from",
        "data_to",
        "customers",
        "repeat_buyers",
        "orders",
        "orders_without_customer",
        "chosen_model",
        "params",
        "holdout_mae",
        "baseline_mae",
        "beats_baseline",
        "auc_p_alive",
        "predicted_purchases",
        "actual_purchases",
        "baseline_predicted_purchases",
        "item_rules",
        "bundles",
        "seconds",
    )
    view = {f: getattr(report, f) for f in fields}
    holdout = report.holdout or {}
    view["models"] = [
        {
            k: r.get(k)
            for k in (
                "model",
                "mae",
                "baseline_mae",
                "auc_p_alive",
                "predicted_purchases",
                "actual_purchases",
                "converged",
            )
        }
        for r in holdout.get("reports", [])
    ]
    chosen = next(
        (r for r in holdout.get("reports", []) if r.get("model") == report.chosen_model), None
    )
    view["by_frequency"] = chosen.get("by_frequency", []) if chosen else []
    return ModelReportOut(**view)


def _money(value: Any) -> str | None:
    if value is None:
        return None
    return str(Decimal(value).quantize(Decimal("0.01")))
