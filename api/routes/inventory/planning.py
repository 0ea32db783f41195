"""Inventory planning: purchase recommendations and their CSV export, one variant's forecast
with its history, anomalies, forecast accuracy, the planning run's state, its track record, and
running it now. Everything is scoped by the caller's shop (purchase orders: purchase_orders.py)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from api.common.params import BigIntId, ShortText
from api.csv_export import csv_response
from api.deps import ManagedShop, SessionDep, ShopOfCaller, TemporalDep
from api.pagination import Page
from api.services.inventory import planning as inventory
from api.services.inventory.planning import (
    AccuracyPage,
    AnomalyOut,
    ForecastOut,
    RecommendationOut,
    RunOut,
    StateOut,
)
from api.services.shop_runs import StartedOut

router = APIRouter(prefix="/api/shops/{shop_id}/inventory", tags=["inventory"])

SupplierFilter = Annotated[BigIntId | None, Query(description="only this supplier's lines")]
Limit = Annotated[int, Query(ge=1, le=500)]


@router.get("/recommendations")
async def list_recommendations(
    shop: ShopOfCaller,
    session: SessionDep,
    supplier_id: SupplierFilter = None,
    cursor: str | None = None,
    limit: Limit = 100,
) -> Page[RecommendationOut]:
    """Soonest order-by date first; pass `next_cursor` back as `cursor` for the next page."""
    return await inventory.recommendations_page(session, shop.id, supplier_id, cursor, limit)


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
    return await inventory.forecast(session, shop, code, history_days)


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
    return await inventory.anomalies_page(session, shop.id, severity, kind, cursor, limit)


@router.get("/accuracy")
async def get_accuracy(
    shop: ShopOfCaller, session: SessionDep, cursor: str | None = None, limit: Limit = 100
) -> AccuracyPage:
    """MASE per variant against seasonal naive (by variant code), and overall."""
    return await inventory.accuracy_page(session, shop.id, cursor, limit)


@router.get("/runs")
async def list_runs(
    shop: ShopOfCaller,
    session: SessionDep,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Page[RunOut]:
    return await inventory.runs_page(session, shop.id, cursor, limit)


@router.get("/run")
async def get_run(shop: ShopOfCaller, session: SessionDep) -> StateOut:
    """The latest run, with live progress (phase, variants done of total) while it runs."""
    return await inventory.state(session, shop.id)


@router.post("/run", status_code=202)
async def run_now(shop: ManagedShop, temporal: TemporalDep) -> StartedOut:
    """Start the shop's planning now; while a run is going, that run is returned (started false)."""
    return await inventory.start_run(temporal, shop.id)
