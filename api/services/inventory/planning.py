"""Inventory planning reads: purchase recommendations (keyset pages and a streamed CSV), one
variant's forecast with its sales history, anomalies, forecast accuracy, the run's state and
starting a run now. Every query is scoped to the shop the route resolved for the caller."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import asdict
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client, WorkflowExecutionStatus

from api.csv_export import keyset_csv
from api.pagination import (
    CodeCursor,
    Page,
    cursor_id,
    decode_cursor,
    encode_cursor,
    id_keyset,
    next_id_cursor,
    page_by_id,
)
from api.problems import Problem
from api.services.shop_runs import StartedOut, start_shop_run
from db.models import InventoryRun, Shop
from db.models.inventory import ANOMALY_COLUMNS, RECOMMENDATION_COLUMNS
from db.tagged_cache import cached_trailing, invalidate, shop_tag
from infra.temporal_client import connect
from workflows.inventory import (
    RUN_KIND,
    InventoryRequest,
    InventoryWorkflow,
    Progress,
    workflow_id,
)

QUERY_TIMEOUT = 2.0
SEVERITIES = ("low", "medium", "high")
ANOMALY_KINDS = (
    "sales_spike",
    "sales_drop",
    "drop_without_sales",
    "drop_beyond_sales",
    "jump",
    "late_purchase_order",
)
RUN_COLUMNS = (
    "id",
    "status",
    "message",
    "trigger",
    "started_at",
    "finished_at",
    "as_of",
    "history_from",
    "horizon_days",
    "currency",
    "variants_total",
    "variants_forecast",
    "stock_rows",
    "recommendations",
    "recommended_cost",
    "anomalies_new",
    "notifications",
    "mase",
    "naive_mase",
    "relative_mase",
    "beats_naive_share",
    "models",
    "patterns",
    "plan",
    "seconds",
)
ACCURACY_COLUMNS = (
    "variant_code",
    "variant_name",
    "pattern",
    "model",
    "season_length",
    "n_observed",
    "n_censored",
    "mase",
    "naive_mase",
    "relative_mae",
    "backtest_mae",
    "naive_mae",
    "mean_demand",
    "safety_stock",
    "reorder_point",
    "on_hand",
    "eoq",
    "order_by",
    "mase_without_regressors",
    "mase_with_regressors",
    "regressor_gain",
    "regressors_used",
)


class RecommendationOut(BaseModel):
    id: int
    variant_code: str
    variant_name: str | None
    supplier_id: int | None
    supplier_name: str | None
    quantity: Decimal
    packs: int | None
    unit_price: Decimal | None
    purchase_cost: Decimal | None
    order_cost: Decimal | None  # the line's share of the supplier's and the shop's order costs
    risk_cost: Decimal | None
    expected_cost: Decimal | None
    currency: str
    order_by: date
    lead_time_days: float | None
    on_hand: Decimal | None
    reorder_point: float | None
    note: str | None
    # supplier risk: the chosen offer's learnt on-time rate and lead-time spread; the variant's
    # primary supplier and, when it is late (late: poor on-time rate, overdue: an open order
    # past its day), out of stock or over budget, the alternative proposed (the line's own
    # supplier when the plan switched; `cheaper`: switched for landed cost and risk alone)
    on_time_rate: float | None = None
    lead_time_sd_days: float | None = None
    primary_supplier_name: str | None = None
    alternative_supplier_id: int | None = None
    alternative_supplier_name: str | None = None
    alternative_reason: str | None = None
    on_order: Decimal = Decimal(0)  # the variant's units on open purchase orders, now
    purchase_order_id: int | None = None  # the open purchase order this line is on


class HistoryPoint(BaseModel):
    day: date
    sales: float
    stock: float | None
    censored: bool  # opened or closed sold out: sales are a floor, not the demand


class ForecastPoint(BaseModel):
    day: date
    mean: float
    lo: float  # 80 % interval
    hi: float
    naive: float | None


class VariantAccuracyOut(BaseModel):
    variant_code: str
    variant_name: str | None = None
    pattern: str | None
    model: str
    season_length: int
    n_observed: int
    n_censored: int
    mase: float | None
    naive_mase: float | None
    relative_mae: float | None
    backtest_mae: float | None
    naive_mae: float | None
    mean_demand: float
    safety_stock: float
    reorder_point: float
    on_hand: Decimal | None
    eoq: float | None
    order_by: date | None
    # backtest MASE without and with the external regressors (promotions, weather) and the
    # gain 1 - with / without; the forecast uses them only where the gain is >= 2 %
    mase_without_regressors: float | None = None
    mase_with_regressors: float | None = None
    regressor_gain: float | None = None
    regressors_used: str | None = None  # the regressor groups kept, e.g. "weather,promotion"


class ForecastOut(BaseModel):
    variant_code: str
    variant_name: str | None
    as_of: date
    history: list[HistoryPoint]
    forecast: list[ForecastPoint]
    # the first forecast day on which on hand less the forecast demand reaches zero (no arrivals)
    stockout_day: date | None = None
    metrics: VariantAccuracyOut


class OverallAccuracyOut(BaseModel):
    run_id: int
    variants: int
    mase: float | None
    naive_mase: float | None
    relative_mase: float | None  # mean MASE of the models / mean MASE of seasonal naive
    beats_naive_share: float | None
    models: dict[str, int]


class AccuracyPage(Page[VariantAccuracyOut]):
    overall: OverallAccuracyOut | None


class CauseOut(BaseModel):
    dimension: str  # channel | region | price | promotion | customer | stock_out
    value: str
    explained: float  # share of the deviation from the forecast it accounts for
    surprise: float  # how unlike the usual mix (Jensen–Shannon divergence)
    actual: float
    expected: float
    sentence: str
    sentence_cs: str


class AnomalyOut(BaseModel):
    id: int
    variant_code: str
    variant_name: str | None
    day: date
    kind: str
    severity: str
    score: float
    sales: float | None
    expected: float | None
    lo: float | None
    hi: float | None
    stock_change: float | None
    unexplained: float | None
    # late_purchase_order: the order expected after the stock-out (`day`), the shop-local day it
    # is expected, and the units a bridging order must bring (`expected`: the order's units)
    purchase_order_id: int | None
    arrives_on: date | None
    bridge_quantity: float | None
    # sales anomalies: what explains them, ranked (inventory.root_causes)
    causes: list[CauseOut] | None = None
    detected_at: datetime
    notified_at: datetime | None


class RunOut(BaseModel):
    id: int
    status: str
    message: str | None
    trigger: str
    started_at: datetime
    finished_at: datetime | None
    as_of: date
    history_from: date
    horizon_days: int
    currency: str
    variants_total: int
    variants_forecast: int
    stock_rows: int
    recommendations: int
    recommended_cost: Decimal | None
    anomalies_new: int
    notifications: int
    mase: float | None
    naive_mase: float | None
    relative_mase: float | None
    beats_naive_share: float | None
    models: dict[str, Any]
    patterns: dict[str, Any]
    plan: dict[str, Any]
    seconds: dict[str, Any]


class ProgressOut(BaseModel):
    phase: str
    variants_done: int
    variants_total: int | None
    run_id: int | None
    message: str | None


class StateOut(BaseModel):
    workflow_id: str
    run: RunOut | None  # the latest run's report (the previous one while a new run starts)
    running: bool
    progress: ProgressOut | None


async def _recommendation_rows(
    session: AsyncSession,
    shop_id: int,
    supplier_id: int | None,
    cursor: str | None,
    limit: int,
) -> Page[RecommendationOut]:
    """Purchases to make, soonest order-by date first (the order the run stored them in)."""
    where, params = "", {"shop": shop_id, "limit": limit + 1, "supplier": supplier_id}
    after = cursor_id(cursor)
    if after is not None:
        where += "AND r.id > :after "
        params["after"] = after
    if supplier_id is not None:
        where += "AND r.supplier_id = :supplier "
    # with each line, the variant's units on open purchase orders now, and the open order the
    # line itself is on (a page's worth of index lookups on the outstanding lines)
    rows = (
        (
            await session.execute(
                text(
                    "SELECT r.*, coalesce(o.units, 0) AS on_order, po.id AS purchase_order_id "
                    "FROM inventory_recommendations r LEFT JOIN LATERAL (SELECT "
                    "sum(l.quantity - l.received_quantity) AS units FROM purchase_order_lines l "
                    "JOIN purchase_orders p ON p.id = l.purchase_order_id AND p.status = 'open' "
                    "WHERE l.shop_id = r.shop_id AND l.variant_code = r.variant_code "
                    "AND l.received_quantity < l.quantity) o ON true LEFT JOIN LATERAL (SELECT "
                    "p.id FROM purchase_order_lines l JOIN purchase_orders p ON p.id = "
                    "l.purchase_order_id AND p.status = 'open' WHERE l.recommendation_id = r.id "
                    "AND l.shop_id = r.shop_id LIMIT 1) po ON true WHERE r.shop_id = :shop "
                    + where
                    + "ORDER BY r.id LIMIT :limit"
                ),
                params,
            )
        )
        .mappings()
        .all()
    )
    extra = ("id", *RECOMMENDATION_COLUMNS, "on_order", "purchase_order_id")
    return Page[RecommendationOut](
        items=[RecommendationOut.model_validate({c: r[c] for c in extra}) for r in rows[:limit]],
        next_cursor=next_id_cursor(rows, limit),
    )


async def recommendations_page(
    session: AsyncSession,
    shop_id: int,
    supplier_id: int | None,
    cursor: str | None,
    limit: int,
) -> Page[RecommendationOut]:
    """Purchases to make, soonest order-by date first (the order the run stored them in)."""
    return await _recommendation_rows(session, shop_id, supplier_id, cursor, limit)


def recommendations_csv(shop_id: int, supplier_id: int | None) -> AsyncIterator[str]:
    """Every recommendation as CSV, page by page by keyset."""
    return keyset_csv(
        RECOMMENDATION_COLUMNS,
        lambda session, cursor, limit: _recommendation_rows(
            session, shop_id, supplier_id, cursor, limit
        ),
    )


def check_filters(severity: str | None, kind: str | None) -> None:
    if severity is not None and severity not in SEVERITIES:
        raise Problem(
            422,
            "Unknown severity",
            f"severity must be one of {', '.join(SEVERITIES)}, not {severity!r}",
        )
    if kind is not None and kind not in ANOMALY_KINDS:
        raise Problem(
            422,
            "Unknown anomaly kind",
            f"kind must be one of {', '.join(ANOMALY_KINDS)}, not {kind!r}",
        )


async def anomalies_page(
    session: AsyncSession,
    shop_id: int,
    severity: str | None,
    kind: str | None,
    cursor: str | None,
    limit: int,
) -> Page[AnomalyOut]:
    """Anomalies, newest found first (keyset on id)."""
    check_filters(severity, kind)
    page = id_keyset("a.id", cursor, limit, {"a.severity": severity, "a.kind": kind})
    rows = (
        (
            await session.execute(
                text(
                    "SELECT a.*, v.name AS variant_name FROM inventory_anomalies a "
                    "LEFT JOIN variants v ON v.shop_id = a.shop_id AND v.code = a.variant_code "
                    "WHERE a.shop_id = :shop " + page.where + "ORDER BY a.id DESC LIMIT :limit"
                ),
                {"shop": shop_id, **page.params},
            )
        )
        .mappings()
        .all()
    )
    fields = ("id", "variant_name", *ANOMALY_COLUMNS, "causes", "detected_at", "notified_at")
    shown, next_cursor = page.split(rows)
    return Page[AnomalyOut].model_validate(
        {"items": [{f: r[f] for f in fields} for r in shown], "next_cursor": next_cursor}
    )


async def accuracy_page(
    session: AsyncSession, shop_id: int, cursor: str | None, limit: int
) -> AccuracyPage:
    """Per variant: demand class, chosen model and its backtest MASE against seasonal naive,
    with the stock policy it implies; keyset on the variant code. The overall figures are the
    latest run's."""
    params: dict[str, Any] = {"shop": shop_id, "limit": limit + 1}
    where = ""
    after = decode_cursor(cursor, CodeCursor)
    if after is not None:
        where = "AND m.variant_code > :after "
        params["after"] = after.code
    rows = (
        (
            await session.execute(
                text(
                    "SELECT m.*, v.name AS variant_name FROM inventory_variant_metrics m "
                    "LEFT JOIN variants v ON v.shop_id = m.shop_id AND v.code = m.variant_code "
                    "WHERE m.shop_id = :shop " + where + "ORDER BY m.variant_code LIMIT :limit"
                ),
                params,
            )
        )
        .mappings()
        .all()
    )
    items = [{c: r[c] for c in ACCURACY_COLUMNS} for r in rows[:limit]]
    next_cursor = (
        encode_cursor({"code": rows[limit - 1]["variant_code"]}) if len(rows) > limit else None
    )
    overall = await _latest_run(session, shop_id, completed=True)
    return AccuracyPage.model_validate(
        {
            "items": items,
            "next_cursor": next_cursor,
            "overall": None
            if overall is None
            else {
                k: getattr(overall, k)
                for k in ("mase", "naive_mase", "relative_mase", "beats_naive_share", "models")
            }
            | {"run_id": overall.id, "variants": overall.variants_forecast},
        }
    )


