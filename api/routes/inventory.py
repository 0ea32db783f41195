"""Inventory: purchase recommendations and their CSV export, one variant's forecast with its
history, anomalies, forecast accuracy, the planning run's state, its track record, and running
it now; and the purchase orders placed (from recommendations or by hand), received and
cancelled. Everything is scoped by the caller's shop."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Path, Query
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel, EmailStr, Field

from api.common.params import BigIntId, ShortText, Text, Timestamp
from api.csv_export import csv_response
from api.deps import CurrentCaller, ManagedShop, SessionDep, ShopOfCaller, TemporalDep
from api.pagination import Page
from api.problems import Problem
from api.services import inventory, purchase_order_documents, purchase_order_mail, purchase_orders
from api.services.shop_runs import StartedOut

router = APIRouter(prefix="/api/shops/{shop_id}/inventory", tags=["inventory"])
orders_router = APIRouter(prefix="/api/shops/{shop_id}/purchase-orders", tags=["inventory"])

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
    return StartedOut(**await inventory.start_run(temporal, shop.id))


# --------------------------------------------------------------------------- purchase orders


class OrderLineIn(BaseModel):
    variant_code: ShortText = Field(min_length=1, max_length=100)
    quantity: Decimal = Field(gt=0, max_digits=14, decimal_places=3)
    unit_price: Decimal | None = Field(default=None, ge=0, max_digits=14, decimal_places=4)


class PurchaseOrderIn(BaseModel):
    """Either `recommendation_ids` (one order per supplier from the latest plan's lines) or
    `lines` (one order, optionally from `supplier_id`, due at `expected_at`)."""

    recommendation_ids: list[BigIntId] | None = Field(default=None, min_length=1, max_length=1000)
    supplier_id: BigIntId | None = None
    lines: list[OrderLineIn] | None = Field(default=None, min_length=1, max_length=1000)
    expected_at: Timestamp | None = None
    currency: ShortText | None = Field(default=None, min_length=3, max_length=3)
    note: Text | None = Field(default=None, max_length=2000)


class ReceiveLineIn(BaseModel):
    line_id: BigIntId
    quantity: Decimal = Field(gt=0, max_digits=14, decimal_places=3)  # units received now


class ReceiveIn(BaseModel):
    lines: list[ReceiveLineIn] | None = Field(default=None, min_length=1)  # None: all the rest


class PurchaseOrderLineOut(BaseModel):
    id: int
    variant_code: str
    variant_name: str | None
    quantity: Decimal
    received_quantity: Decimal
    unit_price: Decimal | None
    recommendation_id: int | None


class PurchaseOrderOut(BaseModel):
    id: int
    supplier_id: int | None
    supplier_name: str | None
    supplier_email: str | None = None
    status: str  # open | received | cancelled
    currency: str
    note: str | None
    created_by: int | None
    ordered_at: datetime
    expected_at: datetime | None
    received_at: datetime | None
    cancelled_at: datetime | None
    emailed_at: datetime | None = None  # when the order was e-mailed to the supplier
    emailed_to: str | None = None
    lines: list[PurchaseOrderLineOut]
    total_quantity: Decimal
    received_quantity: Decimal
    total_cost: Decimal  # quantity × unit price over the priced lines


class CreatedOut(BaseModel):
    items: list[PurchaseOrderOut]


OrderId = Annotated[BigIntId, Path()]


@orders_router.post("", status_code=201)
async def create_purchase_orders(
    shop: ManagedShop, caller: CurrentCaller, session: SessionDep, body: PurchaseOrderIn
) -> CreatedOut:
    """From recommendations: one order per supplier (409 when a line is already on an open
    order, 404 for lines not in the shop's latest plan); or one order of the given lines."""
    if (body.recommendation_ids is None) == (body.lines is None):
        raise Problem(
            422,
            "Invalid request",
            "recommendation_ids: give either recommendation_ids or lines, not both or neither",
        )
    if body.recommendation_ids is not None:
        if body.supplier_id is not None or body.expected_at is not None:
            field = "supplier_id" if body.supplier_id is not None else "expected_at"
            raise Problem(
                422,
                "Invalid request",
                f"{field}: orders from recommendations take the recommendation's supplier "
                "and lead time",
            )
        created = await purchase_orders.create_from_recommendations(
            session, shop, caller.user.id, body.recommendation_ids, body.note
        )
    else:
        assert body.lines is not None
        created = [
            await purchase_orders.create_manual(
                session,
                shop,
                caller.user.id,
                body.supplier_id,
                [line.model_dump() for line in body.lines],
                body.expected_at,
                body.currency,
                body.note,
            )
        ]
    return CreatedOut(items=[PurchaseOrderOut(**o) for o in created])


@orders_router.get("")
async def list_purchase_orders(
    shop: ShopOfCaller,
    session: SessionDep,
    status: Annotated[ShortText | None, Query(description="open, received or cancelled")] = None,
    supplier_id: SupplierFilter = None,
    cursor: str | None = None,
    limit: Limit = 50,
) -> Page[PurchaseOrderOut]:
    """Newest first, each with its lines and totals."""
    page = await purchase_orders.orders_page(session, shop.id, status, supplier_id, cursor, limit)
    return Page[PurchaseOrderOut](**page)


@orders_router.get("/{order_id}")
async def get_purchase_order(
    shop: ShopOfCaller, session: SessionDep, order_id: OrderId
) -> PurchaseOrderOut:
    return PurchaseOrderOut(**await purchase_orders.get_order(session, shop.id, order_id))


@orders_router.get("/{order_id}/pdf")
async def purchase_order_pdf(
    shop: ShopOfCaller,
    caller: CurrentCaller,
    session: SessionDep,
    order_id: OrderId,
    lang: Annotated[str | None, Query(pattern="^(cs|en)$")] = None,
) -> Response:
    """The order as a PDF to send to the supplier, in `lang` (default: the caller's locale)."""
    order = await purchase_orders.get_order(session, shop.id, order_id)
    language = lang or ("cs" if caller.user.locale.startswith("cs") else "en")
    pdf = purchase_order_documents.order_pdf(order, shop.name, language)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="purchase-order-{order_id}.pdf"'},
    )


@orders_router.get("/{order_id}/csv")
async def purchase_order_csv(
    shop: ShopOfCaller, session: SessionDep, order_id: OrderId
) -> Response:
    """The order's lines as CSV (UTF-8), for suppliers who import orders."""
    order = await purchase_orders.get_order(session, shop.id, order_id)
    return Response(
        purchase_order_documents.order_csv(order),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="purchase-order-{order_id}.csv"'},
    )


class EmailOrderIn(BaseModel):
    to: EmailStr | None = None  # default: the supplier's e-mail
    lang: Literal["cs", "en"] | None = None  # default: the caller's locale


@orders_router.post("/{order_id}/email", status_code=202)
async def email_purchase_order(
    shop: ManagedShop,
    caller: CurrentCaller,
    session: SessionDep,
    temporal: TemporalDep,
    order_id: OrderId,
    body: Annotated[EmailOrderIn | None, Body()] = None,
) -> purchase_order_mail.MailQueuedOut:
    """E-mail the order (PDF and CSV attached) to its supplier, in the background; the order
    records `emailed_to` and `emailed_at` once it went out."""
    body = body or EmailOrderIn()
    language = body.lang or ("cs" if caller.user.locale.startswith("cs") else "en")
    return await purchase_order_mail.email_order(
        session, temporal, shop, order_id, body.to, language
    )


@orders_router.post("/{order_id}/receive")
async def receive_purchase_order(
    shop: ManagedShop,
    session: SessionDep,
    order_id: OrderId,
    body: Annotated[ReceiveIn | None, Body()] = None,
) -> PurchaseOrderOut:
    """Book a delivery: per line the units received now, or without a body everything still
    outstanding. 409 when the order is already received or cancelled."""
    lines = None if body is None or body.lines is None else [x.model_dump() for x in body.lines]
    return PurchaseOrderOut(**await purchase_orders.receive(session, shop.id, order_id, lines))


@orders_router.post("/{order_id}/cancel")
async def cancel_purchase_order(
    shop: ManagedShop, session: SessionDep, order_id: OrderId
) -> PurchaseOrderOut:
    """409 when the order is already received or cancelled."""
    return PurchaseOrderOut(**await purchase_orders.cancel(session, shop.id, order_id))
