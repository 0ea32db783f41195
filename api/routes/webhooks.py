"""Shoptet's webhook receiver, and the list of received events for the UI."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import select

from api.common.params import ShortText
from api.deps import SessionDep, ShopOfCaller
from api.pagination import Page, page_by_id
from api.problems import problem_response
from api.services import webhooks
from db.models import WebhookEvent
from infra.temporal import connect

router = APIRouter(tags=["webhooks"])


@router.post("/api/webhooks/shoptet", response_model=None)
async def shoptet_webhook(request: Request, session: SessionDep) -> JSONResponse:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > webhooks.MAX_BODY:
        return _too_large()
    body = b""
    async for chunk in request.stream():  # read at most MAX_BODY, whatever the header said
        body += chunk
        if len(body) > webhooks.MAX_BODY:
            return _too_large()
    intake = await webhooks.receive(session, body, request.headers.get(webhooks.SIGNATURE_HEADER))
    if intake.status != 200:
        return problem_response(intake.status, intake.title, intake.detail)
    if intake.event is not None and intake.event.status == "received":
        await webhooks.dispatch(session, await connect(), intake.event)
    elif intake.event is not None and intake.event.status == "duplicate" and webhooks.synced_resource(intake.event):
        await webhooks.nudge_again(session, await connect(), intake.event)
    return JSONResponse({"status": intake.title.lower(), "id": intake.event.id if intake.event else None})


def _too_large() -> JSONResponse:
    return problem_response(
        413, "Webhook too large", f"A Shoptet notification is at most {webhooks.MAX_BODY} bytes."
    )


class WebhookEventOut(BaseModel):
    id: int
    event: str | None
    event_instance: str | None
    event_created: datetime | None
    status: str
    reason: str | None
    received_at: datetime
    dispatched_at: datetime | None
    raw_body: str


@router.get("/api/shops/{shop_id}/webhook-events")
async def list_events(
    shop: ShopOfCaller,
    session: SessionDep,
    status: Annotated[list[ShortText] | None, Query()] = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Page[WebhookEventOut]:
    query = select(WebhookEvent).where(WebhookEvent.shop_id == shop.id)
    if status:
        query = query.where(WebhookEvent.status.in_(status))
    return await page_by_id(session, query, WebhookEvent.id, cursor, limit, _event_out)


def _event_out(r: WebhookEvent) -> WebhookEventOut:
    return WebhookEventOut(
        id=r.id, event=r.event, event_instance=r.event_instance, event_created=r.event_created,
        status=r.status, reason=r.reason, received_at=r.received_at, dispatched_at=r.dispatched_at,
        raw_body=r.raw_body.decode("utf-8", errors="replace"),
    )