async def forecast(session: AsyncSession, shop: Shop, code: str, history_days: int) -> ForecastOut:
    """One variant's stored forecast (mean and 80 % interval per day) with its recent daily
    sales; days that opened or closed sold out are marked censored (their sales are a floor)."""
    metrics = (
        (
            await session.execute(
                text(
                    "SELECT m.*, v.name AS variant_name, r.as_of FROM inventory_variant_metrics m "
                    "JOIN inventory_runs r ON r.id = m.run_id "
                    "LEFT JOIN variants v ON v.shop_id = m.shop_id AND v.code = m.variant_code "
                    "WHERE m.shop_id = :shop AND m.variant_code = :code"
                ),
                {"shop": shop.id, "code": code},
            )
        )
        .mappings()
        .first()
    )
    if metrics is None:
        raise Problem(
            404,
            "Forecast not found",
            f"No forecast for variant {code!r} in this shop; variants get one when the nightly "
            "inventory planning has run and they have sales or stock history.",
        )
    points = await session.execute(
        text(
            "SELECT day, mean, lo, hi, naive FROM inventory_forecasts "
            "WHERE shop_id = :shop AND variant_code = :code ORDER BY day"
        ),
        {"shop": shop.id, "code": code},
    )
    as_of: date = metrics["as_of"]
    history = await sales_history(session, shop, code, as_of - timedelta(history_days - 1), as_of)
    forecast_points = [ForecastPoint.model_validate(dict(r)) for r in points.mappings()]
    return ForecastOut(
        variant_code=code,
        variant_name=metrics["variant_name"],
        as_of=as_of,
        history=history,
        forecast=forecast_points,
        stockout_day=stockout_day(metrics["on_hand"], forecast_points),
        metrics=VariantAccuracyOut.model_validate(
            {c: metrics[c] for c in ACCURACY_COLUMNS if c not in ("variant_name",)}
        ),
    )


