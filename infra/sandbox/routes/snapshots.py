"""Snapshot requests (`GET /api/{orders,products,customers}/snapshot` → 202 jobId), job detail
(`GET /api/system/jobs/{jobId}`, 10-poll limit while unprocessed) and result files (`/api-results/…`).
"""

from __future__ import annotations

import asyncio
import gzip
import zlib

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import FileResponse, Response

from infra.sandbox.envelope import ApiError, ok
from infra.sandbox.generator import ORDER_INCLUDES, PRODUCT_INCLUDES
from infra.sandbox.paging import Selection
from infra.sandbox.routes.common import current_shop, include_param, sandbox
from infra.sandbox.routes.entities import entity_selection
from infra.sandbox.routes.orders import order_filter
from infra.sandbox.snapshots import UNPROCESSED

router = APIRouter()


def _start(
    request: Request, resource: str, selection: Selection, include: frozenset[str]
) -> Response:
    shop = current_shop(request)
    assert shop.installation is not None
    if shop.installation.webhook_for("job:finished") is None:
        raise ApiError(
            403,
            "job-finished-webhook-missing",
            "Asynchronous requests need a registered job:finished webhook; register it via POST /api/webhooks.",
        )
    job = sandbox(request).jobs.start(
        shop.spec.eshop_id,
        f"/api/{resource}/snapshot",
        resource,
        selection,
        include,
        str(request.base_url),
    )
    return ok(request, {"jobId": job.job_id}, status=202)


@router.get("/api/orders/snapshot")
async def orders_snapshot(request: Request) -> Response:
    include = include_param(request.query_params, ORDER_INCLUDES)
    selection = current_shop(request).data.select_orders(order_filter(request.query_params))
    return _start(request, "orders", selection, include)


@router.get("/api/products/snapshot")
async def products_snapshot(request: Request) -> Response:
    include = include_param(request.query_params, PRODUCT_INCLUDES)
    return _start(request, "products", entity_selection("products", request), include)


@router.get("/api/customers/snapshot")
async def customers_snapshot(request: Request) -> Response:
    return _start(request, "customers", entity_selection("customers", request), frozenset())


@router.get("/api/system/jobs/{job_id}")
async def job_detail(request: Request, job_id: str) -> Response:
    state = sandbox(request)
    job = state.jobs.get(job_id)
    if job is None or job.eshop_id != request.state.eshop_id:
        raise ApiError(404, "job-not-found", f'Job with ID "{job_id}" not found.', job_id)
    if job.status in UNPROCESSED:
        job.polls += 1
        if job.polls > state.limits.job_poll_limit:
            raise ApiError(
                403,
                "job-detail-try-counter-exceeded-limit",
                f'You have exceeded the limit of job detail request for unprocessed job "{job_id}". '
                "Please wait for job:finished event after job is completed!",
                job_id,
            )
    return ok(request, {"job": job.view()})


@router.get("/api-results/{name}")
async def job_result(request: Request, name: str) -> Response:
    state = sandbox(request)
    path = state.jobs.result_path(name)
    if path is None or not path.exists():
        return Response("Not Found", status_code=404, media_type="text/plain")
    encoding = state.faults.result_encoding
    if encoding:  # a CDN that compresses the (already gzip) file again
        body = await asyncio.to_thread(encode, path.read_bytes(), encoding)
        return Response(body, media_type="application/octet-stream", headers={"Content-Encoding": encoding})
    return FileResponse(path, media_type="application/octet-stream")


def encode(body: bytes, encoding: str) -> bytes:
    """Apply a `Content-Encoding` list in order (`gzip, gzip` compresses twice)."""
    for coding in (c.strip() for c in encoding.split(",")):
        if coding == "gzip":
            body = gzip.compress(body, mtime=0)
        elif coding == "deflate":
            body = zlib.compress(body)
        else:
            raise ValueError(f"sandbox cannot apply Content-Encoding {coding!r}")
    return body
