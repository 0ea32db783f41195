"""Inventory planning: purchase recommendations and their CSV export, one variant's forecast
with its history, anomalies, forecast accuracy, the planning run's state, its track record, and
running it now. Everything is scoped by the caller's shop (purchase orders: purchase_orders.py)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from api.common.params import BigIntId, ShortText
from api.csv_export import csv_response
from api.deps import ManagedShop, SessionDep, ShopOfCaller, TemporalDep
from api.pagination import Page
from api.services.inventory import planning as inventory
from api.services.shop_runs import StartedOut

router = APIRouter(prefix="/api/shops/{shop_id}/inventory", tags=["inventory"])

SupplierFilter = Annotated[BigIntId | None, Query(description="only this supplier's lines")]
Limit = Annotated[int, Query(ge=1, le=500)]


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


@router.get("/recommendations")
async def list_recommendations(
    shop: ShopOfCaller,
    session: SessionDep,
    supplier_id: SupplierFilter = None,
    cursor: str | None = None,
    limit: Limit = 100,
) -> Page[RecommendationOut]:
    """Soonest order-by date first; pass `next_cursor` back as `cursor` for the next page."""
    page = await inventory.recommendations_page(session, shop.id, supplier_id, cursor, limit)
    return Page[RecommendationOut](**page)


@router.get("/recommendations.csv")
async def export_recommendations(
    shop: ShopOfCaller, supplier_id: SupplierFilter = None
) -> StreamingResponse:
    return csv_response(
        inventory.recommendations_csv(shop.id, supplier_id),
        f"purchase-recommendations-{shop.id}.csv",
    )


@router.get("/variants/{code:path}/forecast")
async def get_forecast(
    shop: ShopOfCaller,
    session: SessionDep,
    code: ShortText,
    history_days: Annotated[int, Query(ge=7, le=730)] = 90,
) -> ForecastOut:
    """`code` is URL-encoded by the client; a `path` parameter so codes with "/" (most Shoptet
    variant codes, e.g. `ABC/M`) reach the route whether or not the slash arrives encoded."""
    return ForecastOut(**await inventory.forecast(session, shop, code, history_days))


@router.get("/anomalies")
async def list_anomalies(
    shop: ShopOfCaller,
    session: SessionDep,
    severity: Annotated[ShortText | None, Query(description="low, medium or high")] = None,
    kind: ShortText | None = None,
    cursor: str | None = None,
    limit: Limit = 100,
) -> Page[AnomalyOut]:
    """Newest found first."""
    page = await inventory.anomalies_page(session, shop.id, severity, kind, cursor, limit)
    return Page[AnomalyOut](**page)


@router.get("/accuracy")
async def get_accuracy(
    shop: ShopOfCaller, session: SessionDep, cursor: str | None = None, limit: Limit = 100
) -> AccuracyPage:
    """MASE per variant against seasonal naive (by variant code), and overall."""
    return AccuracyPage(**await inventory.accuracy_page(session, shop.id, cursor, limit))


@router.get("/runs")
async def list_runs(
    shop: ShopOfCaller,
    session: SessionDep,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Page[RunOut]:
    return Page[RunOut](**await inventory.runs_page(session, shop.id, cursor, limit))


@router.get("/run")
async def get_run(shop: ShopOfCaller, session: SessionDep) -> StateOut:
    """The latest run, with live progress (phase, variants done of total) while it runs."""
    return StateOut(**await inventory.state(session, shop.id))


@router.post("/run", status_code=202)
async def run_now(shop: ManagedShop, temporal: TemporalDep) -> StartedOut:
    """Start the shop's planning now; while a run is going, that run is returned (started false)."""
    return await inventory.start_run(temporal, shop.id)