def stockout_day(on_hand: Decimal | float | None, points: list[ForecastPoint]) -> date | None:
    """The first forecast day on which the shelf's stock, less the forecast demand up to and
    including that day, reaches zero: when the variant runs out if nothing new arrives. None
    when the stock is unknown or lasts past the horizon."""
    if on_hand is None:
        return None
    left = float(on_hand)
    if left <= 0:
        return points[0].day if points else None
    for point in points:
        left -= point.mean
        if left <= 0:
            return point.day
    return None


async def sales_history(
    session: AsyncSession, shop: Shop, code: str, first: date, last: date
) -> list[HistoryPoint]:
    """Units sold per shop-local day in [first, last] and the end-of-day stock carried over
    days without a stock row (summed in SQL, as the workflow reads them)."""
    tz = ZoneInfo(shop.timezone)
    rows = await session.execute(
        text(
            "WITH days AS (SELECT d::date AS day FROM generate_series(CAST(:first AS date) - 1, "
            "CAST(:last AS date), interval '1 day') d), "
            "sold AS (SELECT (i.created_at AT TIME ZONE :tz)::date AS day, "
            "greatest(sum(i.amount), 0) AS units FROM order_items_all i "
            "WHERE i.shop_id = :shop AND i.code = :code AND i.item_type = 'product' "
            "AND i.created_at >= :start AND i.created_at < :end AND NOT EXISTS (SELECT 1 FROM "
            "orders_all o WHERE o.shop_id = i.shop_id AND o.code = i.order_code "
            "AND o.created_at = i.created_at AND o.cancelled) GROUP BY 1), "
            "stock AS (SELECT d.day, (SELECT h.stock FROM stock_history h WHERE h.shop_id = :shop "
            "AND h.variant_code = :code AND h.day <= d.day ORDER BY h.day DESC LIMIT 1) AS closing "
            "FROM days d) "
            "SELECT d.day, coalesce(s.units, 0) AS units, st.closing, "
            "lag(st.closing) OVER (ORDER BY d.day) AS opening FROM days d "
            "LEFT JOIN sold s ON s.day = d.day JOIN stock st ON st.day = d.day ORDER BY d.day"
        ),
        {
            "shop": shop.id,
            "code": code,
            "tz": shop.timezone,
            "first": first,
            "last": last,
            "start": datetime.combine(first, time(), tz),
            "end": datetime.combine(last + timedelta(days=1), time(), tz),
        },
    )
    return [
        HistoryPoint(
            day=day,
            sales=float(units),
            stock=None if closing is None else float(closing),
            censored=any(s is not None and s <= 0 for s in (closing, opening)),
        )
        for day, units, closing, opening in rows
        if day >= first
    ]


