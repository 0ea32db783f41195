"""Activities of the channel syncs: import a page of a store's orders, record its listings,
push the unified stock to it, and keep the connection's state.

Each order page is one transaction: orders upserted with `channel`, their items replaced, their
units reserved (db/stock_reservations) and the connection's cursor moved forward, together. A
retried page writes the same rows again and reserves nothing twice. Adapter failures become
Temporal `ApplicationError`s typed by the adapter's error class, so the workflow's retry policy
retries outages and stops at once on bad keys.
"""

from __future__ import annotations

import math
from collections.abc import AsyncGenerator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.channels.base import (
    CatalogItem,
    ChannelAdapter,
    ChannelError,
    ChannelOrder,
    StockItem,
)
from activities.channels.woocommerce import WooCommerceAdapter
from db.engine import session_scope
from db.models import ChannelConnection, ChannelListing, Order, OrderItem
from db.models.channels import WOOCOMMERCE
from db.notify import notify
from db.stock_reservations import OrderLine, release_order, reserve_order
from db.tagged_cache import invalidate, shop_tag
from workflows.channels import (
    FinishRequest,
    ListingsPageRequest,
    ListingsPageResult,
    OrdersPageRequest,
    OrdersPageResult,
    PushBatchRequest,
    PushBatchResult,
    SyncStart,
)

OVERLAP = timedelta(seconds=60)  # re-read this much before the cursor: late commits at the store
T = TypeVar("T")


def order_code(connection_id: int, number: str) -> str:
    """Our code of a channel's order: unique across the shop's channels and stores."""
    return f"WC{connection_id}-{number}"[:50]


def adapter_for(connection: ChannelConnection) -> ChannelAdapter:
    if connection.kind == WOOCOMMERCE:
        return WooCommerceAdapter(
            connection.base_url, connection.consumer_key, connection.consumer_secret
        )
    raise ApplicationError(
        f"connection {connection.id} is of unknown kind {connection.kind!r}",
        type="Unsupported", non_retryable=True,
    )


async def _connection(session: AsyncSession, connection_id: int) -> ChannelConnection:
    connection = await session.get(ChannelConnection, connection_id)
    if connection is None:
        raise ApplicationError(
            f"channel connection {connection_id} was removed", type="Unsupported",
            non_retryable=True,
        )
    return connection


@asynccontextmanager
async def _adapter(connection_id: int) -> AsyncGenerator[tuple[ChannelAdapter, int], None]:
    """The connection's adapter (keys decrypted here, never in workflow history) and shop id."""
    async with session_scope() as session:
        connection = await _connection(session, connection_id)
        adapter, shop_id = adapter_for(connection), connection.shop_id
    try:
        yield adapter, shop_id
    finally:
        await adapter.aclose()


async def _call(call: Callable[[], Awaitable[T]]) -> T:
    try:
        return await call()
    except ChannelError as exc:
        raise ApplicationError(
            str(exc), type=type(exc).__name__, non_retryable=not exc.retryable
        ) from exc


@activity.defn
async def begin_channel_sync(connection_id: int) -> SyncStart:
    async with session_scope() as session:
        connection = await _connection(session, connection_id)
        cursor = connection.orders_cursor
        return SyncStart(
            connection.kind, cursor - OVERLAP if cursor else None, connection.catalog_push_enabled
        )


def _order_row(shop_id: int, code: str, order: ChannelOrder, channel: str) -> dict[str, Any]:
    return {
        "shop_id": shop_id, "code": code, "created_at": order.created_at, "channel": channel,
        "changed_at": order.modified_at, "status_name": order.status[:100],
        "cancelled": order.cancelled, "source_name": channel, "email": order.email,
        "phone": order.phone, "billing_name": order.billing_name,
        "billing_company": order.billing_company, "billing_city": order.billing_city,
        "billing_zip": order.billing_zip, "billing_country": order.billing_country,
        "shipping_name": order.shipping_name, "payment_name": order.payment_name,
        "currency": order.currency, "total_with_vat": order.total,
        "total_vat": order.total_tax,
        "total_without_vat": order.total - order.total_tax if order.total_tax is not None else None,
        "item_count": len(order.lines),
    }


