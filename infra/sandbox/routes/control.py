"""`/_sandbox/*`: the control API tests, `make run` and benchmarks use to shape the sandbox.
Not part of Shoptet. Documented in docs/sandbox.md.
"""

from __future__ import annotations

import time
from datetime import date, datetime, timedelta
from typing import Any, Literal

import httpx
from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, Field
from starlette.requests import Request
from starlette.responses import Response

from infra.sandbox.envelope import plain_json
from infra.sandbox.formats import PRAGUE, shoptet_time
from infra.sandbox.generator import ShopSpec
from infra.sandbox.routes.common import sandbox
from infra.sandbox.shops import Shop

router = APIRouter(prefix="/_sandbox")


class ShopIn(BaseModel):
    eshop_id: int = Field(gt=0)
    seed: int = 1
    orders: int = Field(1000, ge=0)
    products: int = Field(200, ge=1)
    customers: int = Field(500, ge=1)
    mean_items: float = Field(2.0, ge=1)
    date_from: date | None = None  # default: two years before date_to
    date_to: date | None = None  # default: today on the sandbox clock
    stocks: int = Field(2, ge=1, le=4)
    guest_share: float = Field(0.3, ge=0, le=1)


class CodeIn(BaseModel):
    redirect_uri: str | None = None


class InstallIn(BaseModel):
    install_url: str


class InstallationIn(BaseModel):
    status: Literal["active", "suspended", "uninstalled"]


class OrderChangeIn(BaseModel):
    status_id: int | None = None
    paid: bool | None = None
    remark: str | None = None


class ClockIn(BaseModel):
    advance_seconds: float = Field(ge=0)


def _shop(request: Request, eshop_id: int) -> Shop:
    try:
        return sandbox(request).shop(eshop_id)
    except KeyError as exc:
        raise HTTPException(404, str(exc.args[0])) from None


def shop_spec(body: ShopIn, today: date) -> ShopSpec:
    date_to = body.date_to or today
    values = body.model_dump()
    values.update(date_to=date_to, date_from=body.date_from or date_to - timedelta(days=730))
    try:
        return ShopSpec(**values)
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None


@router.post("/shops", status_code=201)
async def create_shop(request: Request, body: ShopIn) -> dict[str, Any]:
    state = sandbox(request)
    today = datetime.fromtimestamp(state.clock.now(), PRAGUE).date()
    try:
        return state.add_shop(shop_spec(body, today)).describe()
    except ValueError as exc:
        raise HTTPException(409, str(exc)) from None


@router.get("/shops")
async def list_shops(request: Request) -> list[dict[str, Any]]:
    return [shop.describe() for shop in sandbox(request).shops.values()]


@router.get("/shops/{eshop_id}")
async def shop_info(request: Request, eshop_id: int) -> dict[str, Any]:
    return _shop(request, eshop_id).describe()


@router.post("/shops/{eshop_id}/codes", status_code=201)
async def mint_code(request: Request, eshop_id: int, body: CodeIn | None = None) -> dict[str, Any]:
    _shop(request, eshop_id)
    state = sandbox(request)
    code = state.mint_code(eshop_id, body.redirect_uri if body else None)
    return {"code": code, "expiresIn": state.limits.code_ttl}


@router.post("/shops/{eshop_id}/install")
async def install(request: Request, eshop_id: int, body: InstallIn) -> dict[str, Any]:
    """Play Shoptet's install: GET install_url?code=…; failed unless 200 within the install timeout."""
    shop = _shop(request, eshop_id)
    state = sandbox(request)
    code = state.mint_code(eshop_id, body.install_url)
    exchanges_before = state.stats["token_exchanges"]
    began = time.monotonic()
    http_status: int | None = None
    error = None
    assert state.webhooks.http is not None
    try:
        response = await state.webhooks.http.get(
            body.install_url, params={"code": code}, timeout=state.limits.install_timeout
        )
        http_status = response.status_code
    except httpx.TimeoutException:
        error = f"install URL did not answer within {state.limits.install_timeout:g} s"
    except httpx.HTTPError as exc:
        error = f"install URL unreachable: {type(exc).__name__}: {exc}"
    elapsed = time.monotonic() - began
    if error is None and http_status != 200:
        error = f"install URL answered HTTP {http_status}, Shoptet needs 200"
    if error is None and elapsed > state.limits.install_timeout:
        error = f"install took {elapsed:.2f} s, longer than {state.limits.install_timeout:g} s"
    return {
        "eshopId": eshop_id,
        "status": "failed" if error else "installed",
        "httpStatus": http_status,
        "elapsedMs": round(elapsed * 1000, 1),
        "codeExchanged": state.stats["token_exchanges"] > exchanges_before
        and shop.installation is not None,
        "error": error,
    }


