"""Sales channel connections of a shop: list, add (keys encrypted at rest), remove, sync now,
and the state of the latest sync with its live progress; plus recent oversold orders.

The sync is a Temporal workflow on the sync queue whose id is the connection's lock, so "sync
now" while a sync runs returns the running one.
"""

from __future__ import annotations

import ipaddress
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, Field
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowQueryFailedError
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.service import RPCError

from api.common.params import ShortText
from api.problems import Problem
from api.services.orders import ALL
from api.services.shop_runs import StartedOut
from db.models import ChannelConnection, StockReservation
from db.models.channels import OVERSOLD
from db.tagged_cache import cached, shop_tag
from infra.temporal_client import ensure_schedule
from workflows import search_attributes
from workflows.channels import (
    ChannelSyncProgress,
    ChannelSyncRequest,
    ChannelSyncWorkflow,
    sync_workflow_id,
)
from workflows.queues import Queue
from workflows.schedules import ScheduleDecl, channel_sync_schedule

LOOPBACK = {"localhost"}
QUERY_TIMEOUT = timedelta(seconds=5)  # the status page polls; a missing worker must not hang it


def _store_url(value: str) -> str:
    """A store's base URL: https (WooCommerce sends the keys by Basic auth), or http only on
    loopback (the sandbox); no query, fragment or credentials in it."""
    parts = urlsplit(value.strip())
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ValueError("must be an absolute https:// URL of the store, e.g. https://eshop.cz")
    if parts.username or parts.password or parts.query or parts.fragment:
        raise ValueError("must not carry credentials, a query or a fragment")
    if parts.scheme == "http":
        host = parts.hostname
        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = host in LOOPBACK
        if not loopback:
            raise ValueError("must use https:// (the keys would travel in clear text over http)")
    return value.strip().rstrip("/")


StoreUrl = Annotated[str, Field(max_length=500), AfterValidator(_store_url)]
Key = Annotated[ShortText, Field(min_length=8, max_length=200)]


class ConnectionIn(BaseModel):
    kind: Literal["woocommerce"] = "woocommerce"
    name: Annotated[ShortText, Field(min_length=1, max_length=200)]
    base_url: StoreUrl
    consumer_key: Key
    consumer_secret: Key
    sync_interval_minutes: Annotated[int, Field(ge=5, le=1440)] = 15
    stock_push_enabled: bool = True
    catalog_push_enabled: bool = False


class ConnectionSettingsIn(BaseModel):
    """A connection's settings; keys are write-only (replaced, never read back)."""

    name: Annotated[ShortText, Field(min_length=1, max_length=200)] | None = None
    sync_interval_minutes: Annotated[int, Field(ge=5, le=1440)] | None = None
    stock_push_enabled: bool | None = None
    catalog_push_enabled: bool | None = None
    consumer_key: Key | None = None
    consumer_secret: Key | None = None


class ConnectionOut(BaseModel):
    id: int
    kind: str
    name: str
    base_url: str
    key_hint: str  # the key's last 4 characters: which key is stored, never the key
    status: str
    last_error: str | None
    last_error_at: datetime | None
    last_sync_at: datetime | None
    orders_cursor: datetime | None
    orders_imported: int
    sync_interval_minutes: int
    stock_push_enabled: bool
    catalog_push_enabled: bool
    schedule_id: str  # its Temporal schedule
    created_at: datetime


class ChannelStatusOut(BaseModel):
    connection: ConnectionOut
    workflow_id: str
    run_id: str | None
    running: bool
    run_status: str | None  # Temporal's status of the latest run
    progress: ChannelSyncProgress | None


class OversoldOut(BaseModel):
    channel: str
    order_code: str
    variant_code: str
    quantity: Decimal
    available_before: Decimal
    created_at: datetime


class ChannelCount(BaseModel):
    channel: str
    orders: int


