"""Webhook registration: `POST/GET /api/webhooks`, `GET/PATCH/DELETE /api/webhooks/{id}`,
`POST /api/webhooks/renew-signature-key`, with Shoptet's rules (one URL per event → 422,
exclusive event pairs → 409, at most 50 per call → 413).
"""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from infra.sandbox.envelope import ApiError, ok
from infra.sandbox.paging import Selection, paginate
from infra.sandbox.routes.common import current_shop, sandbox
from infra.sandbox.shops import EXCLUSIVE_EVENTS, Installation, Webhook

router = APIRouter()

EVENTS = frozenset(
    [
        "availability:create",
        "availability:delete",
        "availability:update",
        "brand:create",
        "brand:delete",
        "brand:update",
        "category:create",
        "category:delete",
        "category:massCreate",
        "category:massDelete",
        "category:massUpdate",
        "category:update",
        "creditNote:create",
        "creditNote:delete",
        "creditNote:update",
        "customer:create",
        "customer:delete",
        "customer:disableOrders",
        "customer:enableOrders",
        "customer:import",
        "customer:update",
        "deliveryNote:create",
        "deliveryNote:delete",
        "deliveryNote:update",
        "discountCoupon:create",
        "discountCoupon:delete",
        "discountCoupon:massCreate",
        "discountCoupon:massDelete",
        "discountCoupon:update",
        "eshop:billingInformation",
        "eshop:currencies",
        "eshop:design",
        "eshop:mandatoryFields",
        "eshop:projectDomain",
        "eshop:settingsInformation",
        "invoice:create",
        "invoice:delete",
        "invoice:massUpdate",
        "invoice:update",
        "job:finished",
        "order:cancel",
        "order:create",
        "order:delete",
        "order:massCreate",
        "order:massPaid",
        "order:massUpdate",
        "order:paid",
        "order:update",
        "orderHistoryRemarks:change",
        "orderStatusesList:change",
        "pricelist:create",
        "pricelist:delete",
        "product:create",
        "product:delete",
        "product:massCreate",
        "product:massDelete",
        "product:massUpdate",
        "product:update",
        "productVariant:create",
        "productVariant:delete",
        "productVariant:massCreate",
        "productVariant:massDelete",
        "productVariant:massUpdate",
        "productVariant:update",
        "productVariantPrice:massUpdate",
        "productVariantPrice:update",
        "proformaInvoice:create",
        "proformaInvoice:delete",
        "proformaInvoice:update",
        "proofPayment:create",
        "proofPayment:delete",
        "proofPayment:update",
        "quantityDiscount:create",
        "quantityDiscount:delete",
        "quantityDiscount:massDelete",
        "quantityDiscount:massUpdate",
        "quantityDiscount:update",
        "shipment:create",
        "shipment:fail",
        "shipment:update",
        "stock:inStock",
        "stock:minStockSupplyReached",
        "stock:movement",
        "stock:soldOut",
        "supplier:create",
        "supplier:delete",
        "supplier:update",
        "warranty:create",
        "warranty:delete",
        "warranty:update",
    ]
)


def _installation(request: Request) -> Installation:
    installation = current_shop(request).installation
    assert installation is not None, "the gate only admits tokens of installed shops"
    return installation


async def _body(request: Request) -> Any:
    try:
        return orjson.loads(await request.body())
    except orjson.JSONDecodeError:
        raise ApiError(
            422, "invalid-request-data", "Request body is not valid JSON.", "data"
        ) from None


def _registration(entry: Any, n: int) -> tuple[str, str, str | None]:
    if not isinstance(entry, dict):
        raise ApiError(422, "invalid-request-data", "Each webhook must be an object.", f"data.{n}")
    event, url, payload = entry.get("event"), entry.get("url"), entry.get("sendPayload")
    if not isinstance(event, str) or event not in EVENTS:
        raise ApiError(
            422, "invalid-request-data", f"Unknown webhook event {event!r}.", f"data.{n}.event"
        )
    if not isinstance(url, str) or not url.startswith(("http://", "https://")) or len(url) > 2000:
        raise ApiError(
            422,
            "invalid-request-data",
            "Webhook url must be an http(s) URL of at most 2000 characters.",
            f"data.{n}.url",
        )
    if payload not in (None, "full"):
        raise ApiError(
            422,
            "invalid-request-data",
            "sendPayload must be 'full' or null.",
            f"data.{n}.sendPayload",
        )
    return event, url, payload


