"""WooCommerce catalog push against the sandbox: prices and stock of listed SKUs through the
REST v3 batch endpoints (simple products and variations), at most 100 per request, and a
per-item refusal named in the error."""

from __future__ import annotations

from decimal import Decimal

import pytest

from activities.channels.base import CatalogItem, ChannelError
from activities.channels.woocommerce import RetryPlan, WooCommerceAdapter
from infra.woocommerce_sandbox.testing import RunningStore


def adapter(store: RunningStore) -> WooCommerceAdapter:
    return WooCommerceAdapter(store.url, "ck_sandbox", "cs_sandbox", retry=RetryPlan(4, 0.0))


async def test_prices_and_stock_are_pushed_in_batches(store: RunningStore) -> None:
    state = store.state
    simple = sorted(pid for pid, p in state.products.items() if p["type"] == "simple")
    parent = next(pid for pid, p in state.products.items() if p["type"] == "variable")
    variation = next(iter(state.variations[parent]))
    items = [
        CatalogItem(state.products[pid]["sku"], "x", Decimal("123.4"), str(pid), stock=3)
        for pid in simple
    ]
    items.append(
        CatalogItem(state.variations[parent][variation]["sku"], "v", Decimal("99"),
                    f"{parent}/{variation}")
    )  # fmt: skip
    items.append(CatalogItem("NOT-LISTED", "n", Decimal("1")))  # no listing: left alone
    woo = adapter(store)
    await woo.push_catalog(items)
    await woo.aclose()
    for pid in simple:
        assert state.products[pid]["regular_price"] == "123.40"
        assert state.products[pid]["stock_quantity"] == 3
    assert state.variations[parent][variation]["regular_price"] == "99.00"
    batches = state.requests["POST /products/batch"]
    assert batches == (len(simple) + 99) // 100  # at most 100 updates per request


async def test_a_refused_item_is_named(store: RunningStore) -> None:
    woo = adapter(store)
    with pytest.raises(ChannelError, match="GONE-1"):
        await woo.push_catalog([CatalogItem("GONE-1", "x", Decimal("5"), "999999")])
    await woo.aclose()
