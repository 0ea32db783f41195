"""Shoptet as the first channel adapter, against the Shoptet sandbox over HTTP: order headers a
page at a time with totals, per-variant stock, and writes refused (Shoptet is the master)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from activities.channels.base import CatalogItem, StockItem, Unsupported
from activities.channels.shoptet import ORDERS_PER_PAGE, ShoptetAdapter
from activities.shoptet import ShoptetClient
from activities.shoptet.tokens import StaticToken
from infra.sandbox.generator import ShopSpec
from infra.sandbox.testing import running_sandbox

SHOP = ShopSpec(eshop_id=318018, seed=7, orders=120, products=10, customers=50,
                date_from=date(2025, 1, 1), date_to=date(2025, 6, 30))


async def test_orders_and_stock_are_read_and_writes_refused() -> None:
    async with running_sandbox(shops=[SHOP]) as sb:
        adapter = ShoptetAdapter(ShoptetClient(sb.url, StaticToken(sb.api_token(SHOP.eshop_id))))
        first = await adapter.pull_orders(None, 1)
        assert (first.total, first.total_pages) == (120, 3)
        assert len(first.orders) == ORDERS_PER_PAGE
        last = await adapter.pull_orders(None, 3)
        assert len(last.orders) == 120 - 2 * ORDERS_PER_PAGE
        codes = {o.external_id for o in first.orders} | {o.external_id for o in last.orders}
        assert len(codes) == len(first.orders) + len(last.orders)
        stock = await adapter.pull_stock(1)
        assert stock.items and all(item.sku == item.remote_id for item in stock.items)
        assert all(item.quantity is None or item.quantity >= 0 for item in stock.items)
        with pytest.raises(Unsupported):
            await adapter.push_stock(StockItem("X", "X", 1))
        with pytest.raises(Unsupported):
            await adapter.push_catalog([CatalogItem("X", "Tričko", Decimal("390"))])
        await adapter.aclose()
