"""Customers: segments, the at-risk list and its CSV export, one customer, the model's track
record, and running the analysis now. Everything is scoped by the caller's shop."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from api.common.params import ShortText
from api.csv_export import csv_response
from api.deps import ManagedShop, SessionDep, ShopOfCaller, TemporalDep
from api.pagination import Page
from api.services import customers
from api.services.shop_runs import StartedOut

router = APIRouter(tags=["customers"])

Segment = Annotated[ShortText | None, Query(description="one of the eleven segment keys")]
MinChurnRisk = Annotated[
    float, Query(ge=0, le=1, description="only customers at least this likely gone")
]


class SegmentOut(BaseModel):
    segment: str
    name: str
    customers: int
    total_value: str | None
    clv_12m: str | None
    clv_at_risk: str | None
    avg_p_alive: float | None
    avg_churn_risk: float | None


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


@router.get("/api/shops/{shop_id}/customers/segments")
async def get_segments(shop: ShopOfCaller, session: SessionDep) -> SegmentsOut:
    return SegmentsOut(**await customers.segments(session, shop.id))


@router.get("/api/shops/{shop_id}/customers/at-risk")
async def list_at_risk(
    shop: ShopOfCaller,
    session: SessionDep,
    segment: Segment = None,
    min_churn_risk: MinChurnRisk = 0.5,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> Page[CustomerOut]:
    page = await customers.at_risk_page(session, shop.id, segment, min_churn_risk, cursor, limit)
    return Page[CustomerOut](**page)


@router.get("/api/shops/{shop_id}/customers/at-risk.csv")
async def export_at_risk(
    shop: ShopOfCaller, segment: Segment = None, min_churn_risk: MinChurnRisk = 0.5
) -> StreamingResponse:
    customers.check_segment(segment)  # a bad segment is a 422 problem before streaming starts
    name = f"customers-at-risk-{shop.id}{'-' + segment if segment else ''}.csv"
    return csv_response(customers.at_risk_csv(shop.id, segment, min_churn_risk), name)


@router.get("/api/shops/{shop_id}/customers/reports")
async def list_reports(
    shop: ShopOfCaller,
    session: SessionDep,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Page[ModelReportOut]:
    return Page[ModelReportOut](**await customers.reports_page(session, shop.id, cursor, limit))


@router.get("/api/shops/{shop_id}/customers/analysis")
async def get_analysis(shop: ShopOfCaller, session: SessionDep) -> AnalysisOut:
    return AnalysisOut(**await customers.analysis_state(session, shop.id))


@router.post("/api/shops/{shop_id}/customers/analysis", status_code=202)
async def run_analysis(shop: ManagedShop, temporal: TemporalDep) -> StartedOut:
    return StartedOut(**await customers.start_analysis(temporal, shop.id))


@router.get("/api/shops/{shop_id}/customers/{customer_key}")
async def get_customer(
    shop: ShopOfCaller, session: SessionDep, customer_key: ShortText
) -> CustomerDetailOut:
    return CustomerDetailOut(**await customers.customer_detail(session, shop.id, customer_key))