@router.post("/shops/{eshop_id}/installation")
async def set_installation_status(
    request: Request, eshop_id: int, body: InstallationIn
) -> dict[str, Any]:
    shop = _shop(request, eshop_id)
    if shop.installation is None:
        raise HTTPException(
            409, f"shop {eshop_id} has no installation yet; install the addon first"
        )
    shop.installation.status = body.status
    return shop.describe()


@router.post("/shops/{eshop_id}/orders", status_code=201)
async def create_order(request: Request, eshop_id: int) -> dict[str, Any]:
    _shop(request, eshop_id)
    return {"code": sandbox(request).create_order(eshop_id)}


@router.patch("/shops/{eshop_id}/orders/{code}")
async def update_order(
    request: Request, eshop_id: int, code: str, body: OrderChangeIn
) -> dict[str, Any]:
    shop = _shop(request, eshop_id)
    index = shop.data.order_index(code)
    if index is None:
        raise HTTPException(404, f"shop {eshop_id} has no order {code}")
    try:
        sandbox(request).update_order(
            eshop_id, code, status_id=body.status_id, paid=body.paid, remark=body.remark
        )
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None
    return {
        "code": code,
        "changeTime": shoptet_time(shop.data.order_changed(index)),
    }


@router.post("/shops/{eshop_id}/orders/{code}/cancel")
async def cancel_order(request: Request, eshop_id: int, code: str) -> dict[str, Any]:
    shop = _shop(request, eshop_id)
    if shop.data.order_index(code) is None:
        raise HTTPException(404, f"shop {eshop_id} has no order {code}")
    sandbox(request).cancel_order(eshop_id, code)
    return {"code": code, "status": "cancelled"}


@router.delete("/shops/{eshop_id}/orders/{code}")
async def delete_order(request: Request, eshop_id: int, code: str) -> dict[str, Any]:
    """Delete an order as a shop admin would: gone from detail, lists and snapshots; the
    change feed reports it once as `delete`; fires `order:delete`."""
    _shop(request, eshop_id)
    try:
        when = sandbox(request).delete_order(eshop_id, code)
    except KeyError:
        raise HTTPException(404, f"shop {eshop_id} has no order {code}") from None
    return {"code": code, "changeType": "delete", "changeTime": shoptet_time(when)}


@router.delete("/shops/{eshop_id}/{kind}/{guid}")
async def delete_entity(
    request: Request, eshop_id: int, kind: Literal["products", "customers"], guid: str
) -> dict[str, Any]:
    """Delete a product or customer by GUID; fires `product:delete` / `customer:delete`."""
    _shop(request, eshop_id)
    state = sandbox(request)
    remove = state.delete_product if kind == "products" else state.delete_customer
    try:
        when = remove(eshop_id, guid)
    except KeyError:
        raise HTTPException(404, f"shop {eshop_id} has no {kind[:-1]} {guid}") from None
    return {"guid": guid.lower(), "changeType": "delete", "changeTime": shoptet_time(when)}


@router.get("/faults")
async def get_knobs(request: Request) -> dict[str, Any]:
    return sandbox(request).knobs()


@router.patch("/faults")
async def patch_knobs(request: Request, body: dict[str, Any]) -> dict[str, Any]:
    try:
        return sandbox(request).set_knobs(body)
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None


def _clock_view(request: Request) -> dict[str, Any]:
    clock = sandbox(request).clock
    return {"now": shoptet_time(clock.now()), "epoch": clock.now(), "offsetSeconds": clock.offset}


@router.get("/clock")
async def get_clock(request: Request) -> dict[str, Any]:
    return _clock_view(request)


@router.post("/clock")
async def advance_clock(request: Request, body: ClockIn) -> dict[str, Any]:
    sandbox(request).clock.advance(body.advance_seconds)
    return _clock_view(request)


@router.get("/jobs/{job_id}")
async def job_info(request: Request, job_id: str) -> dict[str, Any]:
    """Job state without counting as a poll, plus what the result file holds."""
    job = sandbox(request).jobs.get(job_id)
    if job is None:
        raise HTTPException(404, f"no job {job_id}")
    return {
        **job.view(),
        "eshopId": job.eshop_id,
        "polls": job.polls,
        "lines": job.lines,
        "bytes": job.bytes,
        "malformedLines": job.malformed,
        "hostileLines": job.hostile,
    }


@router.post("/jobs/{job_id}/expire")
async def expire_job(request: Request, job_id: str) -> dict[str, Any]:
    job = sandbox(request).jobs.expire(job_id)
    if job is None:
        raise HTTPException(404, f"no job {job_id}")
    return job.view()


@router.get("/webhooks/notifications")
async def notifications(request: Request) -> list[dict[str, Any]]:
    return [note.view() for note in sandbox(request).webhooks.notifications]


@router.get("/stats")
async def stats(request: Request) -> dict[str, Any]:
    return sandbox(request).stats_view()


@router.post("/reset")
async def reset(request: Request) -> Response:
    sandbox(request).reset()
    return plain_json({"status": "reset"})
