"""Per-shop sync schedules, and the only two ways to ask for a sync pass outside them.

Each shop has one Temporal Schedule per resource, `sync:{shop}:{resource}`, and every
SyncWorkflow run is started by it, so the schedule alone decides whether a pass runs and
two passes of one shop and resource never overlap:

- `start_sync` (people, CLI, API): trigger with overlap SKIP. Any number of concurrent
  requests while a pass runs, or arriving together, produce one run.
- `nudge_sync` (webhooks): trigger with overlap BUFFER_ONE. During a running pass one more
  is buffered and the rest are dropped, so a storm of notifications costs at most one extra
  pass, and a change that arrived after the running pass read the feed is still picked up.

Signal-with-start on a fixed workflow id would also coalesce, but then scheduled runs (whose
ids the schedule suffixes with a timestamp) and nudged runs would be two families that can
overlap; routing everything through the schedule keeps a single owner.
"""

from __future__ import annotations

import logging
import zlib
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleIntervalSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleSpec,
    ScheduleState,
)
from temporalio.service import RPCError, RPCStatusCode

from db.app_settings import get_setting
from db.models import Shop
from infra.temporal_client import create_or_update_schedule
from workflows import search_attributes
from workflows.queues import Queue
from workflows.sync import RESOURCES, SyncRequest, SyncWorkflow, sync_id

log = logging.getLogger(__name__)

# Webhook event prefix (before the colon) -> the resource whose sync it nudges.
EVENT_RESOURCES = {
    "order": "orders",
    "product": "products",
    "productVariant": "products",
    "customer": "customers",
    "stock": "stock",
}


class SyncNotScheduled(LookupError):
    """The shop has no sync schedule (not installed, uninstalled)."""


def resource_for_event(event: str) -> str | None:
    """`order:update` -> `orders`; None for events that do not concern a synced resource."""
    return EVENT_RESOURCES.get(event.split(":", 1)[0])


def _check(resource: str) -> None:
    if resource not in RESOURCES:
        raise ValueError(f"unknown sync resource {resource!r}; one of {', '.join(RESOURCES)}")


def _offset(shop_id: int, resource: str, every: timedelta) -> timedelta:
    """Spread shops over the interval so they do not all hit Shoptet at the same second."""
    seconds = int(every.total_seconds())
    return timedelta(seconds=zlib.crc32(f"{shop_id}:{resource}".encode()) % seconds) if seconds > 1 else timedelta(0)


def sync_schedule(shop_id: int, resource: str, every: timedelta, *, paused: bool = False) -> Schedule:
    return Schedule(
        action=ScheduleActionStartWorkflow(
            SyncWorkflow.run,
            SyncRequest(shop_id, resource),
            id=sync_id(shop_id, resource),
            task_queue=Queue.SYNC.value,
            typed_search_attributes=search_attributes.for_run("sync", shop_id, resource),
        ),
        spec=ScheduleSpec(
            intervals=[ScheduleIntervalSpec(every=every, offset=_offset(shop_id, resource, every))]
        ),
        policy=SchedulePolicy(
            overlap=ScheduleOverlapPolicy.SKIP,
            # after an outage run once, not once per missed interval
            catchup_window=max(every, timedelta(minutes=1)),
        ),
        state=ScheduleState(paused=paused, note="shop suspended" if paused else None),
    )


async def ensure_sync_schedules(
    client: Client, session: AsyncSession, shop_id: int, *, every: timedelta | None = None
) -> timedelta:
    """Create or update the shop's four schedules (idempotent); paused while it is suspended.

    The interval is the setting `sync.interval_minutes` (per shop); run this again after
    changing it. `every` overrides it (tests, one-off tuning).
    """
    shop = await session.get(Shop, shop_id)
    if shop is None:
        raise SyncNotScheduled(f"shop {shop_id} does not exist")
    if every is None:
        every = timedelta(minutes=int(await get_setting(session, "sync.interval_minutes", shop_id)))
    if every <= timedelta(0):
        raise ValueError(f"sync interval must be positive, got {every}")
    paused = shop.status == "suspended"
    for resource in RESOURCES:
        schedule = sync_schedule(shop_id, resource, every, paused=paused)
        # the shop's status decides the pause, so the declared state replaces the current one
        await create_or_update_schedule(
            client, sync_id(shop_id, resource), schedule, keep_state=False
        )
    return every


async def _each_schedule(client: Client, shop_id: int, action: str, note: str) -> int:
    """Pause, unpause or delete the shop's schedules; missing ones are skipped."""
    done = 0
    for resource in RESOURCES:
        handle = client.get_schedule_handle(sync_id(shop_id, resource))
        try:
            if action == "pause":
                await handle.pause(note=note)
            elif action == "unpause":
                await handle.unpause(note=note)
            else:
                await handle.delete()
            done += 1
        except RPCError as exc:
            if exc.status != RPCStatusCode.NOT_FOUND:
                raise
    return done


async def pause_sync(client: Client, shop_id: int, note: str) -> int:
    return await _each_schedule(client, shop_id, "pause", note)


async def resume_sync(client: Client, shop_id: int, note: str) -> int:
    return await _each_schedule(client, shop_id, "unpause", note)


async def remove_sync(client: Client, shop_id: int) -> int:
    return await _each_schedule(client, shop_id, "delete", "")


async def _trigger(client: Client, shop_id: int, resource: str, overlap: ScheduleOverlapPolicy) -> None:
    _check(resource)
    try:
        await client.get_schedule_handle(sync_id(shop_id, resource)).trigger(overlap=overlap)
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            raise SyncNotScheduled(
                f"shop {shop_id} has no {resource} sync schedule; is the addon installed?"
            ) from exc
        raise


async def start_sync(client: Client, shop_id: int, resource: str) -> None:
    """Run a pass now unless one is running (then that one is the answer)."""
    await _trigger(client, shop_id, resource, ScheduleOverlapPolicy.SKIP)


async def nudge_sync(client: Client, shop_id: int, resource: str, reason: str) -> None:
    """A webhook says `resource` changed: one pass soon, storms coalesced into at most one extra."""
    try:
        await _trigger(client, shop_id, resource, ScheduleOverlapPolicy.BUFFER_ONE)
    except SyncNotScheduled as exc:
        log.info("nudge for shop %s %s (%s) ignored: %s", shop_id, resource, reason, exc)
        return
    log.debug("nudged shop %s %s sync: %s", shop_id, resource, reason)
