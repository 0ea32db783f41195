"""Shoptet webhook intake: verify, store durably, deduplicate, then dispatch.

The raw body is stored before we answer, so nothing Shoptet sends is ever lost; dispatch is a
nudge (signal a waiting snapshot, start a sync early), never the only path to correctness.

Bad input never makes a 500: a body over 64 KB is 413, a malformed one 422, an unknown shop
404, a bad or non-ASCII signature 401, an event far outside the freshness window 422. Those
attempts are kept as short rejected records (the first bytes and the reason, no shop, so they
stay out of the shop's event list). A verified event is stored with literal SQL for the
partial unique index (a bound-parameter predicate stops matching the index once PostgreSQL
picks a generic plan) and answered 200 even when Temporal is down: it then stays `received`,
the outbox that `drain_outbox` empties once Temporal answers again.

Sync nudges are coalesced (issue 21: 200 webhooks/s must not be 200 Temporal calls/s): the
first order/product/customer/stock notification of a shop and resource takes a Redis lease
(SET NX PX, WEBHOOK_NUDGE_WINDOW_MS) and its process schedules one trailing trigger for just
after the lease expires; notifications meanwhile, in any API process, find the lease taken and
only store their row. The trailing trigger claims every `received` row of that shop and
resource, triggers the schedule once and marks them all `dispatched`. A row stored while the
lease is held was committed before its SET NX failed, so before the lease expired and before
the trailing claim: it is covered. A process that dies inside the window leaves its rows
`received`, and the outbox sweep dispatches them (coalesced per shop and resource as well).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import cast

import orjson
from pydantic import BaseModel
from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy import or_, select, text, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from db.models import Installation, Shop, SnapshotRun, WebhookEvent
from workflows.snapshots import SnapshotWorkflow

log = logging.getLogger(__name__)
SIGNATURE_HEADER = "Shoptet-Webhook-Signature"
DISPATCH_BUDGET = 2.5  # seconds; Shoptet wants the answer within 4
MAX_BODY = 64 * 1024  # a notification is ~150 bytes; anything near this is not Shoptet
KEPT_BYTES = 512  # of a rejected body: enough to see what it was, never 20 MB
# Shoptet retries a failed delivery for hours, not weeks; a signed event outside this window is
# a replay or a broken clock, refused (and a year-1 time never reaches the event list)
FRESH_BEFORE = timedelta(days=30)
FRESH_AFTER = timedelta(days=1)
EVENT_MAX = 100  # the `event` column
INSTANCE_MAX = 500
OUTBOX_AGE = timedelta(seconds=10)  # the receiver dispatches younger rows itself
SYNC_PREFIXES = {"order": "orders", "product": "products", "productVariant": "products",
                 "customer": "customers", "stock": "stock"}


def signature(key: str, body: bytes) -> str:
    """Lowercase hex HMAC-SHA1 of the raw body, as Shoptet signs it."""
    return hmac.new(key.encode(), body, hashlib.sha1).hexdigest()


def signature_matches(key: str, body: bytes, given: str | None) -> bool:
    """Constant-time compare; a header with non-ASCII characters is simply not a match."""
    if not given or not given.isascii():
        return False
    return hmac.compare_digest(signature(key, body), given.strip().lower())


class ReceivedOut(BaseModel):
    """What Shoptet is answered for a stored notification."""

    status: str  # received | duplicate
    id: int | None


@dataclass
class Intake:
    status: int  # HTTP status to answer
    title: str
    detail: str
    event: WebhookEvent | None = None

    def answer(self) -> ReceivedOut:
        return ReceivedOut(status=self.title.lower(), id=self.event.id if self.event else None)


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
    doc = cast(dict[str, object], doc)  # JSON: string keys, values checked one by one below
    eshop_id, event, created, instance = (
        doc.get("eshopId"), doc.get("event"), doc.get("eventCreated"), doc.get("eventInstance"),
    )
    if not isinstance(eshop_id, int) or isinstance(eshop_id, bool) or not 0 < eshop_id < 2**63:
        raise ValueError("eshopId must be a positive integer")
    if not isinstance(event, str) or ":" not in event:
        raise ValueError("event must be a string like 'order:create'")
    if len(event) > EVENT_MAX or "\x00" in event:
        raise ValueError(f"event must be at most {EVENT_MAX} characters without NUL")
    if not isinstance(instance, str) or len(instance) > INSTANCE_MAX or "\x00" in instance:
        raise ValueError(f"eventInstance must be a string of at most {INSTANCE_MAX} characters without NUL")
    if not isinstance(created, str):
        raise ValueError("eventCreated must be a date-time string")
    try:
        when = datetime.strptime(created, "%Y-%m-%dT%H:%M:%S%z")
    except ValueError:
        try:
            when = datetime.fromisoformat(created)
        except ValueError:
            raise ValueError(f"eventCreated is not a date-time: {created[:40]!r}") from None
    if when.tzinfo is None:
        raise ValueError("eventCreated needs a UTC offset")
    return Notification(eshop_id, event, when, instance)


def _fresh(when: datetime, now: datetime) -> bool:
    return now - FRESH_BEFORE <= when <= now + FRESH_AFTER


def _clean(value: str | None, limit: int) -> str | None:
    return value.replace("\x00", "")[:limit] if value else None


async def _store_rejected(session: AsyncSession, body: bytes, reason: str, given: str | None,
                          note: Notification | None = None, now: datetime | None = None) -> None:
    """A short record of a refused attempt: the first bytes and why, no shop (not in its list).

    Never raises: refusing bad input must not turn into a 500 because the record failed."""
    fresh = note is not None and now is not None and _fresh(note.event_created, now)
    row = WebhookEvent(
        shop_id=None,
        eshop_id=note.eshop_id if note else None,
        event=_clean(note.event, EVENT_MAX) if note else None,
        event_instance=_clean(note.event_instance, INSTANCE_MAX) if note else None,
        event_created=note.event_created if note and fresh else None,
        raw_body=body[:KEPT_BYTES],
        signature=_clean(given.encode("ascii", "replace").decode() if given else None, 100),
        status="rejected",
        reason=f"{reason} ({len(body)} bytes, first {min(len(body), KEPT_BYTES)} kept)"[:2000],
    )
    try:
        session.add(row)
        await session.commit()
    except SQLAlchemyError:
        await session.rollback()
        log.exception("could not keep a rejected webhook (%s)", reason)


async def reject_oversized(session: AsyncSession, head: bytes, size: int, given: str | None) -> Intake:
    await _store_rejected(session, head, f"body over {MAX_BODY} bytes ({size}+ bytes sent)", given)
    return Intake(413, "Webhook body too large", f"A notification body is at most {MAX_BODY} bytes.")


INSERT_RECEIVED = text(
    "INSERT INTO webhook_events (shop_id, eshop_id, event, event_instance, event_created, raw_body, "
    "signature, status) VALUES (:shop_id, :eshop_id, :event, :event_instance, :event_created, "
    ":raw_body, :signature, 'received') "
    # literal predicate: it must match the partial unique index under any plan
    "ON CONFLICT (eshop_id, event, event_instance, event_created) "
    "WHERE status IN ('received', 'dispatched', 'failed') DO NOTHING RETURNING id, received_at"
)


class InstallationKeys:
    """eshopId → (shop id, decrypted signature key) of recently verified notifications.

    Every notification needs its shop's key; at 200 notifications/s, reading and decrypting it
    each time was a round trip and a Fernet decryption per request. A hit is only trusted for a
    signature it verifies: a mismatch (a renewed key) reads the row again before refusing, so a
    renewal takes effect at once; `ttl` bounds how long a replaced key keeps verifying."""

    def __init__(self, ttl: float = 10.0, size: int = 10_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl, self.size, self.clock = ttl, size, clock
        self._entries: OrderedDict[int, tuple[float, int, str]] = OrderedDict()

    def get(self, eshop_id: int) -> tuple[int, str] | None:
        entry = self._entries.get(eshop_id)
        if entry is None or entry[0] <= self.clock():
            return None
        return entry[1], entry[2]

    def put(self, eshop_id: int, shop_id: int, key: str) -> None:
        self._entries[eshop_id] = (self.clock() + self.ttl, shop_id, key)
        self._entries.move_to_end(eshop_id)
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)

    def forget(self, eshop_id: int) -> None:
        self._entries.pop(eshop_id, None)


KEYS = InstallationKeys()


async def installation_of(session: AsyncSession, eshop_id: int) -> tuple[int, str | None] | None:
    """The shop id and signature key of an e-shop (None: no installation); cached when keyed."""
    found = (  # two columns, not two ORM rows
        await session.execute(
            select(Shop.id, Installation.webhook_key)
            .join(Installation, Installation.shop_id == Shop.id)
            .where(Shop.eshop_id == eshop_id)
        )
    ).first()
    if found is None:
        KEYS.forget(eshop_id)
        return None
    shop_id, key = int(found[0]), found[1]
    if key is None:
        KEYS.forget(eshop_id)
    else:
        KEYS.put(eshop_id, shop_id, key)
    return shop_id, key


async def receive(session: AsyncSession, body: bytes, given: str | None, now: datetime) -> Intake:
    """Verify and store one notification; the caller answers with `Intake.status`."""
    try:
        note = parse(body)
    except ValueError as exc:
        await _store_rejected(session, body, f"malformed: {exc}", given)
        return Intake(422, "Malformed webhook", str(exc))
    if not session.in_transaction():
        # one round trip per statement: no BEGIN and COMMIT around the single INSERT (the
        # session's next transaction, e.g. a dispatch, gets the pool's default isolation again)
        await session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
    cached = KEYS.get(note.eshop_id)
    if cached is not None and signature_matches(cached[1], body, given):
        shop_id = cached[0]
    else:  # not cached, or the key changed: the row decides
        found = await installation_of(session, note.eshop_id)
        if found is None:
            await _store_rejected(session, body, "unknown shop", given, note, now)
            return Intake(404, "Unknown shop", f"No installation for eshopId {note.eshop_id}.")
        shop_id, key = found
        if key is None or not signature_matches(key, body, given):
            reason = "no signature key renewed yet" if key is None else (
                "missing signature" if not given else "bad signature")
            await _store_rejected(session, body, f"{reason} for shop {shop_id}", given, note, now)
            return Intake(401, "Invalid signature", f"The {SIGNATURE_HEADER} header does not match the body.")
    if not _fresh(note.event_created, now):
        await _store_rejected(session, body, f"eventCreated {note.event_created.isoformat()} outside "
                              "the freshness window", given, note, now)
        return Intake(422, "Stale webhook", f"eventCreated must be within {FRESH_BEFORE.days} days of now.")
    assert given is not None
    values = dict(
        shop_id=shop_id, eshop_id=note.eshop_id, event=note.event, event_instance=note.event_instance,
        event_created=note.event_created, raw_body=body, signature=given.strip().lower(),
    )
    try:
        stored = (await session.execute(INSERT_RECEIVED, values)).first()
    except IntegrityError:  # the cached shop is gone (deleted since): read it again, once
        await session.rollback()
        KEYS.forget(note.eshop_id)
        if await installation_of(session, note.eshop_id) is None:
            await _store_rejected(session, body, "unknown shop", given, note, now)
            return Intake(404, "Unknown shop", f"No installation for eshopId {note.eshop_id}.")
        stored = (await session.execute(INSERT_RECEIVED, values)).first()
    if stored is None:
        duplicate = WebhookEvent(**values, status="duplicate", reason="already received")
        session.add(duplicate)
        await session.commit()
        return Intake(200, "Duplicate", "Already received; ignored.", duplicate)
    await session.commit()
    # the row as stored, without reading it back (one round trip less per notification)
    event = WebhookEvent(**values, id=stored.id, received_at=stored.received_at, status="received")
    return Intake(200, "Received", "Stored.", event)


ClientFactory = Callable[[], Awaitable[Client]]


class Unreachable(Exception):
    """Temporal did not answer: the event waits in the outbox."""


async def _reach(connect: ClientFactory) -> Client:
    """A Temporal client, or Unreachable (the events stay in the outbox)."""
    try:
        return await connect()
    except Exception as exc:
        raise Unreachable(f"cannot connect: {exc}") from exc


def _unreachable(exc: BaseException) -> bool:
    if isinstance(exc, TimeoutError | Unreachable | ConnectionError):
        return True
    return isinstance(exc, RPCError) and exc.status in (
        RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED, RPCStatusCode.CANCELLED,
    )


async def dispatch(session: AsyncSession, connect: ClientFactory, event_id: int) -> str:
    """Act on a stored `received` event within the answer budget; record the outcome.

    The row is locked (SKIP LOCKED) while it is dispatched, so the receiver and the outbox
    sweep never dispatch one event twice. Temporal unreachable: the row stays `received` (the
    outbox) with the reason; any other failure marks it `failed`. Returns the status."""
    claimed = (
        await session.execute(
            select(WebhookEvent)
            .where(WebhookEvent.id == event_id, WebhookEvent.status == "received")
            .with_for_update(skip_locked=True)
        )
    ).scalar_one_or_none()
    if claimed is None:  # dispatched meanwhile, or being dispatched by someone else
        await session.commit()
        return "skipped"
    try:
        async with asyncio.timeout(DISPATCH_BUDGET):
            reason = await _dispatch(session, await _reach(connect), claimed)
        status = "dispatched"
    except Exception as exc:
        if _unreachable(exc):
            log.warning("webhook %s (%s) waits in the outbox: %s", claimed.id, claimed.event, exc)
            status = "received"
            reason = f"dispatch deferred, Temporal unreachable ({type(exc).__name__}: {exc}); the outbox sweep retries"
        else:
            log.warning("webhook %s (%s) dispatch failed: %s", claimed.id, claimed.event, exc)
            status, reason = "failed", f"dispatch failed: {type(exc).__name__}: {exc}"
    await session.execute(
        update(WebhookEvent)
        .where(WebhookEvent.id == claimed.id)
        .values(status=status, reason=reason[:2000],
                dispatched_at=datetime.now(UTC) if status != "received" else None)
    )
    await session.commit()
    return status


DEFERRALS_IN_A_ROW = 3  # the outbox sweep's sign that Temporal is down again


async def drain_outbox(session: AsyncSession, connect: ClientFactory, now: datetime, limit: int = 200,
                       trigger: Trigger | None = None) -> int:
    """Dispatch events left `received` (Temporal was down, or the API died before dispatch);
    stops after DEFERRALS_IN_A_ROW dispatches Temporal could not take (it is down again), but one
    event that keeps timing out does not hold back the rest. Sync events are dispatched per shop
    and resource, one trigger for all of a group (as the receiver's trailing trigger does).
    Returns how many events were dispatched."""
    rows = (
        await session.execute(
            select(WebhookEvent.id, WebhookEvent.shop_id, WebhookEvent.event)
            .where(WebhookEvent.status == "received", WebhookEvent.received_at < now - OUTBOX_AGE)
            .order_by(WebhookEvent.id)
            .limit(limit)
        )
    ).all()
    await session.commit()
    work: list[int | tuple[int, str]] = []  # one event, or one (shop, resource) group
    groups: dict[tuple[int, str], list[int]] = {}
    for event_id, shop_id, name in rows:
        resource = SYNC_PREFIXES.get((name or "").split(":", 1)[0])
        if resource is None or shop_id is None:
            work.append(event_id)
            continue
        if (shop_id, resource) not in groups:
            groups[(shop_id, resource)] = []
            work.append((shop_id, resource))
        groups[(shop_id, resource)].append(event_id)
    done = deferred = 0
    for item in work:
        if isinstance(item, int):
            status, count = await dispatch(session, connect, item), 1
        else:
            status, count = await nudge_claimed(session, connect, item[0], item[1], ids=groups[item],
                                                trigger=trigger)
        deferred = deferred + 1 if status == "received" else 0
        if deferred >= DEFERRALS_IN_A_ROW:
            break
        done += count if status == "dispatched" else 0
    return done


Trigger = Callable[[Client, int, str, str], Awaitable[None]]


async def _nudge_sync(client: Client, shop_id: int, resource: str, reason: str) -> None:
    from api.services.sync import nudge_sync

    await nudge_sync(client, shop_id, resource, reason=reason)


def _kinds(resource: str) -> list[str]:
    return [kind for kind, synced in SYNC_PREFIXES.items() if synced == resource]


async def nudge_claimed(session: AsyncSession, connect: ClientFactory, shop_id: int, resource: str, *,
                        ids: Sequence[int] | None = None, always: bool = False,
                        trigger: Trigger | None = None) -> tuple[str, int]:
    """One sync trigger for the `received` events of a shop and resource (those of `ids`, or
    all): they are claimed (SKIP LOCKED: never twice), the schedule is triggered once, and each
    is marked `dispatched`. Temporal unreachable: they stay `received` for the outbox. Without
    a claimed event nothing is triggered unless `always` (a duplicate joined the window).
    Returns (status, events claimed); status "skipped" when nothing was done."""
    query = select(WebhookEvent.id).where(
        WebhookEvent.status == "received", WebhookEvent.shop_id == shop_id,
        or_(*(WebhookEvent.event.startswith(f"{kind}:", autoescape=True) for kind in _kinds(resource))),
    )
    if ids is not None:
        query = query.where(WebhookEvent.id.in_(ids))
    claimed = list((await session.execute(query.order_by(WebhookEvent.id).with_for_update(skip_locked=True))).scalars())
    if not claimed and not always:
        await session.commit()
        return "skipped", 0
    try:
        async with asyncio.timeout(DISPATCH_BUDGET):
            await (trigger or _nudge_sync)(await _reach(connect), shop_id, resource,
                                           f"{len(claimed)} webhooks coalesced")
        status = "dispatched"
        reason = f"nudged {resource} sync" + (f" (one trigger for {len(claimed)} events)" if len(claimed) > 1 else "")
    except Exception as exc:
        if _unreachable(exc):
            log.warning("%d %s webhooks of shop %s wait in the outbox: %s", len(claimed), resource, shop_id, exc)
            status = "received"
            reason = f"dispatch deferred, Temporal unreachable ({type(exc).__name__}: {exc}); the outbox sweep retries"
        else:
            log.warning("%d %s webhooks of shop %s: dispatch failed: %s", len(claimed), resource, shop_id, exc)
            status, reason = "failed", f"dispatch failed: {type(exc).__name__}: {exc}"
    if claimed:
        await session.execute(
            update(WebhookEvent)
            .where(WebhookEvent.id.in_(claimed))
            .values(status=status, reason=reason[:2000],
                    dispatched_at=datetime.now(UTC) if status != "received" else None)
        )
    await session.commit()
    return status, len(claimed)


NUDGE_KEY = "shopops:webhook-nudge:{}:{}"
# past the lease's expiry before the trailing claim: every event that found the lease taken was
# committed before that, whatever the event loop's timer granularity
LEASE_MARGIN = 0.05
LEASE_BUDGET = 0.5  # seconds for the SET NX; then the event is dispatched at once instead


def _default_redis() -> Redis:
    from db.redis_client import redis_client

    return redis_client()


class NudgeCoalescer:
    """Trailing debounce of sync nudges per (shop, resource), across API processes.

    `offer` answers at once (Shoptet never waits for the window); the process whose SET NX
    wins runs `flush` `window` seconds later. `sleep` and `trigger` are injectable (tests
    close the window explicitly and count triggers)."""

    def __init__(self, window: float, connect: ClientFactory, *,
                 redis: Callable[[], Redis] = _default_redis,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
                 trigger: Trigger | None = None) -> None:
        self.window = window
        self.connect = connect
        self.redis = redis
        self.sleep = sleep
        self.trigger = trigger
        self.pending: set[asyncio.Task[None]] = set()
        # (shop, resource) -> loop time before which our own lease surely still holds: events
        # offered until then are covered by our trailing trigger without asking Redis again
        self.held: dict[tuple[int, str], float] = {}

    async def offer(self, shop_id: int, resource: str) -> bool:
        """True: a trailing trigger will cover this event (ours, or another process's lease).
        False: Redis is unreachable; the caller dispatches the event itself."""
        loop = asyncio.get_running_loop()
        asked = loop.time()
        if self.held.get((shop_id, resource), 0.0) > asked:
            return True
        try:
            # bounded: a hung Redis must not eat Shoptet's answer budget (if the SET landed
            # anyway, the events of that window wait for the outbox sweep: late, not lost)
            async with asyncio.timeout(LEASE_BUDGET):
                won = await self.redis().set(NUDGE_KEY.format(shop_id, resource), b"1", nx=True,
                                             px=max(1, round(self.window * 1000)))
        except (RedisError, OSError, TimeoutError) as exc:
            log.warning("nudge lease for shop %s %s unavailable (%s); dispatching now", shop_id, resource, exc)
            return False
        if won:
            # the lease expires no earlier than `window` after we asked; our trailing trigger
            # runs later than that, so an event offered before it is covered
            self.held[(shop_id, resource)] = asked + self.window - LEASE_MARGIN
            for gone in [k for k, until in self.held.items() if until <= asked]:
                del self.held[gone]
            task = asyncio.create_task(self._trail(shop_id, resource))
            self.pending.add(task)
            task.add_done_callback(self.pending.discard)
        return True

    async def _trail(self, shop_id: int, resource: str) -> None:
        try:
            await self.sleep(self.window + LEASE_MARGIN)
            self.held.pop((shop_id, resource), None)  # from now on, the next event asks Redis
            await self.flush(shop_id, resource, always=True)
        except asyncio.CancelledError:  # shutting down: the rows stay `received` for the outbox
            raise
        except Exception:
            log.exception("trailing %s nudge of shop %s failed; the outbox sweep takes its events",
                          resource, shop_id)

    async def flush(self, shop_id: int, resource: str, *, always: bool = True) -> tuple[str, int]:
        """The trailing trigger: one for every `received` event of the shop and resource, and
        one even without such an event (a duplicate took the lease, or the sweep came first: a
        pass more, never a change missed)."""
        from db.engine import session_factory

        async with session_factory()() as session:
            return await nudge_claimed(session, self.connect, shop_id, resource, always=always,
                                       trigger=self.trigger)

    async def settle(self) -> None:
        """Wait for the trailing triggers scheduled so far (tests, graceful shutdown)."""
        while self.pending:
            await asyncio.gather(*list(self.pending), return_exceptions=True)

    async def close(self) -> None:
        for task in list(self.pending):
            task.cancel()
        await asyncio.gather(*list(self.pending), return_exceptions=True)


_COALESCERS: dict[int, NudgeCoalescer] = {}
_INSTALLED: list[NudgeCoalescer] = []


def install_coalescer(coalescer: NudgeCoalescer | None) -> None:
    """Replace the process's coalescer (tests: an explicit window); None restores the default."""
    _INSTALLED.clear()
    if coalescer is not None:
        _INSTALLED.append(coalescer)


def coalescer() -> NudgeCoalescer | None:
    """The process's coalescer (one per event loop); None when WEBHOOK_NUDGE_WINDOW_MS is 0."""
    if _INSTALLED:
        return _INSTALLED[0]
    from db.config import get_settings
    from infra.temporal_client import connect

    window_ms = get_settings().webhook_nudge_window_ms
    if window_ms <= 0:
        return None
    loop = id(asyncio.get_running_loop())
    found = _COALESCERS.get(loop)
    if found is None or found.window != window_ms / 1000:
        found = _COALESCERS[loop] = NudgeCoalescer(window_ms / 1000, connect)
    return found


async def close_coalescer() -> None:
    found = _COALESCERS.pop(id(asyncio.get_running_loop()), None)
    if found is not None:
        await found.close()


async def coalesce(event: WebhookEvent) -> bool:
    """Leave a stored sync event to a trailing trigger; False: dispatch it now (not a sync
    event, coalescing off, or Redis unreachable)."""
    resource = synced_resource(event)
    if resource is None or event.shop_id is None:
        return False
    found = coalescer()
    return found is not None and await found.offer(event.shop_id, resource)


def synced_resource(event: WebhookEvent) -> str | None:
    """The resource whose sync this event nudges (None: not a sync event)."""
    return SYNC_PREFIXES.get((event.event or "").split(":", 1)[0])


async def nudge_again(session: AsyncSession, connect: ClientFactory, event: WebhookEvent) -> None:
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

    found = coalescer()
    if found is not None and await found.offer(event.shop_id, resource):
        reason = f"already received; {resource} sync nudge coalesced"
        await session.execute(update(WebhookEvent).where(WebhookEvent.id == event.id).values(reason=reason))
        await session.commit()
        return
    try:
        async with asyncio.timeout(DISPATCH_BUDGET):
            await nudge_sync(await connect(), event.shop_id, resource, reason=f"{event.event} (repeated)")
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
        job_id = event.event_instance
        if job_id is None:
            return "job:finished without a job id"
        run = (
            await session.execute(
                select(SnapshotRun)
                .where(SnapshotRun.shop_id == event.shop_id, SnapshotRun.job_id == job_id)
                .order_by(SnapshotRun.id.desc())
            )
        ).scalars().first()
        if run is None:
            return "no snapshot run waits for this job (polling will find it)"
        if run.status not in ("pending", "running"):
            return f"snapshot run {run.id} is already {run.status}"
        await client.get_workflow_handle(run.workflow_id).signal(SnapshotWorkflow.job_finished, job_id)
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


async def sweep_outbox_forever() -> None:
    """The scheduled sweep: every WEBHOOK_OUTBOX_SECONDS (30 s), dispatch what the outbox holds.

    It runs beside the receiver in the API process, not as a Temporal schedule: the outbox
    exists for the times Temporal is down. Row locks keep several API processes apart."""
    from db.config import get_settings
    from db.engine import session_scope
    from infra.temporal_client import connect

    every = get_settings().webhook_outbox_seconds
    while True:
        await asyncio.sleep(every)
        try:
            async with session_scope() as session:
                done = await drain_outbox(session, connect, datetime.now(UTC))
            if done:
                log.info("webhook outbox: %d events dispatched", done)
        except Exception:
            log.exception("webhook outbox sweep failed; next in %.0f s", every)
        try:  # outbound deliveries recorded while Temporal was down get their workflow now
            from infra.outbound_webhooks.events import start_pending

            if started := await start_pending():
                log.info("outbound webhooks: %d pending deliveries started", started)
        except Exception:
            log.exception("outbound webhook sweep failed; next in %.0f s", every)
