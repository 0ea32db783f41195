"""`GET /api/stocks` (not paged) and `GET /api/stocks/{stockId}/supplies` (per-variant amounts)."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from infra.sandbox import czech
from infra.sandbox.envelope import ApiError, ok
from infra.sandbox.generator import supply
from infra.sandbox.paging import paginate
from infra.sandbox.routes.common import current_shop, include_param, reject_unsupported

router = APIRouter()


@router.get("/api/stocks")
async def list_stocks(request: Request) -> Response:
    spec = current_shop(request).spec
    stocks = [
        {
            "id": n + 1,
            "title": czech.STOCKS[n],
            "isDeliveryPoint": n > 0,
            "visibleOnEshop": True,
            "deliveryPointTitle": czech.STOCKS[n] if n > 0 else None,
            "deliveryPointAddress": None,
        }
        for n in range(spec.stocks)
    ]
    return ok(request, {"stocks": stocks, "defaultStockId": 1})


@router.get("/api/stocks/{stock_id}/supplies")
async def list_supplies(request: Request, stock_id: int) -> Response:
    shop = current_shop(request)
    spec = shop.spec
    if not 1 <= stock_id <= spec.stocks:
        raise ApiError(
            404, "stock-not-found", f'Stock with id "{stock_id}" not found.', str(stock_id)
        )
    reject_unsupported(
        request.query_params, ("productGuid", "code", "onlyWithClaim", "changedFrom")
    )
    with_change = "changetime" in include_param(request.query_params, frozenset({"changetime"}))
    positions, page = paginate(request.query_params, "supplies", shop.data.supply_positions())
    rows = [supply(spec, stock_id, p, with_change_time=with_change) for p in positions]
    return ok(request, {"supplies": rows, "paginator": page.paginator(len(rows))})
