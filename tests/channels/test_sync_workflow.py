"""The channel sync end to end: Temporal dev server, our worker, PostgreSQL, and the WooCommerce
sandbox over HTTP. Orders land with channel `woocommerce` and reserve stock; the available
figure is pushed back to the store; a second sync pulls only what changed; bad keys stop the
sync at once with the error on the connection."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from temporalio.client import WorkflowFailureError

from api.services.channels import start_sync, status
from db.models import ChannelConnection, Order, OrderItem, StockReservation, Variant
from db.models.channels import RELEASED, RESERVED
from infra.monitoring import channels as monitoring
from infra.monitoring.checks import Context, evaluate
from infra.temporal_client import connect
from infra.woocommerce_sandbox.testing import RunningStore
from tests.channels.conftest import connect_store, keep_history
from tests.support import TEST_NOW, MakeShop
from workflows.channels import ChannelSyncProgress, ChannelSyncWorkflow

ON_HAND = {"WC-SIMPLE-1": 100, "WC-SIMPLE-2": 100, "WC-SIMPLE-3": 100, "WC-VAR-1-M": 4}


def _variants(db_session: Session, shop_id: int) -> None:
    for code, stock in ON_HAND.items():
        db_session.add(
            Variant(
                shop_id=shop_id, code=code, product_guid="0b7c3f0e-2222-4a5b-8c9d-0e1f2a3b4c5d",
                stock_total=Decimal(stock),
            )
        )
    db_session.commit()


async def _sync(db_session: Session, shop_id: int, connection_id: int) -> Any:
    client = await connect()
    row = db_session.get(ChannelConnection, connection_id)
    assert row is not None
    db_session.expunge(row)
    started = await start_sync(client, row)
    handle = client.get_workflow_handle_for(
        ChannelSyncWorkflow.run, started.workflow_id, run_id=started.run_id
    )
    return handle


async def test_orders_reserve_stock_and_the_available_figure_is_pushed(
    worker: object, store: RunningStore, make_shop: MakeShop, db_session: Session
) -> None:
    shop = make_shop()
    _variants(db_session, shop.id)
    connection_id = connect_store(db_session, shop.id, store.url)

    handle = await _sync(db_session, shop.id, connection_id)
    result: ChannelSyncProgress = await handle.result()
    await keep_history(handle, "channel_sync")
    client = await connect()
    await keep_history(
        client.get_workflow_handle(f"channels:{shop.id}:{connection_id}:stock"), "channel_stock_push"
    )
    assert (result.phase, result.orders_total, result.orders_imported) == ("done", 250, 250)
    assert (result.pages_done, result.pages_total, result.oversold) == (3, 3, 0)
    assert result.listings == 6  # 3 simple products and 3 variations
    assert await handle.query(ChannelSyncWorkflow.progress) == result
    # the status the channels page polls: the finished run's progress, from its history
    connection = db_session.get(ChannelConnection, connection_id)
    assert connection is not None
    shown = await status(await connect(), connection)
    assert not shown.running and shown.run_status == "completed" and shown.progress == result
    assert shown.connection.status == "active" and shown.connection.orders_imported == 250

    orders = db_session.scalar(
        select(func.count()).select_from(Order).where(
            Order.shop_id == shop.id, Order.channel == "woocommerce"
        )
    )
    assert orders == 250
    # items as Shoptet's: products by SKU, so inventory demand and analytics count them
    items = db_session.execute(
        select(OrderItem.item_type, func.count(), func.count().filter(OrderItem.code.like("WC-SIMPLE-%")))
        .where(OrderItem.shop_id == shop.id)
        .group_by(OrderItem.item_type)
    ).all()
    assert [tuple(row) for row in items] == [("product", 250, 250)]
    # 250 one-unit orders over 3 SKUs: 84, 83, 83 reserved
    assert store.state.stock_of("WC-SIMPLE-1") == 16
    assert store.state.stock_of("WC-SIMPLE-2") == 17
    assert store.state.stock_of("WC-VAR-1-M") == 4  # no orders: on hand, pushed over the 10
    assert store.state.stock_of("WC-VAR-1-S") == 10  # not a variant of the shop: left alone
    assert result.stock_pushed == 4

    # a second sync pulls only what changed since the cursor
    first = next(iter(store.state.orders))
    last_time = after_order(store, 260)
    store.state.modify_order(first, last_time, "cancelled")
    store.state.add_order(last_time, sku="WC-SIMPLE-1", quantity=2)
    handle = await _sync(db_session, shop.id, connection_id)
    again: ChannelSyncProgress = await handle.result()
    # the changed and the new order, and the last one of the first sync (the cursor's overlap)
    assert (again.orders_total, again.orders_imported, again.pages_total) == (3, 1, 1)
    statuses = dict(
        db_session.execute(
            select(StockReservation.order_code, StockReservation.status).where(
                StockReservation.shop_id == shop.id,
                StockReservation.order_code.in_([f"WC{connection_id}-{first}"]),
            )
        ).all()
    )
    assert statuses == {f"WC{connection_id}-{first}": RELEASED}
    # WC-SIMPLE-1: 84 reserved, one cancelled, two more ordered: 100 - 85
    assert store.state.stock_of("WC-SIMPLE-1") == 15
    assert db_session.scalar(
        select(func.count()).select_from(StockReservation).where(
            StockReservation.shop_id == shop.id, StockReservation.status == RESERVED
        )
    ) == 250


def after_order(store: RunningStore, steps: int) -> datetime:
    return store.state.spec.start + store.state.spec.step * steps + timedelta(seconds=1)


async def test_bad_keys_fail_the_sync_at_once_and_show_on_the_connection(
    worker: object, store: RunningStore, make_shop: MakeShop, db_session: Session
) -> None:
    shop = make_shop()
    connection_id = connect_store(db_session, shop.id, store.url, secret="cs_revoked_key")
    handle = await _sync(db_session, shop.id, connection_id)
    with pytest.raises(WorkflowFailureError):
        await handle.result()
    await keep_history(handle, "channel_sync_auth_failure")
    assert store.state.requests["GET /orders"] == 1  # neither the call nor the activity retried
    db_session.expire_all()
    row = db_session.get(ChannelConnection, connection_id)
    assert row is not None and row.status == "failing"
    assert row.last_error is not None and "refused the consumer key and secret" in row.last_error
    progress = await handle.query(ChannelSyncWorkflow.progress)
    assert progress.phase == "failed" and progress.error == row.last_error
    # the monitoring page's check shows it, with the error
    data = await monitoring.collect(Context(temporal=None, now=TEST_NOW))
    result = evaluate(monitoring.CHECKS[0], data, {})
    assert result.state == "warn"
    assert [r["id"] for r in result.rows if r["shop_id"] == shop.id] == [connection_id]
