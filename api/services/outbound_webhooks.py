"""Merchants' webhook endpoints: register, change, delete; their delivery log; replay."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client

from activities.outbound_webhooks.events import EVENTS, body_for, start_deliveries
from activities.outbound_webhooks.signing import new_secret
from activities.outbound_webhooks.ssrf import RefusedTarget, check_target
from api.problems import Problem
from db.config import get_settings
from db.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint


class EndpointOut(BaseModel):
    id: int
    url: str
    description: str | None
    events: list[str]
    enabled: bool
    disabled_reason: str | None
    consecutive_failures: int
    created_at: datetime


class EndpointCreated(EndpointOut):
    secret: str  # shown once: the merchant stores it to verify signatures


class DeliveryOut(BaseModel):
    id: int
    event: str
    event_id: str
    status: str
    attempts: int
    last_status_code: int | None
    last_error: str | None
    replay_of: int | None
    created_at: datetime
    finished_at: datetime | None


class AttemptOut(BaseModel):
    attempt: int
    status_code: int | None
    error: str | None
    duration_ms: int
    attempted_at: datetime


def _endpoint(row: WebhookEndpoint) -> EndpointOut:
    return EndpointOut(
        id=row.id, url=row.url, description=row.description, events=list(row.events),
        enabled=row.enabled, disabled_reason=row.disabled_reason,
        consecutive_failures=row.consecutive_failures, created_at=row.created_at,
    )


def _delivery(row: WebhookDelivery) -> DeliveryOut:
    return DeliveryOut.model_validate(row, from_attributes=True)


async def _check_url(url: str) -> None:
    try:
        await check_target(url, get_settings().outbound_private_allowed)
    except RefusedTarget as exc:
        raise Problem(422, "Endpoint URL refused", f"url: {exc}") from exc


def _check_events(events: list[str]) -> list[str]:
    unknown = sorted(set(events) - set(EVENTS))
    if unknown:
        raise Problem(422, "Unknown event", f"events: {', '.join(unknown)} not among {', '.join(EVENTS)}")
    return sorted(set(events))


async def endpoints(session: AsyncSession, shop_id: int) -> list[EndpointOut]:
    rows = (
        await session.execute(
            select(WebhookEndpoint).where(WebhookEndpoint.shop_id == shop_id).order_by(WebhookEndpoint.id)
        )
    ).scalars()
    return [_endpoint(r) for r in rows]


async def create(session: AsyncSession, shop_id: int, url: str, events: list[str], description: str | None) -> EndpointCreated:
    await _check_url(url)
    secret = new_secret()
    row = WebhookEndpoint(shop_id=shop_id, url=url, events=_check_events(events), description=description, secret=secret)
    session.add(row)
    await session.commit()
    await session.refresh(row)
    return EndpointCreated(**_endpoint(row).model_dump(), secret=secret)


async def _own(session: AsyncSession, shop_id: int, endpoint_id: int) -> WebhookEndpoint:
    row = await session.get(WebhookEndpoint, endpoint_id)
    if row is None or row.shop_id != shop_id:
        raise Problem(404, "Endpoint not found", f"No webhook endpoint {endpoint_id} in this shop.")
    return row


async def update(
    session: AsyncSession, shop_id: int, endpoint_id: int, *, url: str | None, events: list[str] | None,
    description: str | None, enabled: bool | None,
) -> EndpointOut:
    row = await _own(session, shop_id, endpoint_id)
    if url is not None:
        await _check_url(url)
        row.url = url
    if events is not None:
        row.events = _check_events(events)
    if description is not None:
        row.description = description
    if enabled is not None:
        if enabled and not row.enabled:  # switched on again: a fresh run of failures
            row.consecutive_failures, row.disabled_reason = 0, None
        row.enabled = enabled
        if not enabled and row.disabled_reason is None:
            row.disabled_reason = "switched off by a user"
    await session.commit()
    await session.refresh(row)
    return _endpoint(row)


async def delete(session: AsyncSession, shop_id: int, endpoint_id: int) -> None:
    row = await _own(session, shop_id, endpoint_id)
    await session.delete(row)
    await session.commit()


async def deliveries(session: AsyncSession, shop_id: int, endpoint_id: int, limit: int) -> list[DeliveryOut]:
    await _own(session, shop_id, endpoint_id)
    rows = (
        await session.execute(
            select(WebhookDelivery)
            .where(WebhookDelivery.endpoint_id == endpoint_id)
            .order_by(WebhookDelivery.id.desc())
            .limit(limit)
        )
    ).scalars()
    return [_delivery(r) for r in rows]


async def _own_delivery(session: AsyncSession, shop_id: int, endpoint_id: int, delivery_id: int) -> WebhookDelivery:
    await _own(session, shop_id, endpoint_id)
    row = await session.get(WebhookDelivery, delivery_id)
    if row is None or row.endpoint_id != endpoint_id:
        raise Problem(404, "Delivery not found", f"No delivery {delivery_id} to endpoint {endpoint_id}.")
    return row


async def attempts(session: AsyncSession, shop_id: int, endpoint_id: int, delivery_id: int) -> list[AttemptOut]:
    await _own_delivery(session, shop_id, endpoint_id, delivery_id)
    rows = (
        await session.execute(
            select(WebhookAttempt).where(WebhookAttempt.delivery_id == delivery_id).order_by(WebhookAttempt.attempt)
        )
    ).scalars()
    return [AttemptOut.model_validate(r, from_attributes=True) for r in rows]


async def replay(session: AsyncSession, client: Client, shop_id: int, endpoint_id: int, delivery_id: int) -> DeliveryOut:
    """Send the same event (same bytes, same event id, a fresh signature) again, as a new
    delivery with a log of its own."""
    original = await _own_delivery(session, shop_id, endpoint_id, delivery_id)
    endpoint = await _own(session, shop_id, endpoint_id)
    if not endpoint.enabled:
        raise Problem(409, "Endpoint disabled", "Enable the endpoint before replaying deliveries to it.")
    copy = WebhookDelivery(
        endpoint_id=endpoint_id, shop_id=shop_id, event=original.event, event_id=original.event_id,
        body=original.body, replay_of=original.id,
    )
    session.add(copy)
    await session.commit()
    await session.refresh(copy)
    await start_deliveries([copy.id], client)
    return _delivery(copy)


async def send_ping(session: AsyncSession, client: Client, shop_id: int, endpoint_id: int) -> DeliveryOut:
    """A `ping` event to this endpoint alone, to test it."""
    endpoint = await _own(session, shop_id, endpoint_id)
    event_id = "evt_" + uuid.uuid4().hex
    row = WebhookDelivery(
        endpoint_id=endpoint.id, shop_id=shop_id, event="ping", event_id=event_id,
        body=body_for("ping", event_id, shop_id, {"endpoint_id": endpoint.id}, datetime.now(UTC)),
    )
    session.add(row)
    await session.commit()
    await session.refresh(row)
    await start_deliveries([row.id], client)
    return _delivery(row)
