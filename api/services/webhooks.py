"""Shoptet webhook intake: verify, store durably, deduplicate, then dispatch.

The raw body is stored before we answer, so nothing Shoptet sends is ever lost; dispatch is a
nudge (signal a waiting snapshot, start a sync early), never the only path to correctness.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import orjson
from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client

from db.models import Installation, Shop, SnapshotRun, WebhookEvent
from workflows.snapshots import SnapshotWorkflow

log = logging.getLogger(__name__)
SIGNATURE_HEADER = "Shoptet-Webhook-Signature"
DISPATCH_BUDGET = 2.5  # seconds; Shoptet wants the answer within 4
# an event still `received` (the API died between storing and dispatching it) or `failed`
# (Temporal was away) this long after arrival is dispatched again, for up to REDISPATCH_WITHIN
REDISPATCH_AFTER = timedelta(seconds=30)
REDISPATCH_WITHIN = timedelta(hours=6)
SYNC_PREFIXES = {"order": "orders", "product": "products", "productVariant": "products",
                 "customer": "customers", "stock": "stock"}


def signature(key: str, body: bytes) -> str:
    """Lowercase hex HMAC-SHA1 of the raw body, as Shoptet signs it."""
    return hmac.new(key.encode(), body, hashlib.sha1).hexdigest()


def signature_matches(key: str, body: bytes, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(signature(key, body), given.strip().lower())


@dataclass
class Intake:
    status: int  # HTTP status to answer
    title: str
    detail: str
    event: WebhookEvent | None = None


@dataclass(frozen=True)
class Notification:
    eshop_id: int
    event: str
    event_created: datetime
    event_instance: str


def parse(body: bytes) -> Notification:
    """Shoptet's notification: {eshopId, event, eventCreated, eventInstance}; ValueError if not."""
    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise ValueError(f"body is not JSON: {exc}") from None
    if not isinstance(doc, dict):
        raise ValueError("body must be a JSON object")
    eshop_id, event, created, instance = (
        doc.get("eshopId"), doc.get("event"), doc.get("eventCreated"), doc.get("eventInstance"),
    )
    if not isinstance(eshop_id, int) or isinstance(eshop_id, bool) or eshop_id <= 0:
        raise ValueError("eshopId must be a positive integer")
    if not isinstance(event, str) or ":" not in event:
        raise ValueError("event must be a string like 'order:create'")
    if not isinstance(instance, str):
        raise ValueError("eventInstance must be a string")
    if not isinstance(created, str):
        raise ValueError("eventCreated must be a date-time string")
    try:
        when = datetime.strptime(created, "%Y-%m-%dT%H:%M:%S%z")
    except ValueError:
        try:
            when = datetime.fromisoformat(created)
        except ValueError:
            raise ValueError(f"eventCreated is not a date-time: {created!r}") from None
    if when.tzinfo is None:
        raise ValueError("eventCreated needs a UTC offset")
    return Notification(eshop_id, event, when, instance)


async def _store_rejected(session: AsyncSession, body: bytes, reason: str, given: str | None,
                          shop: Shop | None = None, note: Notification | None = None) -> WebhookEvent:
    row = WebhookEvent(
        shop_id=shop.id if shop else None,
        eshop_id=note.eshop_id if note else None,
        event=note.event if note else None,
        event_instance=note.event_instance if note else None,
        event_created=note.event_created if note else None,
        raw_body=body,
        signature=(given or "")[:100] or None,
        status="rejected",
        reason=reason,
    )
    session.add(row)
    await session.commit()
    return row


async def receive(session: AsyncSession, body: bytes, given: str | None) -> Intake:
    """Verify and store one notification; the caller answers with `Intake.status`."""
    try:
        note = parse(body)
    except ValueError as exc:
        await _store_rejected(session, body, f"malformed: {exc}", given)
        return Intake(422, "Malformed webhook", str(exc))
    found = (
        await session.execute(
            select(Shop, Installation)
            .join(Installation, Installation.shop_id == Shop.id)
            .where(Shop.eshop_id == note.eshop_id)
        )
    ).first()
    if found is None:
        await _store_rejected(session, body, "unknown shop", given, note=note)
        return Intake(404, "Unknown shop", f"No installation for eshopId {note.eshop_id}.")
    shop, installation = found
    key = installation.webhook_key
    if key is None or not signature_matches(key, body, given):
        reason = "no signature key renewed yet" if key is None else (
            "missing signature" if not given else "bad signature")
        await _store_rejected(session, body, reason, given, shop, note)
        return Intake(401, "Invalid signature", f"The {SIGNATURE_HEADER} header does not match the body.")
    values = dict(
        shop_id=shop.id, eshop_id=note.eshop_id, event=note.event, event_instance=note.event_instance,
        event_created=note.event_created, raw_body=body, signature=given, status="received",
    )
    stored = (
        await session.execute(
            insert(WebhookEvent)
            .values(**values)
            .on_conflict_do_nothing(
                index_elements=["eshop_id", "event", "event_instance", "event_created"],
                index_where=WebhookEvent.status.in_(("received", "dispatched", "failed")),
            )
            .returning(WebhookEvent.id)
        )
    ).scalar_one_or_none()
    if stored is None:
        duplicate = WebhookEvent(**{**values, "status": "duplicate", "reason": "already received"})
        session.add(duplicate)
        await session.commit()
        return Intake(200, "Duplicate", "Already received; ignored.", duplicate)
    await session.commit()
    event = await session.get(WebhookEvent, stored)
    return Intake(200, "Received", "Stored.", event)