async def channel_counts(session: AsyncSession, shop_id: int) -> list[ChannelCount]:
    """The shop's orders (hot and archived) per channel; cached like the status counts, until
    the shop's orders change (the channel import invalidates the same tag) or five minutes."""

    async def load() -> list[ChannelCount]:
        rows = await session.execute(
            select(ALL.c.channel, func.count())
            .where(ALL.c.shop_id == shop_id)
            .group_by(ALL.c.channel)
            .order_by(ALL.c.channel)
        )
        return [ChannelCount(channel=channel, orders=n) for channel, n in rows]

    return await cached(
        f"order-channels:{shop_id}",
        [shop_tag(shop_id, "orders")],
        load,
        dump=lambda items: [i.model_dump() for i in items],
        restore=lambda raw: [ChannelCount.model_validate(i) for i in raw],
    )


class ChannelSales(BaseModel):
    channel: str
    currency: str
    orders: int
    revenue: Decimal  # total with VAT of the orders not cancelled


async def channel_sales(
    session: AsyncSession, shop_id: int, created_from: datetime | None, created_to: datetime | None
) -> list[ChannelSales]:
    """Orders (not cancelled) and their revenue with VAT per channel and currency in
    [created_from, created_to), hot and archived: the dashboard's split by channel."""
    if created_from is not None and created_to is not None and created_from >= created_to:
        raise Problem(422, "Invalid period", "created_from must be before created_to.")
    stmt = select(
        ALL.c.channel, ALL.c.currency, func.count(), func.coalesce(func.sum(ALL.c.total_with_vat), 0)
    ).where(ALL.c.shop_id == shop_id, ALL.c.cancelled.is_not(True))
    if created_from is not None:
        stmt = stmt.where(ALL.c.created_at >= created_from)
    if created_to is not None:
        stmt = stmt.where(ALL.c.created_at < created_to)
    rows = await session.execute(
        stmt.group_by(ALL.c.channel, ALL.c.currency).order_by(ALL.c.channel, ALL.c.currency)
    )
    return [
        ChannelSales(channel=channel, currency=currency, orders=n, revenue=revenue)
        for channel, currency, n, revenue in rows
    ]


def _out(row: ChannelConnection) -> ConnectionOut:
    return ConnectionOut(
        id=row.id, kind=row.kind, name=row.name, base_url=row.base_url,
        key_hint=row.consumer_key[-4:], status=row.status, last_error=row.last_error,
        last_error_at=row.last_error_at, last_sync_at=row.last_sync_at,
        orders_cursor=row.orders_cursor, orders_imported=row.orders_imported,
        sync_interval_minutes=row.sync_interval_minutes,
        stock_push_enabled=row.stock_push_enabled,
        catalog_push_enabled=row.catalog_push_enabled,
        schedule_id=_decl(row).id, created_at=row.created_at,
    )


def _decl(row: ChannelConnection) -> ScheduleDecl:
    return channel_sync_schedule(
        row.shop_id, row.id, row.kind, row.sync_interval_minutes, row.stock_push_enabled
    )


async def sync_schedule(client: Client, row: ChannelConnection) -> None:
    """Create or update the connection's schedule to match its settings."""
    try:
        await ensure_schedule(client, _decl(row))
    except RPCError as exc:
        raise Problem(503, "Could not schedule the channel sync", f"Temporal refused: {exc}") from exc


async def drop_schedule(client: Client, row: ChannelConnection) -> None:
    try:
        await client.get_schedule_handle(_decl(row).id).delete()
    except RPCError as exc:
        if "not found" not in str(exc).lower():
            raise Problem(503, "Could not remove the channel schedule", f"Temporal refused: {exc}") from exc


async def list_connections(session: AsyncSession, shop_id: int) -> list[ConnectionOut]:
    rows = await session.scalars(
        select(ChannelConnection)
        .where(ChannelConnection.shop_id == shop_id)
        .order_by(ChannelConnection.id)
    )
    return [_out(row) for row in rows]


async def connection_of(session: AsyncSession, shop_id: int, connection_id: int) -> ChannelConnection:
    """The shop's connection; another shop's is "not found", so ids cannot be probed."""
    row = await session.get(ChannelConnection, connection_id)
    if row is None or row.shop_id != shop_id:
        raise Problem(404, "Channel not found", f"No channel connection {connection_id} in this shop.")
    return row