@router.post("/api/webhooks")
async def register_webhooks(request: Request) -> Response:
    installation = _installation(request)
    body = await _body(request)
    entries = body.get("data") if isinstance(body, dict) else None
    if not isinstance(entries, list) or not entries:
        raise ApiError(
            422, "invalid-request-data", 'Body must be {"data": [{"event", "url"}, ...]}.', "data"
        )
    if len(entries) > 50:
        raise ApiError(
            413,
            "too-many-entities",
            f"At most 50 webhooks per request, got {len(entries)}.",
            "data",
        )
    wanted = [_registration(entry, n) for n, entry in enumerate(entries)]
    events = {w.event for w in installation.webhooks.values()}
    for n, (event, _, _) in enumerate(wanted):
        if event in events:
            raise ApiError(
                422,
                "webhook-exists",
                f'Webhook already exists for this event "{event}".',
                f"data.{n}.event",
            )
        events.add(event)
    for pair in EXCLUSIVE_EVENTS:
        if pair <= events:
            a, b = sorted(pair)
            raise ApiError(
                409,
                "webhook-event-conflict",
                f'Events "{a}" and "{b}" cannot be registered together.',
                "data",
            )
    state = sandbox(request)
    now = state.clock.now()
    created = []
    for event, url, payload in wanted:
        hook = Webhook(
            id=state.next_webhook_id(), event=event, url=url, created=now, send_payload=payload
        )
        installation.webhooks[hook.id] = hook
        created.append(hook.view())
    return ok(request, {"webhooks": created}, status=201)


@router.get("/api/webhooks")
async def list_webhooks(request: Request) -> Response:
    hooks = sorted(_installation(request).webhooks.values(), key=lambda w: w.id)
    ids, page = paginate(request.query_params, "webhooks", Selection(lo=0, hi=len(hooks)))
    rows = [hooks[i].view() for i in ids]
    return ok(request, {"webhooks": rows, "paginator": page.paginator(len(rows))})


@router.post("/api/webhooks/renew-signature-key")
async def renew_signature_key(request: Request) -> Response:
    installation = _installation(request)
    installation.signature_key = sandbox(request).new_signature_key()
    return ok(request, {"signatureKey": installation.signature_key})


def _webhook(request: Request, webhook_id: str) -> Webhook:
    hooks = _installation(request).webhooks
    hook = hooks.get(int(webhook_id)) if webhook_id.isdigit() else None
    if hook is None:
        raise ApiError(
            404, "webhook-not-found", f'Webhook with id "{webhook_id}" not found.', webhook_id
        )
    return hook


@router.get("/api/webhooks/{webhook_id}")
async def webhook_detail(request: Request, webhook_id: str) -> Response:
    return ok(request, {"webhook": _webhook(request, webhook_id).view()})


@router.patch("/api/webhooks/{webhook_id}")
async def update_webhook(request: Request, webhook_id: str) -> Response:
    hook = _webhook(request, webhook_id)
    body = await _body(request)
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, dict):
        raise ApiError(
            422, "invalid-request-data", 'Body must be {"data": {"url", "sendPayload"}}.', "data"
        )
    _, url, payload = _registration(
        {
            "event": hook.event,
            "url": data.get("url", hook.url),
            "sendPayload": data.get("sendPayload", hook.send_payload),
        },
        0,
    )
    hook.url, hook.send_payload, hook.updated = url, payload, sandbox(request).clock.now()
    return ok(request, {"webhook": hook.view()})


@router.delete("/api/webhooks/{webhook_id}")
async def delete_webhook(request: Request, webhook_id: str) -> Response:
    hook = _webhook(request, webhook_id)
    del _installation(request).webhooks[hook.id]
    return ok(request, None)
