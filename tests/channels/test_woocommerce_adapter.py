"""The WooCommerce adapter against the sandbox over real HTTP: pages and totals, modified_after,
bad keys (one request, a clear error), and 429/5xx retried within the call."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from activities.channels.base import ChannelAuthError, ChannelError
from activities.channels.woocommerce import RetryPlan, WooCommerceAdapter
from infra.woocommerce_sandbox.state import START
from infra.woocommerce_sandbox.testing import RunningStore

FAST = RetryPlan(attempts=4, base_delay=0.0)


def adapter(store: RunningStore, secret: str = "cs_sandbox") -> WooCommerceAdapter:
    return WooCommerceAdapter(store.url, "ck_sandbox", secret, retry=FAST)


async def test_orders_come_in_pages_of_100_with_exact_totals(store: RunningStore) -> None:
    woo = adapter(store)
    seen: list[str] = []
    pages = []
    page = 1
    while True:
        result = await woo.pull_orders(None, page)
        pages.append(len(result.orders))
        assert (result.total, result.total_pages) == (250, 3)
        seen.extend(o.external_id for o in result.orders)
        if page >= result.total_pages:
            break
        page += 1
    await woo.aclose()
    assert pages == [100, 100, 50]
    assert len(set(seen)) == 250
    assert store.state.requests["GET /orders"] == 3


async def test_modified_after_returns_only_later_changes_oldest_first(store: RunningStore) -> None:
    woo = adapter(store)
    # orders are 7 minutes apart from START: after order #200's time come the last 49
    result = await woo.pull_orders(START + timedelta(minutes=7 * 200), 1)
    await woo.aclose()
    assert (result.total, len(result.orders)) == (49, 49)
    times = [o.modified_at for o in result.orders]
    assert times == sorted(times)
    first = result.orders[0]
    assert first.lines[0].sku.startswith("WC-SIMPLE-") and first.billing_name == "Jana Nováková"


async def test_per_page_above_100_is_refused_like_woocommerce(store: RunningStore) -> None:
    async with httpx.AsyncClient(auth=("ck_sandbox", "cs_sandbox")) as http:
        response = await http.get(f"{store.url}/wp-json/wc/v3/orders", params={"per_page": 101})
    assert response.status_code == 400
    assert response.json()["code"] == "rest_invalid_param"


async def test_bad_keys_fail_at_once_with_a_clear_error(store: RunningStore) -> None:
    woo = adapter(store, secret="cs_wrong")
    with pytest.raises(ChannelAuthError) as failure:
        await woo.pull_orders(None, 1)
    await woo.aclose()
    assert "refused the consumer key and secret" in str(failure.value)
    assert "woocommerce_rest_authentication_error" in str(failure.value)
    assert "cs_wrong" not in str(failure.value)
    assert not failure.value.retryable
    assert store.state.requests["GET /orders"] == 1  # not retried


@pytest.mark.parametrize("status", [429, 500, 503])
async def test_rate_limits_and_server_errors_are_retried(store: RunningStore, status: int) -> None:
    async with httpx.AsyncClient() as http:
        await http.post(
            f"{store.url}/_sandbox/faults", json={"status": status, "count": 2, "retry_after": 0}
        )
    woo = adapter(store)
    result = await woo.pull_orders(None, 1)
    await woo.aclose()
    assert len(result.orders) == 100
    assert store.state.requests["GET /orders"] == 3


async def test_an_outage_longer_than_the_call_surfaces_as_retryable(store: RunningStore) -> None:
    async with httpx.AsyncClient() as http:
        await http.post(f"{store.url}/_sandbox/faults", json={"status": 502, "count": 10})
    woo = adapter(store)
    with pytest.raises(ChannelError) as failure:
        await woo.pull_orders(None, 1)
    await woo.aclose()
    assert failure.value.retryable and "502" in str(failure.value)
    assert store.state.requests["GET /orders"] == FAST.attempts


async def test_stock_is_read_per_product_and_variation_and_written_back(store: RunningStore) -> None:
    woo = adapter(store)
    products = await woo.pull_stock(1)
    assert sorted(i.sku for i in products.items) == ["WC-SIMPLE-1", "WC-SIMPLE-2", "WC-SIMPLE-3"]
    assert len(products.parents) == 1
    variations = await woo.pull_stock(1, products.parents[0])
    assert sorted(i.sku for i in variations.items) == ["WC-VAR-1-L", "WC-VAR-1-M", "WC-VAR-1-S"]
    target = variations.items[0]
    await woo.push_stock(type(target)(target.remote_id, target.sku, 3))
    await woo.aclose()
    assert store.state.stock_of(target.sku) == 3