async def dispatch(session: AsyncSession, client: Client, event: WebhookEvent) -> None:
    """Act on a stored event within the answer budget; record the outcome on the row."""
    try:
        async with asyncio.timeout(DISPATCH_BUDGET):
            reason = await _dispatch(session, client, event)
        status = "dispatched"
    except Exception as exc:
        log.warning("webhook %s (%s) dispatch failed: %s", event.id, event.event, exc)
        status, reason = "failed", f"dispatch failed: {type(exc).__name__}: {exc}"[:2000]
    await session.execute(
        update(WebhookEvent)
        .where(WebhookEvent.id == event.id)
        .values(status=status, reason=reason, dispatched_at=datetime.now(UTC))
    )
    await session.commit()


async def redispatch_stale(session: AsyncSession, client: Client, now: datetime, limit: int = 200) -> int:
    """Dispatch events that were stored but never acted on; returns how many.

    Shoptet stops retrying once it got its 200, or after a few attempts, so an API killed
    between storing and dispatching, or a dispatch that failed while Temporal restarted, would
    leave the event unprocessed for good. A dispatch is a nudge (a signal the workflow
    tolerates twice, a coalesced sync start), so repeating one that raced is harmless."""
    stale = (
        await session.execute(
            select(WebhookEvent)
            .where(
                WebhookEvent.status.in_(("received", "failed")),
                WebhookEvent.shop_id.is_not(None),
                WebhookEvent.received_at < now - REDISPATCH_AFTER,
                WebhookEvent.received_at > now - REDISPATCH_WITHIN,
            )
            .order_by(WebhookEvent.id)
            .limit(limit)
        )
    ).scalars().all()
    for event in stale:
        await dispatch(session, client, event)
    return len(stale)


async def redispatch_forever(every: float = REDISPATCH_AFTER.total_seconds()) -> None:
    """The API's background loop around `redispatch_stale`."""
    from db.engine import session_factory
    from infra.temporal import connect

    while True:
        await asyncio.sleep(every)
        try:
            async with session_factory()() as session:
                count = await redispatch_stale(session, await connect(), datetime.now(UTC))
            if count:
                log.info("dispatched %s stored webhook events again", count)
        except Exception as exc:  # the database or Temporal is away: the next round retries
            log.warning("re-dispatching stored webhook events failed: %s", exc)


def synced_resource(event: WebhookEvent) -> str | None:
    """The resource whose sync this event nudges (None: not a sync event)."""
    return SYNC_PREFIXES.get((event.event or "").split(":", 1)[0])


async def nudge_again(session: AsyncSession, client: Client, event: WebhookEvent) -> None:
    """A duplicate of an order/product/customer/stock notification still nudges its sync.

    `eventCreated` has whole seconds, so two changes of one order within a second arrive as
    identical bodies, indistinguishable from a redelivery. The pass the first one started may
    have read the feed before the second change; without another nudge that change would wait
    for the next scheduled pass. The schedule coalesces nudges (BUFFER_ONE), so a true
    redelivery costs at most the one extra pass any notification may cause. The row stays
    `duplicate`; its reason records the nudge."""
    resource = synced_resource(event)
    if resource is None or event.shop_id is None:
        return
    from api.services.sync import nudge_sync

    try:
        async with asyncio.timeout(DISPATCH_BUDGET):
            await nudge_sync(client, event.shop_id, resource, reason=f"{event.event} (repeated)")
        reason = f"already received; nudged {resource} sync again"
    except Exception as exc:
        log.warning("webhook %s (%s) repeated nudge failed: %s", event.id, event.event, exc)
        reason = f"already received; nudge failed: {type(exc).__name__}: {exc}"[:2000]
    await session.execute(update(WebhookEvent).where(WebhookEvent.id == event.id).values(reason=reason))
    await session.commit()


async def _dispatch(session: AsyncSession, client: Client, event: WebhookEvent) -> str:
    kind = (event.event or "").split(":", 1)[0]
    assert event.shop_id is not None
    if event.event == "job:finished":
        run = (
            await session.execute(
                select(SnapshotRun)
                .where(SnapshotRun.shop_id == event.shop_id, SnapshotRun.job_id == event.event_instance)
                .order_by(SnapshotRun.id.desc())
            )
        ).scalars().first()
        if run is None:
            return "no snapshot run waits for this job (polling will find it)"
        if run.status not in ("pending", "running"):
            return f"snapshot run {run.id} is already {run.status}"
        await client.get_workflow_handle(run.workflow_id).signal(SnapshotWorkflow.job_finished, event.event_instance)
        return f"signalled snapshot run {run.id}"
    if kind == "addon":
        from api.services.installation import on_addon_event

        shop = await session.get(Shop, event.shop_id)
        assert shop is not None
        await on_addon_event(client, session, shop, event.event or "")
        return f"addon event applied to shop {shop.id}"
    if kind in SYNC_PREFIXES:
        from api.services.sync import nudge_sync

        await nudge_sync(client, event.shop_id, SYNC_PREFIXES[kind], reason=event.event or "")
        return f"nudged {SYNC_PREFIXES[kind]} sync"
    return "no action for this event"