class _Live(BaseModel):
    """What Temporal says of the shop's workflow; `running` None when it did not answer."""

    running: bool | None
    progress: ProgressOut | None


def _live_tag(shop_id: int) -> str:
    return shop_tag(shop_id, "inventory-run")


async def _live(shop_id: int) -> _Live:
    """Temporal's answer, shared by every poller for a second (kind `progress`): a page open in
    fifty tabs asks Temporal once a second, and a slow answer is not waited for past
    CACHE_REFRESH_WAIT_MS while a previous one is at hand. Starting a run moves the tag."""

    async def load() -> _Live:
        try:
            client = await asyncio.wait_for(connect(), QUERY_TIMEOUT)
            handle = client.get_workflow_handle(workflow_id(shop_id))
            described = await asyncio.wait_for(handle.describe(), QUERY_TIMEOUT)
        except Exception:  # Temporal down, or the workflow never ran here
            return _Live(running=None, progress=None)
        if described.status != WorkflowExecutionStatus.RUNNING:
            return _Live(running=False, progress=None)
        try:
            progress: Progress = await asyncio.wait_for(
                handle.query(InventoryWorkflow.progress), QUERY_TIMEOUT
            )
        except Exception:  # no worker to answer the query yet
            return _Live(running=True, progress=None)
        return _Live(running=True, progress=ProgressOut(**asdict(progress)))

    return await cached_trailing(
        f"inventory-run-live:{shop_id}", [_live_tag(shop_id)], load, kind="progress",
        dump=lambda live: live.model_dump(), restore=_Live.model_validate,
    )


