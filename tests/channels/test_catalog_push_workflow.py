"""The channel sync's catalog push end to end: with the connection's catalog push on, the sync
sends the price (with VAT) and the available stock of every listed SKU of the shop to the
WooCommerce sandbox through its batch endpoints (simple products and variations); SKUs the shop
does not know, or without a price, are left alone; off, no price is touched."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.orm import Session

from api.services.channels import start_sync
from db.models import ChannelConnection, Variant
from infra.temporal_client import connect
from infra.woocommerce_sandbox.testing import RunningStore
from tests.channels.conftest import connect_store, keep_history
from tests.support import MakeShop
from workflows.channels import ChannelSyncProgress, ChannelSyncWorkflow

# code: (price with VAT, on hand); WC-SIMPLE-3 has no price: its price is left alone
CATALOG = {
    "WC-SIMPLE-1": (Decimal("249.00"), 100),
    "WC-SIMPLE-2": (Decimal("1290.50"), 7),
    "WC-SIMPLE-3": (None, 100),
    "WC-VAR-1-M": (Decimal("399.90"), 4),
}


def _catalog(db_session: Session, shop_id: int) -> None:
    for code, (price, stock) in CATALOG.items():
        db_session.add(
            Variant(
                shop_id=shop_id,
                code=code,
                product_guid="0b7c3f0e-2222-4a5b-8c9d-0e1f2a3b4c5d",
                name=f"Triko {code}",
                price_with_vat=price,
                stock_total=Decimal(stock),
            )
        )
    db_session.commit()


@dataclass(frozen=True)
class Connected:
    shop_id: int
    connection_id: int


ConnectCatalog = Callable[..., Connected]


@pytest.fixture
def connect_catalog(
    store: RunningStore, make_shop: MakeShop, db_session: Session
) -> ConnectCatalog:
    """`connect_catalog(catalog_push=…)`: a new shop with CATALOG, connected to the WooCommerce
    sandbox with its catalog push on or off."""

    def connect(*, catalog_push: bool) -> Connected:
        shop = make_shop()
        _catalog(db_session, shop.id)
        connection_id = connect_store(db_session, shop.id, store.url)
        row = db_session.get(ChannelConnection, connection_id)
        assert row is not None
        row.catalog_push_enabled = catalog_push
        db_session.commit()
        return Connected(shop.id, connection_id)

    return connect


def _price(store: RunningStore, sku: str) -> str | None:
    state = store.state
    for product in state.products.values():
        if product.get("sku") == sku:
            return product.get("regular_price")
    for variations in state.variations.values():
        for variation in variations.values():
            if variation.get("sku") == sku:
                return variation.get("regular_price")
    raise AssertionError(f"{sku} is not in the sandbox")


async def _run(db_session: Session, connection_id: int) -> tuple[ChannelSyncProgress, Any]:
    client = await connect()
    row = db_session.get(ChannelConnection, connection_id)
    assert row is not None
    db_session.expunge(row)
    started = await start_sync(client, row)
    handle = client.get_workflow_handle_for(
        ChannelSyncWorkflow.run, started.workflow_id, run_id=started.run_id
    )
    return await handle.result(), handle


async def test_the_sync_pushes_prices_and_stock_of_the_catalog(
    worker: object, store: RunningStore, connect_catalog: ConnectCatalog, db_session: Session
) -> None:
    connected = connect_catalog(catalog_push=True)
    before = {sku: _price(store, sku) for sku in ("WC-SIMPLE-3", "WC-VAR-1-S")}

    result, handle = await _run(db_session, connected.connection_id)
    await keep_history(handle, "channel_sync_catalog_push")

    assert result.phase == "done"
    assert result.catalog_pushed == 3  # the listed SKUs the shop prices
    assert _price(store, "WC-SIMPLE-1") == "249.00"
    assert _price(store, "WC-SIMPLE-2") == "1290.50"
    assert _price(store, "WC-VAR-1-M") == "399.90"  # a variation, through its parent's batch
    assert {sku: _price(store, sku) for sku in before} == before
    # stock with the prices: 250 orders reserved 83 of WC-SIMPLE-2's 7 → nothing left to sell
    assert store.state.stock_of("WC-SIMPLE-2") == 0
    assert store.state.stock_of("WC-VAR-1-M") == 4
    assert store.state.requests["POST /products/batch"] >= 1


async def test_without_catalog_push_no_price_changes(
    worker: object, store: RunningStore, connect_catalog: ConnectCatalog, db_session: Session
) -> None:
    connected = connect_catalog(catalog_push=False)
    before = _price(store, "WC-SIMPLE-1")
    result, _handle = await _run(db_session, connected.connection_id)
    assert result.phase == "done" and result.catalog_pushed == 0
    assert _price(store, "WC-SIMPLE-1") == before
    assert store.state.requests["POST /products/batch"] == 0


async def test_with_the_stock_push_off_the_catalog_push_reads_the_listings_itself(
    worker: object, store: RunningStore, connect_catalog: ConnectCatalog
) -> None:
    from workflows.channels import ChannelSyncRequest
    from workflows.queues import Queue

    connected = connect_catalog(catalog_push=True)
    shop_id, connection_id = connected.shop_id, connected.connection_id
    client = await connect()
    result = await client.execute_workflow(
        ChannelSyncWorkflow.run,
        ChannelSyncRequest(shop_id, connection_id, trigger="schedule", push_stock=False),
        id=f"channels:{shop_id}:{connection_id}:sync-no-stock",
        task_queue=Queue.SYNC.value,
    )
    assert (result.phase, result.listings, result.stock_pushed) == ("done", 6, 0)
    assert result.catalog_pushed == 3
    puts = sum(n for key, n in store.state.requests.items() if key.startswith("PUT "))
    assert puts == 0  # no stock push of single listings
    assert _price(store, "WC-SIMPLE-2") == "1290.50"
    assert store.state.stock_of("WC-SIMPLE-2") == 0  # the catalog push carries the stock