async def _store_order(
    session: AsyncSession, shop_id: int, connection_id: int, channel: str, order: ChannelOrder
) -> bool:
    """Upsert one order with its items and reservation; returns whether it is oversold now."""
    code = order_code(connection_id, order.number)
    row = _order_row(shop_id, code, order, channel)
    stmt = insert(Order).values(row)
    payload = {k: stmt.excluded[k] for k in row if k not in ("shop_id", "code", "created_at")}
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=["shop_id", "code", "created_at"],
            set_={**payload, "synced_at": func.now()},
        )
    )
    await session.execute(
        delete(OrderItem).where(
            OrderItem.shop_id == shop_id, OrderItem.order_code == code,
            OrderItem.created_at == order.created_at,
        )
    )
    for line in order.lines:
        session.add(
            OrderItem(
                shop_id=shop_id, order_code=code, item_id=line.item_id,
                created_at=order.created_at, item_type="product", code=line.sku or None,
                name=line.name or "?", amount=line.quantity, unit_price_with_vat=line.unit_price,
                price_with_vat=line.total,
            )
        )
    if order.cancelled or order.completed:
        # cancelled: the units are back; shipped: the stock master has counted them
        await release_order(session, shop_id, channel, code)
        return False
    reservation = await reserve_order(
        session, shop_id, channel, code,
        [OrderLine(line.sku, line.quantity) for line in order.lines if line.sku],
    )
    return reservation.oversold and not reservation.already_reserved


@activity.defn
async def import_channel_orders_page(req: OrdersPageRequest) -> OrdersPageResult:
    async with _adapter(req.connection_id) as (adapter, shop_id):
        page = await _call(lambda: adapter.pull_orders(req.since, req.page))
    oversold = 0
    async with session_scope() as session:
        codes = [order_code(req.connection_id, order.number) for order in page.orders]
        known = set(
            await session.scalars(
                select(Order.code).where(Order.shop_id == shop_id, Order.code.in_(codes))
            )
        )
        imported = len(set(codes) - known)
        for order in page.orders:
            oversold += await _store_order(session, shop_id, req.connection_id, adapter.channel, order)
        if page.orders:
            newest = max(order.modified_at for order in page.orders)
            await session.execute(
                update(ChannelConnection)
                .where(ChannelConnection.id == req.connection_id)
                .values(
                    orders_cursor=func.greatest(
                        func.coalesce(ChannelConnection.orders_cursor, newest), newest
                    ),
                    orders_imported=ChannelConnection.orders_imported + imported,
                )
            )
    if page.orders:
        await invalidate(shop_tag(shop_id, "orders"))
    activity.heartbeat(req.page)
    return OrdersPageResult(imported, oversold, page.total, page.total_pages)


@activity.defn
async def record_channel_listings_page(req: ListingsPageRequest) -> ListingsPageResult:
    async with _adapter(req.connection_id) as (adapter, shop_id):
        page = await _call(lambda: adapter.pull_stock(req.page, req.parent))
    if page.items:
        async with session_scope() as session:
            stmt = insert(ChannelListing).values(
                [
                    {
                        "connection_id": req.connection_id, "remote_id": item.remote_id,
                        "shop_id": shop_id, "variant_code": item.sku[:100],
                        "remote_quantity": item.quantity,
                    }
                    for item in page.items
                ]
            )
            await session.execute(
                stmt.on_conflict_do_update(
                    index_elements=["connection_id", "remote_id"],
                    set_={
                        "variant_code": stmt.excluded.variant_code,
                        "remote_quantity": stmt.excluded.remote_quantity,
                        "seen_at": func.now(),
                    },
                )
            )
    return ListingsPageResult(len(page.items), page.total_pages, page.parents)


PUSH_SQL = text(
    "SELECT l.remote_id, l.remote_quantity, v.stock_total, COALESCE(c.reserved, 0) "
    "FROM channel_listings l "
    "JOIN variants v ON v.shop_id = l.shop_id AND v.code = l.variant_code "
    "LEFT JOIN channel_stock c ON c.shop_id = l.shop_id AND c.variant_code = l.variant_code "
    "WHERE l.connection_id = :connection AND l.remote_id > :after "
    "ORDER BY l.remote_id LIMIT :limit"
)


def available_units(on_hand: Decimal | None, reserved: Decimal) -> int:
    """What a channel may sell: whole units, never negative."""
    return max(0, math.floor((on_hand or Decimal(0)) - reserved))


