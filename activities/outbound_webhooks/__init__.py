"""The webhooks queue's activities: one signed POST per attempt, logged; the delivery's end,
which counts the endpoint's failed deliveries and switches it off after too many in a row."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime

import httpx
from sqlalchemy import update
from temporalio import activity

from activities.outbound_webhooks.signing import HEADER, header_value
from activities.outbound_webhooks.ssrf import RefusedTarget, check_target
from db.config import get_settings
from db.engine import session_scope
from db.metering import WEBHOOK_DELIVERIES, BudgetExceeded, charge
from db.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from db.notify import notify
from workflows.outbound_webhooks import AttemptOutcome

log = logging.getLogger(__name__)
USER_AGENT = "shopops-webhooks/1"


async def _meter_delivery(shop_id: int) -> str | None:
    """Count one delivery against the shop's daily budget (db.metering); the reason when the
    budget is used up, so the POST is not sent and the backoff tries again later."""
    try:
        await charge(shop_id, WEBHOOK_DELIVERIES, 1)
    except BudgetExceeded as exc:
        return f"refused: {exc}"
    return None


async def _record(delivery_id: int, attempt: int, code: int | None, error: str | None, started: float) -> None:
    async with session_scope() as session:
        session.add(
            WebhookAttempt(
                delivery_id=delivery_id, attempt=attempt, status_code=code,
                error=error[:2000] if error else None,
                duration_ms=int((time.monotonic() - started) * 1000),
            )
        )
        await session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.id == delivery_id)
            .values(attempts=attempt, last_status_code=code, last_error=error[:2000] if error else None)
        )


@activity.defn(name="attempt_webhook_delivery")
async def attempt_delivery(delivery_id: int, attempt: int) -> AttemptOutcome:
    """POST the stored body, signed now; a 2xx is delivered, anything else a failed attempt."""
    settings = get_settings()
    async with session_scope() as session:
        delivery = await session.get(WebhookDelivery, delivery_id)
        endpoint = await session.get(WebhookEndpoint, delivery.endpoint_id) if delivery else None
        if delivery is None or endpoint is None:
            return AttemptOutcome(delivered=False, status_code=None, stop="the endpoint was deleted")
        if delivery.status != "pending":
            return AttemptOutcome(delivered=delivery.status == "delivered", status_code=delivery.last_status_code,
                                  stop=None if delivery.status == "delivered" else delivery.status)
        if not endpoint.enabled:
            return AttemptOutcome(delivered=False, status_code=None, stop="the endpoint is disabled")
        url, secret, body, event, shop_id = endpoint.url, endpoint.secret, delivery.body, delivery.event, delivery.shop_id
    started = time.monotonic()
    try:
        await check_target(url, settings.outbound_private_allowed)
    except RefusedTarget as exc:
        await _record(delivery_id, attempt, None, f"refused: {exc}", started)
        return AttemptOutcome(delivered=False, status_code=None, stop=f"refused: {exc}")
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        HEADER: header_value(secret, timestamp, body),
        "X-Shopops-Event": event,
        "X-Shopops-Delivery": str(delivery_id),
    }
    if refused := await _meter_delivery(shop_id):
        await _record(delivery_id, attempt, None, refused, started)
        return AttemptOutcome(delivered=False, status_code=None)
    code: int | None = None
    error: str | None = None
    try:
        async with httpx.AsyncClient(
            timeout=settings.outbound_webhook_timeout_seconds, follow_redirects=False, trust_env=False
        ) as client:
            response = await client.post(url, content=body, headers=headers)
        code = response.status_code
        if not 200 <= code < 300:
            error = f"HTTP {code}: {response.text[:200]}"
    except httpx.HTTPError as exc:
        error = f"{type(exc).__name__}: {exc}"[:500]
    await _record(delivery_id, attempt, code, error, started)
    return AttemptOutcome(delivered=error is None, status_code=code)


@activity.defn(name="finish_webhook_delivery")
async def finish_delivery(delivery_id: int, status: str, reason: str | None) -> None:
    """Close the delivery; a delivered one resets its endpoint's failure run, a given-up one
    extends it and may disable the endpoint (with an in-app notification)."""
    disable_after = get_settings().outbound_webhook_disable_after
    async with session_scope() as session:
        delivery = await session.get(WebhookDelivery, delivery_id)
        if delivery is None:
            return
        delivery.status, delivery.finished_at = status, datetime.now(UTC)
        if reason and not delivery.last_error:
            delivery.last_error = reason
        endpoint = await session.get(WebhookEndpoint, delivery.endpoint_id, with_for_update=True)
        if endpoint is None:
            return
        if status == "delivered":
            endpoint.consecutive_failures = 0
        elif status == "gave_up":
            endpoint.consecutive_failures += 1
            if endpoint.enabled and endpoint.consecutive_failures >= disable_after:
                endpoint.enabled = False
                n = endpoint.consecutive_failures
                endpoint.disabled_reason = f"{n} deliveries in a row failed"
                await notify(
                    session,
                    level="warning",
                    kind="outbound_webhooks.disabled",
                    shop_id=endpoint.shop_id,
                    title=f"Webhook endpoint {endpoint.url} was disabled after {n} failed deliveries",
                    title_cs=f"Webhookový endpoint {endpoint.url} byl vypnut po {n} neúspěšných doručeních",
                    body="Fix the endpoint, then enable it again on the Webhooks page; replay the failed deliveries from its log.",
                    body_cs="Opravte endpoint a znovu jej zapněte na stránce Webhooky; neúspěšná doručení pak odešlete znovu z jeho záznamu.",
                    data={"endpoint_id": endpoint.id, "last_error": delivery.last_error},
                )
                log.warning("outbound endpoint %s disabled after %s failed deliveries", endpoint.id, n)


ACTIVITIES = [attempt_delivery, finish_delivery]
