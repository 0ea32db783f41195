"""Products and customers: list, detail and change feed, one implementation for both."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from infra.sandbox.envelope import ApiError, ok
from infra.sandbox.generator import PRODUCT_INCLUDES
from infra.sandbox.paging import Selection, paginate
from infra.sandbox.routes.common import (
    change_type_param,
    current_shop,
    include_param,
    reject_unsupported,
    time_param,
)
from infra.sandbox.shops import TimeFilter

router = APIRouter()

UNSUPPORTED = {
    "products": (
        "availabilityId",
        "availabilityWhenSoldOutId",
        "visibility",
        "type",
        "brandName",
        "brandCode",
        "defaultCategoryGuid",
        "categoryGuid",
        "flag",
        "productCodes",
        "productGuids",
        "supplierGuid",
    ),
    "customers": ("email", "phone"),
}
INCLUDES = {"products": PRODUCT_INCLUDES, "customers": frozenset()}


def time_filter(params: Any) -> TimeFilter:
    return TimeFilter(
        creation_from=time_param(params, "creationTimeFrom"),
        creation_to=time_param(params, "creationTimeTo"),
        change_from=time_param(params, "changeTimeFrom"),
        change_to=time_param(params, "changeTimeTo"),
    )


def entity_selection(kind: str, request: Request) -> Selection:
    reject_unsupported(request.query_params, UNSUPPORTED[kind])
    return current_shop(request).data.select_by_time(kind, time_filter(request.query_params))


def _register(kind: str) -> None:
    async def listing(request: Request) -> Response:
        data = current_shop(request).data
        include_param(request.query_params, INCLUDES[kind])
        indices, page = paginate(request.query_params, kind, entity_selection(kind, request))
        rows = [data.summary(kind, i) for i in indices]
        return ok(request, {kind: rows, "paginator": page.paginator(len(rows))})

    async def changes(request: Request) -> Response:
        data = current_shop(request).data
        since = time_param(request.query_params, "from", required=True)
        assert since is not None
        feed = data.changes(kind, since, change_type_param(request.query_params))
        indices, page = paginate(request.query_params, f"{kind}/changes", feed)
        rows = [data.change_item(kind, i) for i in indices]
        return ok(request, {"changes": rows, "paginator": page.paginator(len(rows))})

    async def detail(request: Request, guid: str) -> Response:
        data = current_shop(request).data
        include = include_param(request.query_params, INCLUDES[kind])
        index = data.find(kind, guid)
        if index is None:
            singular = kind[:-1]
            raise ApiError(
                404,
                f"{singular}-not-found",
                f'{singular.capitalize()} with guid "{guid}" not found.',
                guid,
            )
        body = data.detail(kind, index, include)
        # Product detail is `data` itself; customer detail sits under `data.customer` (per the OpenAPI file).
        return ok(request, body if kind == "products" else {"customer": body})

    router.add_api_route(f"/api/{kind}", listing, methods=["GET"], name=f"list_{kind}")
    router.add_api_route(f"/api/{kind}/changes", changes, methods=["GET"], name=f"{kind}_changes")
    router.add_api_route(f"/api/{kind}/{{guid}}", detail, methods=["GET"], name=f"{kind}_detail")


_register("products")
_register("customers")
