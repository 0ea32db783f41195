"""`GET /api/orders`, `/api/orders/changes`, `/api/orders/{code}`."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from infra.sandbox.envelope import ApiError, ok
from infra.sandbox.generator import ORDER_INCLUDES
from infra.sandbox.paging import paginate
from infra.sandbox.routes.common import (
    change_type_param,
    current_shop,
    include_param,
    int_param,
    reject_unsupported,
    sandbox,
    time_param,
)
from infra.sandbox.shops import OrderFilter

router = APIRouter()

UNSUPPORTED_ORDER_FILTERS = (
    "shippingGuid",
    "shippingCompanyCode",
    "paymentMethodGuid",
    "phone",
    "productCode",
    "sourceId",
)


def order_filter(params: Any) -> OrderFilter:
    """Parse the orders list/snapshot filters; `orderCodes` (at most 50) disables the others."""
    reject_unsupported(params, UNSUPPORTED_ORDER_FILTERS)
    codes = None
    if params.get("orderCodes"):
        codes = tuple(c.strip() for c in params["orderCodes"].split(",") if c.strip())
        if len(codes) > 50:
            raise ApiError(
                400,
                "invalid-parameter",
                "Parameter 'orderCodes' accepts at most 50 codes.",
                "orderCodes",
            )
    return OrderFilter(
        creation_from=time_param(params, "creationTimeFrom"),
        creation_to=time_param(params, "creationTimeTo"),
        change_from=time_param(params, "changeTimeFrom"),
        change_to=time_param(params, "changeTimeTo"),
        code_from=params.get("codeFrom") or None,
        code_to=params.get("codeTo") or None,
        codes=codes,
        status_id=int_param(params, "statusId"),
        customer_guid=params.get("customerGuid") or None,
        email=params.get("email") or None,
    )


@router.get("/api/orders")
async def list_orders(request: Request) -> Response:
    shop = current_shop(request)
    indices, page = paginate(
        request.query_params, "orders", shop.data.select_orders(order_filter(request.query_params))
    )
    orders = [shop.data.order_summary(i) for i in indices]
    _shift_between_pages(request, orders, page.per_page > 1 and page.page < page.page_count)
    return ok(request, {"orders": orders, "paginator": page.paginator(len(orders))})


def _shift_between_pages(request: Request, served: list[dict[str, Any]], more_pages: bool) -> None:
    """The `deletes_between_pages` / `inserts_between_pages` faults, once per setting: right
    after a page of a paged listing is served, orders of that page are deleted (the next page
    slides up, its first orders are never seen) and new orders are created."""
    state = sandbox(request)
    faults = state.faults
    if not more_pages or not (faults.deletes_between_pages or faults.inserts_between_pages):
        return
    eshop_id = request.state.eshop_id
    for order in served[: faults.deletes_between_pages]:
        state.delete_order(eshop_id, order["code"])
    for _ in range(faults.inserts_between_pages):
        state.create_order(eshop_id)
    faults.deletes_between_pages = faults.inserts_between_pages = 0
    state.stats["listing_shifts"] += 1


@router.get("/api/orders/changes")
async def order_changes(request: Request) -> Response:
    shop = current_shop(request)
    params = request.query_params
    since = time_param(params, "from", required=True)
    assert since is not None
    feed = shop.data.order_changes(since, change_type_param(params))
    indices, page = paginate(params, "orders/changes", feed)
    changes = [shop.data.order_change_item(i) for i in indices]
    return ok(request, {"changes": changes, "paginator": page.paginator(len(changes))})


@router.get("/api/orders/{code}")
async def order_detail(request: Request, code: str) -> Response:
    shop = current_shop(request)
    include = include_param(request.query_params, ORDER_INCLUDES)
    index = shop.data.order_index(code)
    if index is None:
        raise ApiError(404, "order-not-found", f'Order with code "{code}" not found.', code)
    return ok(request, {"order": shop.data.order_detail(index, include)})
