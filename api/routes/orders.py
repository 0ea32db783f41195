"""A shop's orders: cursor-paginated list with filters, one order with items, status counts."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from api.common.params import Int32, ShortText, Timestamp
from api.deps import SessionDep, ShopOfCaller
from api.pagination import Page
from api.services import orders
from api.services.orders import OrderDetail, OrderFilters, OrderRow, StatusCount

router = APIRouter(prefix="/api/shops/{shop_id}", tags=["orders"])


@router.get("/orders")
async def list_orders(
    shop: ShopOfCaller,
    session: SessionDep,
    created_from: Annotated[
        Timestamp | None, Query(description="Inclusive; ISO 8601, UTC if no offset.")
    ] = None,
    created_to: Annotated[
        Timestamp | None, Query(description="Exclusive; ISO 8601, UTC if no offset.")
    ] = None,
    status_id: Int32 | None = None,
    q: Annotated[
        ShortText | None,
        Query(min_length=3, max_length=100, description="Code prefix, e-mail or billing name."),
    ] = None,
    channel: Annotated[
        Literal["shoptet", "woocommerce", "b2b"] | None,
        Query(description="Only orders sold on this channel."),
    ] = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> Page[OrderRow]:
    """Newest first; pass `next_cursor` back as `cursor` for the next page."""
    filters = OrderFilters(created_from, created_to, status_id, q, channel)
    return await orders.cached_page(session, shop.id, filters, cursor, limit)


@router.get("/orders/{code}")
async def get_order(shop: ShopOfCaller, session: SessionDep, code: ShortText) -> OrderDetail:
    return await orders.detail(session, shop.id, code)


@router.get("/order-statuses")
async def order_statuses(shop: ShopOfCaller) -> list[StatusCount]:
    """With counts that trail the shop's last write by at most one recount."""
    return await orders.status_counts(shop.id)
