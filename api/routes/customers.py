"""Customers: segments, the at-risk list and its CSV export, one customer and their orders'
margins, the products' price sensitivity, the model's track record, and running the analysis
now. Everything is scoped by the caller's shop."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from api.common.params import ShortText
from api.csv_export import csv_response
from api.deps import ManagedShop, SessionDep, ShopOfCaller, TemporalDep
from api.pagination import Page
from api.services import customers
from api.services.customers import (
    AnalysisOut,
    CustomerDetailOut,
    CustomerOut,
    ElasticityOut,
    ModelReportOut,
    OrderMarginOut,
    SegmentsOut,
)
from api.services.shop_runs import StartedOut

router = APIRouter(tags=["customers"])

Segment = Annotated[ShortText | None, Query(description="one of the eleven segment keys")]
MinChurnRisk = Annotated[
    float, Query(ge=0, le=1, description="only customers at least this likely gone")
]
Sort = Annotated[
    ShortText, Query(description="clv_at_risk (default) or clv_profit: CLV as expected profit")
]


@router.get("/api/shops/{shop_id}/customers/segments")
async def get_segments(shop: ShopOfCaller, session: SessionDep) -> SegmentsOut:
    return await customers.segments(session, shop.id)


@router.get("/api/shops/{shop_id}/customers/at-risk")
async def list_at_risk(
    shop: ShopOfCaller,
    session: SessionDep,
    segment: Segment = None,
    min_churn_risk: MinChurnRisk = 0.5,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    sort: Sort = "clv_at_risk",
) -> Page[CustomerOut]:
    return await customers.at_risk_page(
        session, shop.id, segment, min_churn_risk, cursor, limit, sort
    )


@router.get("/api/shops/{shop_id}/customers/at-risk.csv")
async def export_at_risk(
    shop: ShopOfCaller,
    segment: Segment = None,
    min_churn_risk: MinChurnRisk = 0.5,
    sort: Sort = "clv_at_risk",
) -> StreamingResponse:
    customers.check_segment(segment)  # a bad segment is a 422 problem before streaming starts
    customers.check_sort(sort)
    name = f"customers-at-risk-{shop.id}{'-' + segment if segment else ''}.csv"
    return csv_response(customers.at_risk_csv(shop.id, segment, min_churn_risk, sort), name)


@router.get("/api/shops/{shop_id}/price-sensitivity")
async def list_elasticities(
    shop: ShopOfCaller,
    session: SessionDep,
    scope: Annotated[ShortText | None, Query(description="product or category")] = None,
    status: Annotated[ShortText | None, Query(description="estimated or unknown")] = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> Page[ElasticityOut]:
    return await customers.elasticities_page(session, shop.id, scope, status, cursor, limit)


@router.get("/api/shops/{shop_id}/customers/reports")
async def list_reports(
    shop: ShopOfCaller,
    session: SessionDep,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Page[ModelReportOut]:
    return await customers.reports_page(session, shop.id, cursor, limit)


@router.get("/api/shops/{shop_id}/customers/analysis")
async def get_analysis(shop: ShopOfCaller, session: SessionDep) -> AnalysisOut:
    return await customers.analysis_state(session, shop.id)


@router.post("/api/shops/{shop_id}/customers/analysis", status_code=202)
async def run_analysis(shop: ManagedShop, temporal: TemporalDep) -> StartedOut:
    return await customers.start_analysis(temporal, shop.id)


@router.get("/api/shops/{shop_id}/customers/{customer_key}/orders")
async def list_customer_orders(
    shop: ShopOfCaller,
    session: SessionDep,
    customer_key: ShortText,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Page[OrderMarginOut]:
    return await customers.customer_orders(session, shop.id, customer_key, cursor, limit)


@router.get("/api/shops/{shop_id}/customers/{customer_key}")
async def get_customer(
    shop: ShopOfCaller, session: SessionDep, customer_key: ShortText
) -> CustomerDetailOut:
    return await customers.customer_detail(session, shop.id, customer_key)
