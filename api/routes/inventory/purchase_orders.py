"""Purchase orders: placed from the planning's recommendations or by hand, sent as PDF or CSV,
received and cancelled. Everything is scoped by the caller's shop."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from fastapi import APIRouter, Body, Path, Query
from fastapi.responses import Response
from pydantic import BaseModel, EmailStr, Field

from api.common.params import BigIntId, ShortText, Text, Timestamp
from api.deps import CurrentCaller, ManagedShop, SessionDep, ShopOfCaller, TemporalDep
from api.pagination import Page
from api.problems import Problem
from api.services.inventory import purchase_order_documents, purchase_order_mail, purchase_orders
from api.services.inventory.purchase_orders import PurchaseOrderOut

router = APIRouter(prefix="/api/shops/{shop_id}/purchase-orders", tags=["inventory"])

SupplierFilter = Annotated[BigIntId | None, Query(description="only this supplier's lines")]
Limit = Annotated[int, Query(ge=1, le=500)]


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


class CreatedOut(BaseModel):
    items: list[PurchaseOrderOut]


OrderId = Annotated[BigIntId, Path()]


@router.post("", status_code=201)
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
                [
                    purchase_orders.LineIn(
                        variant_code=x.variant_code, quantity=x.quantity, unit_price=x.unit_price
                    )
                    for x in body.lines
                ],
                body.expected_at,
                body.currency,
                body.note,
            )
        ]
    return CreatedOut(items=created)


@router.get("")
async def list_purchase_orders(
    shop: ShopOfCaller,
    session: SessionDep,
    status: Annotated[ShortText | None, Query(description="open, received or cancelled")] = None,
    supplier_id: SupplierFilter = None,
    cursor: str | None = None,
    limit: Limit = 50,
) -> Page[PurchaseOrderOut]:
    """Newest first, each with its lines and totals."""
    return await purchase_orders.orders_page(session, shop.id, status, supplier_id, cursor, limit)


@router.get("/{order_id}")
async def get_purchase_order(
    shop: ShopOfCaller, session: SessionDep, order_id: OrderId
) -> PurchaseOrderOut:
    return await purchase_orders.get_order(session, shop.id, order_id)


@router.get("/{order_id}/pdf")
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


@router.get("/{order_id}/csv")
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


@router.post("/{order_id}/email", status_code=202)
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


@router.post("/{order_id}/receive")
async def receive_purchase_order(
    shop: ManagedShop,
    session: SessionDep,
    order_id: OrderId,
    body: Annotated[ReceiveIn | None, Body()] = None,
) -> PurchaseOrderOut:
    """Book a delivery: per line the units received now, or without a body everything still
    outstanding. 409 when the order is already received or cancelled."""
    lines = (
        None
        if body is None or body.lines is None
        else [purchase_orders.ReceivedLineIn(line_id=x.line_id, quantity=x.quantity) for x in body.lines]
    )
    return await purchase_orders.receive(session, shop.id, order_id, lines)


@router.post("/{order_id}/cancel")
async def cancel_purchase_order(
    shop: ManagedShop, session: SessionDep, order_id: OrderId
) -> PurchaseOrderOut:
    """409 when the order is already received or cancelled."""
    return await purchase_orders.cancel(session, shop.id, order_id)
