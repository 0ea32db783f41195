"""Paged lists, details and change feeds: Shoptet's limits, clamping, paginator, filters, and
every answer valid against the official OpenAPI schemas."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from infra.sandbox.formats import parse_shoptet_time
from infra.sandbox.generator import order_code
from infra.sandbox.testing import RunningSandbox

from .conftest import SHOP


async def _data(api: httpx.AsyncClient, path: str, **params: Any) -> dict[str, Any]:
    response = await api.get(path, params=params)
    assert response.status_code == 200, response.text
    return response.json()["data"]


@pytest.mark.parametrize(
    ("path", "key", "default", "maximum", "extra"),
    [
        ("/api/orders", "orders", 50, 50, {}),
        ("/api/orders/changes", "changes", 20, 1000, {"from": "2023-01-01T00:00:00+0100"}),
        ("/api/products", "products", 20, 1000, {}),
        ("/api/products/changes", "changes", 1000, 1000, {"from": "2020-01-01T00:00:00+0100"}),
        ("/api/customers", "customers", 20, 1000, {}),
        ("/api/customers/changes", "changes", 20, 20, {"from": "2020-01-01T00:00:00+0100"}),
        ("/api/stocks/1/supplies", "supplies", 1000, 1000, {}),
    ],
)
async def test_default_and_silently_clamped_items_per_page(
    api: httpx.AsyncClient, path: str, key: str, default: int, maximum: int, extra: dict[str, str]
) -> None:
    plain = await _data(api, path, **extra)
    assert plain["paginator"]["itemsPerPage"] == default
    assert len(plain[key]) == min(default, plain["paginator"]["totalCount"])
    clamped = await _data(api, path, itemsPerPage=maximum + 500, **extra)
    assert clamped["paginator"]["itemsPerPage"] == maximum


async def test_paginator_walks_every_order_once(api: httpx.AsyncClient) -> None:
    seen: list[str] = []
    page = 1
    while True:
        data = await _data(api, "/api/orders", page=page, itemsPerPage=50)
        paginator = data["paginator"]
        assert paginator == {
            "totalCount": SHOP.orders,
            "page": page,
            "pageCount": 12,
            "itemsOnPage": len(data["orders"]),
            "itemsPerPage": 50,
        }
        seen += [o["code"] for o in data["orders"]]
        if page == paginator["pageCount"]:
            break
        page += 1
    assert seen == [order_code(SHOP, i) for i in range(SHOP.orders)]


async def test_page_past_the_end_and_bad_parameters(api: httpx.AsyncClient) -> None:
    past = await api.get("/api/orders", params={"page": 13})
    assert past.status_code == 404
    error = past.json()["errors"][0]
    assert error["errorCode"] == "page-not-found" and "max page is 12" in error["message"]
    for params in ({"page": 0}, {"itemsPerPage": "ten"}, {"creationTimeFrom": "yesterday"}):
        bad = await api.get("/api/orders", params=params)
        assert (
            bad.status_code == 400 and bad.json()["errors"][0]["errorCode"] == "invalid-parameter"
        )
    feed = await api.get("/api/orders/changes")
    assert feed.status_code == 400 and feed.json()["errors"][0]["instance"] == "from"
    unsupported = await api.get("/api/orders", params={"shippingGuid": "x"})
    assert unsupported.json()["errors"][0]["errorCode"] == "sandbox-unsupported-filter"


async def test_creation_and_change_time_filters_match_brute_force(
    api: httpx.AsyncClient, sb: RunningSandbox
) -> None:
    data = sb.state.shops[SHOP.eshop_id].data
    lo, hi = "2024-03-01T00:00:00+0100", "2024-03-31T23:59:59+0200"
    got = await _data(api, "/api/orders", creationTimeFrom=lo, creationTimeTo=hi)
    expected = [
        order_code(SHOP, i)
        for i in range(SHOP.orders)
        if parse_shoptet_time(lo) <= data.order_created(i) <= parse_shoptet_time(hi)
    ]
    assert got["paginator"]["totalCount"] == len(expected) > 0
    assert [o["code"] for o in got["orders"]] == expected[:50]
    changed = await _data(api, "/api/orders", changeTimeFrom="2024-06-01T00:00:00+0200")
    assert all(o["changeTime"] >= "2024-06-01" for o in changed["orders"])
    # an unencoded '+' arrives as a space; Shoptet still reads it
    spaced = await api.get(
        "/api/orders?creationTimeFrom=2024-03-01T00:00:00+0100&creationTimeTo="
        + hi.replace("+", "%2B")
    )
    assert spaced.json()["data"]["paginator"]["totalCount"] == len(expected)


async def test_order_codes_email_and_status_filters(api: httpx.AsyncClient) -> None:
    codes = [order_code(SHOP, i) for i in (3, 7, 11)]
    by_code = await _data(api, "/api/orders", orderCodes=",".join([*codes, "1999000001"]))
    assert [o["code"] for o in by_code["orders"]] == codes
    email = by_code["orders"][0]["email"]
    by_email = await _data(api, "/api/orders", email=email.upper())
    assert by_email["orders"] and all(o["email"] == email for o in by_email["orders"])
    cancelled = await _data(api, "/api/orders", statusId=-4)
    assert all(o["status"]["id"] == -4 for o in cancelled["orders"])
    too_many = await api.get(
        "/api/orders", params={"orderCodes": ",".join(str(n) for n in range(51))}
    )
    assert too_many.status_code == 400


async def test_order_detail_has_items_with_shipping_and_billing(
    api: httpx.AsyncClient, conforms: Callable[..., None]
) -> None:
    code = order_code(SHOP, 42)
    response = await api.get(
        f"/api/orders/{code}", params={"include": "notes,shippingDetails,stockLocation"}
    )
    body = response.json()
    conforms(body, "/api/orders/{code}")
    order = body["data"]["order"]
    assert {"shipping", "billing"} <= {item["itemType"] for item in order["items"]}
    assert "notes" in order and "shippingDetails" in order
    missing = await api.get("/api/orders/1999000001")
    assert (
        missing.status_code == 404 and missing.json()["errors"][0]["errorCode"] == "order-not-found"
    )
    bad_include = await api.get(f"/api/orders/{code}", params={"include": "everything"})
    assert bad_include.status_code == 400


async def test_lists_details_and_feeds_conform_to_the_openapi_schemas(
    api: httpx.AsyncClient, conforms: Callable[..., None]
) -> None:
    since = {"from": "2020-01-01T00:00:00+0100"}
    for path, params in (
        ("/api/orders", {"itemsPerPage": 50}),
        ("/api/orders/changes", since),
        ("/api/products", {"itemsPerPage": 60}),
        ("/api/products/changes", since),
        ("/api/customers", {"itemsPerPage": 150}),
        ("/api/customers/changes", since),
        ("/api/stocks", {}),
        ("/api/stocks/{stockId}/supplies", {"include": "changeTime"}),
        ("/api/eshop", {"include": "orderStatuses,paymentMethods,shippingMethods"}),
        ("/api/webhooks", {}),
    ):
        response = await api.get(path.replace("{stockId}", "2"), params=params)
        assert response.status_code == 200, (path, response.text)
        conforms(response.json(), path)
    products = (await _data(api, "/api/products", itemsPerPage=60))["products"]
    for row in products[::7]:
        detail = await api.get(
            f"/api/products/{row['guid']}", params={"include": "perStockAmounts,variantParameters"}
        )
        conforms(detail.json(), "/api/products/{guid}")
    customers = (await _data(api, "/api/customers", itemsPerPage=150))["customers"]
    for row in customers[::13]:
        detail = await api.get(f"/api/customers/{row['guid']}")
        conforms(detail.json(), "/api/customers/{guid}")
    for i in range(0, SHOP.orders, 37):
        detail = await api.get(f"/api/orders/{order_code(SHOP, i)}")
        conforms(detail.json(), "/api/orders/{code}")


async def test_unknown_entities_and_endpoints_are_404_envelopes(api: httpx.AsyncClient) -> None:
    for path, code in (
        ("/api/products/00000000-0000-4000-8000-000000000000", "product-not-found"),
        ("/api/customers/nonsense", "customer-not-found"),
        ("/api/stocks/9/supplies", "stock-not-found"),
        ("/api/no-such-endpoint", "endpoint-not-found"),
    ):
        response = await api.get(path)
        assert response.status_code == 404
        assert response.json()["errors"][0]["errorCode"] == code
        assert response.json()["metadata"]["requestId"] == response.headers["X-Request-ID"]


async def test_order_edits_show_in_detail_list_and_change_feed(
    api: httpx.AsyncClient, control: httpx.AsyncClient
) -> None:
    code = order_code(SHOP, 10)
    before = (await _data(api, f"/api/orders/{code}"))["order"]
    sb_now = (await control.get("/clock")).json()["now"]
    await control.patch(
        f"/shops/{SHOP.eshop_id}/orders/{code}", json={"status_id": -2, "paid": True}
    )
    created = (await control.post(f"/shops/{SHOP.eshop_id}/orders")).json()["code"]
    after = (await _data(api, f"/api/orders/{code}"))["order"]
    assert after["status"] == {"id": -2, "name": "Vyřizuje se"} and after["paid"] is True
    assert after["changeTime"] > before["changeTime"]
    assert after["items"] == [{**item, "status": after["status"]} for item in before["items"]]
    feed = await _data(api, "/api/orders/changes", **{"from": sb_now, "itemsPerPage": 1000})
    assert [c["code"] for c in feed["changes"]][-2:] == [code, created]
    listed = await _data(api, "/api/orders", page=13)
    assert listed["orders"][-1]["code"] == created
    assert listed["paginator"]["totalCount"] == SHOP.orders + 1
    assert created.startswith(sb_now[:4])
    new = (await _data(api, f"/api/orders/{created}"))["order"]
    assert new["status"]["id"] == -1 and new["creationTime"][:10] == sb_now[:10]