async def add_connection(
    session: AsyncSession, client: Client, shop_id: int, body: ConnectionIn
) -> ConnectionOut:
    row = ChannelConnection(
        shop_id=shop_id, kind=body.kind, name=body.name, base_url=body.base_url,
        consumer_key=body.consumer_key, consumer_secret=body.consumer_secret,
        sync_interval_minutes=body.sync_interval_minutes,
        stock_push_enabled=body.stock_push_enabled,
        catalog_push_enabled=body.catalog_push_enabled,
    )  # fmt: skip
    session.add(row)
    try:
        await session.commit()
    except IntegrityError as exc:
        await session.rollback()
        raise Problem(
            409, "Channel already connected", f"{body.base_url} is already connected to this shop."
        ) from exc
    await session.refresh(row)
    await sync_schedule(client, row)
    return _out(row)


async def update_connection(
    session: AsyncSession, client: Client, row: ChannelConnection, body: ConnectionSettingsIn
) -> ConnectionOut:
    for name, value in body.model_dump(exclude_none=True).items():
        setattr(row, name, value)
    await session.commit()
    await session.refresh(row)
    await sync_schedule(client, row)
    return _out(row)


async def remove_connection(
    session: AsyncSession, client: Client, shop_id: int, connection_id: int
) -> None:
    row = await connection_of(session, shop_id, connection_id)
    await drop_schedule(client, row)
    await session.execute(delete(ChannelConnection).where(ChannelConnection.id == connection_id))
    await session.commit()


async def start_sync(client: Client, row: ChannelConnection) -> StartedOut:
    workflow_id = sync_workflow_id(row.shop_id, row.id)
    try:
        handle = await client.start_workflow(
            ChannelSyncWorkflow.run,
            ChannelSyncRequest(row.shop_id, row.id),
            id=workflow_id,
            task_queue=Queue.SYNC.value,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            search_attributes=search_attributes.for_run("channel-sync", row.shop_id, channel=row.kind),
        )
    except RPCError as exc:
        raise Problem(503, "Could not start the channel sync", f"Temporal refused it: {exc}") from exc
    return StartedOut(workflow_id=handle.id, run_id=handle.result_run_id, started=True)


async def status(client: Client, row: ChannelConnection) -> ChannelStatusOut:
    workflow_id = sync_workflow_id(row.shop_id, row.id)
    handle = client.get_workflow_handle_for(ChannelSyncWorkflow.run, workflow_id)
    run_id = run_status = None
    progress: ChannelSyncProgress | None = None
    running = False
    try:
        described = await handle.describe()
        run_id = described.run_id
        running = described.status == WorkflowExecutionStatus.RUNNING
        run_status = described.status.name.lower() if described.status else None
        if running:  # live, from the workflow (needs a worker)
            progress = await handle.query(
                ChannelSyncWorkflow.progress, rpc_timeout=QUERY_TIMEOUT
            )
        elif described.status == WorkflowExecutionStatus.COMPLETED:  # from history, no worker
            progress = await handle.result(rpc_timeout=QUERY_TIMEOUT)
        elif described.status == WorkflowExecutionStatus.FAILED:
            progress = ChannelSyncProgress(phase="failed", error=row.last_error)
    except (RPCError, WorkflowQueryFailedError):
        pass  # never ran, its history is gone, or no worker answers now: the row still tells
    return ChannelStatusOut(
        connection=_out(row), workflow_id=workflow_id, run_id=run_id, running=running,
        run_status=run_status, progress=progress,
    )


async def oversold(session: AsyncSession, shop_id: int, limit: int = 50) -> list[OversoldOut]:
    rows = await session.scalars(
        select(StockReservation)
        .where(StockReservation.shop_id == shop_id, StockReservation.status == OVERSOLD)
        .order_by(StockReservation.created_at.desc(), StockReservation.id.desc())
        .limit(limit)
    )
    return [
        OversoldOut(
            channel=r.channel, order_code=r.order_code, variant_code=r.variant_code,
            quantity=r.quantity, available_before=r.available_before, created_at=r.created_at,
        )
        for r in rows
    ]