@activity.defn
async def push_channel_stock_batch(req: PushBatchRequest) -> PushBatchResult:
    """Push the available-to-sell figure of listings (known variants only) whose channel
    quantity differs; each pushed value is recorded at once, so a retry skips what is done."""
    async with session_scope() as session:
        rows = (
            await session.execute(
                PUSH_SQL, {"connection": req.connection_id, "after": req.after, "limit": req.limit}
            )
        ).all()
    pushed = 0
    async with _adapter(req.connection_id) as (adapter, _shop):
        for remote_id, remote_quantity, on_hand, reserved in rows:
            target = available_units(on_hand, reserved)
            if target == remote_quantity:
                continue
            await _call(lambda r=remote_id, q=target: adapter.push_stock(StockItem(r, "", q)))
            async with session_scope() as session:
                await session.execute(
                    update(ChannelListing)
                    .where(
                        ChannelListing.connection_id == req.connection_id,
                        ChannelListing.remote_id == remote_id,
                    )
                    .values(remote_quantity=target, pushed_at=func.now())
                )
            pushed += 1
            activity.heartbeat(remote_id)
    next_after = rows[-1][0] if len(rows) == req.limit else None
    return PushBatchResult(len(rows), pushed, next_after)


CATALOG_SQL = text(
    "SELECT l.remote_id, l.variant_code, COALESCE(v.name, ''), v.price_with_vat, v.stock_total, "
    "COALESCE(c.reserved, 0) "
    "FROM channel_listings l "
    "JOIN variants v ON v.shop_id = l.shop_id AND v.code = l.variant_code "
    "LEFT JOIN channel_stock c ON c.shop_id = l.shop_id AND c.variant_code = l.variant_code "
    "WHERE l.connection_id = :connection AND l.remote_id > :after "
    "ORDER BY l.remote_id LIMIT :limit"
)


@activity.defn
async def push_channel_catalog_batch(req: PushBatchRequest) -> PushBatchResult:
    """Push the price (with VAT) and the available-to-sell figure of a batch of listings of
    known variants with a price, in the adapter's batch requests; the pushed quantities are
    recorded, so the next stock push skips the unchanged ones. A retry sends the same values again."""
    async with session_scope() as session:
        rows = (
            await session.execute(
                CATALOG_SQL, {"connection": req.connection_id, "after": req.after, "limit": req.limit}
            )
        ).all()
    items = [
        CatalogItem(sku, name, price, remote_id, available_units(on_hand, reserved))
        for remote_id, sku, name, price, on_hand, reserved in rows
        if price is not None
    ]
    if items:
        async with _adapter(req.connection_id) as (adapter, _shop):
            await _call(lambda: adapter.push_catalog(items))
        async with session_scope() as session:
            for item in items:
                await session.execute(
                    update(ChannelListing)
                    .where(
                        ChannelListing.connection_id == req.connection_id,
                        ChannelListing.remote_id == item.remote_id,
                    )
                    .values(remote_quantity=item.stock, pushed_at=func.now())
                )
    next_after = rows[-1][0] if len(rows) == req.limit else None
    return PushBatchResult(len(rows), len(items), next_after)


@activity.defn
async def finish_channel_sync(req: FinishRequest) -> None:
    """Record how the sync ended; a failure is kept on the connection (the channels page and
    the monitoring check read it) and notified."""
    now = datetime.now(UTC)
    async with session_scope() as session:
        connection = await session.get(ChannelConnection, req.connection_id)
        if connection is None:
            return
        if req.error is None:
            connection.status, connection.last_error, connection.last_sync_at = "active", None, now
            return
        connection.status, connection.last_error, connection.last_error_at = "failing", req.error, now
        await notify(
            session, shop_id=connection.shop_id, level="warning", kind="channels.sync_failed",
            key=f"connection:{connection.id}",
            title=f"Sync of {connection.name} failed",
            title_cs=f"Synchronizace kanálu {connection.name} selhala",
            body=req.error,
            body_cs=f"Chyba obchodu: {req.error}",
            data={"connection_id": connection.id, "channel": connection.kind},
        )


ACTIVITIES = [
    begin_channel_sync,
    import_channel_orders_page,
    record_channel_listings_page,
    push_channel_stock_batch,
    push_channel_catalog_batch,
    finish_channel_sync,
]
