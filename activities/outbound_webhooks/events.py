"""Publish an event to the merchant's endpoints: one delivery row per subscribed endpoint,
then one delivery workflow each on the webhooks queue.

The rows are written first, so a delivery whose workflow could not be started (Temporal down)
is still there, `pending`, for `start_pending` to start later; the workflow id is the delivery
id, so starting twice is harmless.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from db.config import get_settings
from db.engine import session_scope
from db.models import WebhookDelivery, WebhookEndpoint
from workflows.outbound_webhooks import DeliveryRequest, OutboundDeliveryWorkflow, workflow_id
from workflows.queues import Queue

log = logging.getLogger(__name__)

# every event a merchant can subscribe to, with what it means
EVENTS: dict[str, str] = {
    "order.created": "a new order arrived from Shoptet",
    "order.changed": "a stored order changed in Shoptet (status, payment, items…)",
    "stock.low": "the nightly plan found variants at or below their reorder point",
    "snapshot.finished": "a full snapshot of a resource finished",
    "purchase_order.received": "a purchase order was received in full",
    "ping": "a test event sent from the endpoints page",
}


def body_for(event: str, event_id: str, shop_id: int, data: dict[str, Any], at: datetime) -> bytes:
    return orjson.dumps(
        {"id": event_id, "type": event, "created_at": at.isoformat(), "shop_id": shop_id, "data": data}
    )


async def record_events(
    session: AsyncSession, shop_id: int, events: Sequence[tuple[str, dict[str, Any]]]
) -> list[int]:
    """Delivery rows for `events` to the shop's enabled endpoints subscribed to them (ids)."""
    if not events:
        return []
    endpoints = (
        await session.execute(
            select(WebhookEndpoint.id, WebhookEndpoint.events).where(
                WebhookEndpoint.shop_id == shop_id, WebhookEndpoint.enabled
            )
        )
    ).all()
    if not endpoints:
        return []
    now = datetime.now(UTC)
    rows: list[WebhookDelivery] = []
    for event, data in events:
        event_id = "evt_" + uuid.uuid4().hex
        body = body_for(event, event_id, shop_id, data, now)
        for endpoint_id, subscribed in endpoints:
            if event in subscribed or event == "ping":
                rows.append(
                    WebhookDelivery(
                        endpoint_id=endpoint_id, shop_id=shop_id, event=event,
                        event_id=event_id, body=body,
                    )
                )
    session.add_all(rows)
    await session.flush()
    return [r.id for r in rows]


def delivery_request(delivery_id: int) -> DeliveryRequest:
    s = get_settings()
    return DeliveryRequest(
        delivery_id=delivery_id,
        backoff_seconds=s.outbound_webhook_backoff_seconds,
        max_backoff_seconds=s.outbound_webhook_max_backoff_seconds,
        retry_seconds=s.outbound_webhook_retry_hours * 3600,
    )


async def start_deliveries(ids: Sequence[int], client: Client | None = None) -> int:
    """Start a delivery workflow for each id (already started ones are left alone)."""
    if not ids:
        return 0
    if client is None:
        from infra.temporal_client import connect

        client = await connect()
    started = 0
    for delivery_id in ids:
        try:
            await client.start_workflow(
                OutboundDeliveryWorkflow.run,
                delivery_request(delivery_id),
                id=workflow_id(delivery_id),
                task_queue=Queue.WEBHOOKS.value,
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            )
            started += 1
        except WorkflowAlreadyStartedError:
            pass
    return started


async def publish(shop_id: int, events: Sequence[tuple[str, dict[str, Any]]]) -> list[int]:
    """Record and start the deliveries of `events`; never raises: an event is a side effect
    of work that already succeeded, and a delivery left pending is started by `start_pending`."""
    try:
        async with session_scope() as session:
            ids = await record_events(session, shop_id, events)
        await start_deliveries(ids)
        return ids
    except Exception:
        log.exception("outbound webhooks: publishing %s for shop %s failed", [e for e, _ in events], shop_id)
        return []


async def start_pending(client: Client | None = None, older_than_s: float = 60) -> int:
    """Start the workflows of deliveries still pending without one (publishing found Temporal
    down); run by `shopops` maintenance, safe to repeat."""
    async with session_scope() as session:
        ids = list(
            (
                await session.execute(
                    select(WebhookDelivery.id)
                    .where(WebhookDelivery.status == "pending", WebhookDelivery.attempts == 0)
                    .where(
                        WebhookDelivery.created_at
                        < datetime.now(UTC) - timedelta(seconds=older_than_s)
                    )
                    .order_by(WebhookDelivery.id)
                    .limit(1000)
                )
            ).scalars()
        )
    return await start_deliveries(ids, client)
