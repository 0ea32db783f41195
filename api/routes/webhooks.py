"""Shoptet's webhook receiver, and the list of received events for the UI."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import select

from api.deps import SessionDep, ShopOfCaller
from api.pagination import Page, page_by_id
from api.problems import problem_response
from api.services import webhooks
from db.models import WebhookEvent
from infra.temporal_client import connect

router = APIRouter(tags=["webhooks"])


@router.post("/api/webhooks/shoptet", response_model=webhooks.ReceivedOut)
async def shoptet_webhook(
    request: Request, session: SessionDep
) -> webhooks.ReceivedOut | JSONResponse:
    given = request.headers.get(webhooks.SIGNATURE_HEADER)
    body, size = await _read_at_most(request, webhooks.MAX_BODY)
    if size > webhooks.MAX_BODY:
        intake = await webhooks.reject_oversized(session, body, size, given)
    else:
        intake = await webhooks.receive(session, body, given, datetime.now(UTC))
    if intake.status != 200:
        return problem_response(intake.status, intake.title, intake.detail)
    if intake.event is not None and intake.event.status == "received":
        # a sync nudge waits for the shop's trailing trigger (coalesced); the rest now
        if not await webhooks.coalesce(intake.event):
            await webhooks.dispatch(session, connect, intake.event.id)
    elif intake.event is not None and intake.event.status == "duplicate" and webhooks.synced_resource(intake.event):
        await webhooks.nudge_again(session, connect, intake.event)
    return intake.answer()


async def _read_at_most(request: Request, limit: int) -> tuple[bytes, int]:
    """The body if it is at most `limit` bytes; else its head and a size over the limit (the
    rest is not read: a 20 MB body costs 64 KB of memory)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return b"", int(declared)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            break
    return b"".join(chunks)[: limit + 1], size


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
    status: Annotated[list[str] | None, Query()] = None,
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