async def state(session: AsyncSession, shop_id: int) -> StateOut:
    """The latest run's report and whether the shop's workflow is running, with its live
    progress then. Temporal decides `running` when it answers (a run just started has no row
    yet; a terminated one left a row that says running); otherwise the row does."""
    row = await _latest_run(session, shop_id)
    view = StateOut(
        workflow_id=workflow_id(shop_id),
        run=None if row is None else run_view(row),
        running=row is not None and row.status == "running",
        progress=None,
    )
    live = await _live(shop_id)
    if live.running is not None:
        view.running, view.progress = live.running, live.progress
    return view


async def runs_page(
    session: AsyncSession, shop_id: int, cursor: str | None, limit: int
) -> Page[RunOut]:
    """The planning's track record: one report per run, newest first."""
    query = select(InventoryRun).where(InventoryRun.shop_id == shop_id)
    return await page_by_id(session, query, InventoryRun.id, cursor, limit, run_view)


async def start_run(client: Client, shop_id: int) -> StartedOut:
    """Start the shop's run now; a run already going is returned instead of a second one."""
    started = await start_shop_run(
        client,
        InventoryWorkflow.run,
        InventoryRequest(shop_id, "manual"),
        workflow_id=workflow_id(shop_id),
        run_kind=RUN_KIND,
        shop_id=shop_id,
        what="the inventory planning",
    )
    await invalidate(_live_tag(shop_id))  # the next poll asks Temporal again
    return started


def run_view(run: InventoryRun) -> RunOut:
    return RunOut.model_validate({c: getattr(run, c) for c in RUN_COLUMNS})


async def _latest_run(
    session: AsyncSession, shop_id: int, completed: bool = False
) -> InventoryRun | None:
    query = select(InventoryRun).where(InventoryRun.shop_id == shop_id)
    if completed:
        query = query.where(InventoryRun.status == "completed")
    return (
        await session.execute(query.order_by(InventoryRun.id.desc()).limit(1))
    ).scalar_one_or_none()
