"""Deleting orders, products and customers through the control API, as Shoptet behaves after
a deletion: the detail answers the same 404 envelope as a key that never existed; lists,
their paginators, supplies and new snapshots leave the entity out; the change feed reports
it once, as `delete` at the deletion time; `order:delete` / `product:delete` /
`customer:delete` are sent like every other webhook. Deletions stay a small overlay, so
paging a huge shop never materialises it."""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import Callable
from typing import Any

import httpx
import orjson
import pytest

from infra.sandbox import shops as shops_module
from infra.sandbox.generator import ShopSpec, entity_guid, order_code, variant_offsets
from infra.sandbox.paging import Selection
from infra.sandbox.shops import OrderFilter, ShopData, TimeFilter
from infra.sandbox.testing import RunningSandbox, running_receiver

from .conftest import SHOP

EPOCH = "2000-01-01T00:00:00+0100"


async def _data(api: httpx.AsyncClient, path: str, **params: Any) -> dict[str, Any]:
    response = await api.get(path, params=params)
    assert response.status_code == 200, response.text
    return response.json()["data"]


async def _walk(
    api: httpx.AsyncClient,
    path: str,
    key: str,
    per_page: int,
    conforms: Callable[..., None],
    **params: Any,
) -> list[dict[str, Any]]:
    """Every item of a paged list, checking the paginator on every page and that one more
    page is a 404, so totals and page counts agree with what the pages hold."""
    items: list[dict[str, Any]] = []
    page, total = 1, None
    while True:
        response = await api.get(path, params={**params, "page": page, "itemsPerPage": per_page})
        assert response.status_code == 200, response.text
        conforms(response.json(), path)
        data = response.json()["data"]
        paginator = data["paginator"]
        total = paginator["totalCount"] if total is None else total
        assert paginator == {
            "totalCount": total,
            "page": page,
            "pageCount": -(-total // per_page),
            "itemsOnPage": len(data[key]),
            "itemsPerPage": per_page,
        }
        items += data[key]
        if page >= paginator["pageCount"]:
            break
        page += 1
    assert len(items) == total
    past = await api.get(path, params={**params, "page": page + 1, "itemsPerPage": per_page})
    assert past.status_code == 404 and past.json()["errors"][0]["errorCode"] == "page-not-found"
    return items


async def _register(api: httpx.AsyncClient, url: str, *events: str) -> None:
    response = await api.post(
        "/api/webhooks", json={"data": [{"event": e, "url": url} for e in events]}
    )
    assert response.status_code == 201, response.text


async def _snapshot(
    api: httpx.AsyncClient, control: httpx.AsyncClient, resource: str
) -> list[dict[str, Any]]:
    """A new snapshot job's whole result (job:finished must be registered)."""
    started = await api.get(f"/api/{resource}/snapshot", params={"changeTimeFrom": EPOCH})
    assert started.status_code == 202, started.text
    job_id = started.json()["data"]["jobId"]
    for _ in range(250):
        job = (await control.get(f"/jobs/{job_id}")).json()
        if job["status"] not in ("pending", "running"):
            break
        await asyncio.sleep(0.02)
    assert job["status"] == "completed", job
    body = (await api.get(job["resultUrl"])).content
    return [orjson.loads(line) for line in gzip.decompress(body).splitlines()]


def _events(received: list[Any], event: str) -> list[str]:
    bodies = [orjson.loads(r.body) for r in received]
    return [b["eventInstance"] for b in bodies if b["event"] == event]


def _not_found(response: httpx.Response, code: str, message: str, instance: str) -> None:
    assert response.status_code == 404
    body = response.json()
    assert body["data"] is None
    assert body["errors"] == [{"errorCode": code, "message": message, "instance": instance}]
    assert body["metadata"]["requestId"] == response.headers["X-Request-ID"]


async def test_deleted_orders_leave_details_lists_and_snapshots_and_the_feed_says_delete(
    api: httpx.AsyncClient, control: httpx.AsyncClient, conforms: Callable[..., None]
) -> None:
    shop = f"/shops/{SHOP.eshop_id}"
    async with running_receiver() as hooks:
        await _register(api, hooks.url, "job:finished", "order:delete")
        since = (await control.get("/clock")).json()["now"]
        plain, edited = order_code(SHOP, 10), order_code(SHOP, 300)
        assert (await control.patch(f"{shop}/orders/{edited}", json={"status_id": -2})).is_success
        created = (await control.post(f"{shop}/orders")).json()["code"]
        kept = (await control.post(f"{shop}/orders")).json()["code"]
        await control.post("/clock", json={"advance_seconds": 5})  # deletions after the edits
        deleted_at: dict[str, str] = {}
        for code in (plain, edited, created):
            answer = await control.delete(f"{shop}/orders/{code}")
            assert answer.status_code == 200, answer.text
            assert answer.json()["code"] == code and answer.json()["changeType"] == "delete"
            deleted_at[code] = answer.json()["changeTime"]
        assert deleted_at[plain] > since
        received = await hooks.wait_for(3)
    # each notification is its own delivery, so they may arrive in any order
    assert sorted(_events(received, "order:delete")) == sorted([plain, edited, created])

    # detail: exactly the answer for a code Shoptet never had
    for code in (*deleted_at, "1999000001"):
        gone = await api.get(f"/api/orders/{code}")
        _not_found(gone, "order-not-found", f'Order with code "{code}" not found.', code)
        # the orders detail has no 404 schema in the file; the envelope is the shared one
        conforms(gone.json(), "/api/customers/{guid}", status="404")

    # lists: gone from every page, the paginator agrees
    expected = [order_code(SHOP, i) for i in range(SHOP.orders) if i not in (10, 300)] + [kept]
    listed = await _walk(api, "/api/orders", "orders", 50, conforms)
    assert [o["code"] for o in listed] == expected
    by_code = await _data(api, "/api/orders", orderCodes=f"{plain},{kept},{edited}")
    assert [o["code"] for o in by_code["orders"]] == [kept]
    assert by_code["paginator"]["totalCount"] == 1
    around = {"creationTimeFrom": listed[9]["creationTime"], "creationTimeTo": listed[10]["creationTime"]}
    window = await _data(api, "/api/orders", **around)
    assert [o["code"] for o in window["orders"]] == [order_code(SHOP, 9), order_code(SHOP, 11)]
    assert window["paginator"]["totalCount"] == 2

    # change feed: each order once with its latest change; deletions at their deletion time
    recent = await _walk(api, "/api/orders/changes", "changes", 1000, conforms, **{"from": since})
    assert [(c["code"], c["changeType"]) for c in recent] == [
        (kept, "edit"), (plain, "delete"), (edited, "delete"), (created, "delete")
    ]
    assert all(c["changeTime"] == deleted_at[c["code"]] for c in recent[1:])
    whole = await _walk(api, "/api/orders/changes", "changes", 1000, conforms, **{"from": EPOCH})
    codes = [c["code"] for c in whole]
    assert len(codes) == len(set(codes)) == SHOP.orders + 2
    assert [c["code"] for c in whole if c["changeType"] == "delete"] == list(deleted_at)
    deletes = await _walk(
        api, "/api/orders/changes", "changes", 2, conforms, **{"from": EPOCH, "changeType": "delete"}
    )
    assert [(c["code"], c["changeType"], c["changeTime"]) for c in deletes] == [
        (code, "delete", when) for code, when in deleted_at.items()
    ]
    edits = await _walk(
        api, "/api/orders/changes", "changes", 1000, conforms, **{"from": EPOCH, "changeType": "edit"}
    )
    assert [c["code"] for c in edits] == [c["code"] for c in whole if c["changeType"] == "edit"]
    assert len(edits) + len(deletes) == len(whole)
    assert {c["changeType"] for c in edits} == {"edit"}
    later = await _data(api, "/api/orders/changes", **{"from": deleted_at[created], "changeType": "edit"})
    assert later["changes"] == [] and later["paginator"]["totalCount"] == 0

    # a new snapshot holds what the list holds
    snapshot = await _snapshot(api, control, "orders")
    assert [o["code"] for o in snapshot] == expected

    # the control API treats a deleted order as unknown
    for call in (
        control.patch(f"{shop}/orders/{plain}", json={"paid": True}),
        control.post(f"{shop}/orders/{plain}/cancel"),
        control.delete(f"{shop}/orders/{plain}"),
        control.delete(f"{shop}/orders/1999000001"),
        control.delete(f"/shops/999/orders/{kept}"),
    ):
        assert (await call).status_code == 404
    described = (await control.get(shop)).json()
    assert described["orders"] == SHOP.orders + 2 - 3
    assert described["deleted"] == {"orders": 3, "products": 0, "customers": 0}


@pytest.mark.parametrize(
    ("kind", "count", "feed_page"), [("products", SHOP.products, 1000), ("customers", SHOP.customers, 20)]
)
async def test_deleted_products_and_customers_leave_details_lists_and_snapshots(
    api: httpx.AsyncClient,
    control: httpx.AsyncClient,
    conforms: Callable[..., None],
    kind: str,
    count: int,
    feed_page: int,
) -> None:
    singular = kind[:-1]
    gone_at = (0, 17, count - 1)  # first, middle and last of the generated range
    guids = [entity_guid(SHOP, singular, j) for j in range(count)]
    async with running_receiver() as hooks:
        await _register(api, hooks.url, "job:finished", f"{singular}:delete")
        deleted_at: dict[str, str] = {}
        for j in gone_at:
            # any case is accepted, like the detail endpoint; webhooks carry the stored form
            answer = await control.delete(f"/shops/{SHOP.eshop_id}/{kind}/{guids[j].upper()}")
            assert answer.status_code == 200, answer.text
            assert answer.json()["guid"] == guids[j]
            deleted_at[guids[j]] = answer.json()["changeTime"]
        received = await hooks.wait_for(3)
    assert sorted(_events(received, f"{singular}:delete")) == sorted(deleted_at)

    for guid in (*deleted_at, "00000000-0000-4000-8000-000000000000"):
        gone = await api.get(f"/api/{kind}/{guid}")
        _not_found(
            gone, f"{singular}-not-found", f'{singular.capitalize()} with guid "{guid}" not found.', guid
        )
        conforms(gone.json(), "/api/customers/{guid}", status="404")
    alive = [g for j, g in enumerate(guids) if j not in gone_at]
    assert (await api.get(f"/api/{kind}/{alive[0]}")).status_code == 200

    listed = await _walk(api, f"/api/{kind}", kind, 7, conforms)
    assert [row["guid"] for row in listed] == alive
    first_two = await _data(
        api, f"/api/{kind}", creationTimeTo=listed[0]["creationTime"], itemsPerPage=5
    )
    assert [row["guid"] for row in first_two[kind]] == [guids[1]]  # guids[0] is deleted

    whole = await _walk(api, f"/api/{kind}/changes", "changes", feed_page, conforms, **{"from": EPOCH})
    assert [c["guid"] for c in whole] == alive + list(deleted_at)
    assert [(c["changeType"], c["changeTime"]) for c in whole[-3:]] == [
        ("delete", when) for when in deleted_at.values()
    ]
    assert {c["changeType"] for c in whole[:-3]} == {"edit"}
    deletes = await _data(api, f"/api/{kind}/changes", **{"from": EPOCH, "changeType": "delete"})
    assert [c["guid"] for c in deletes["changes"]] == list(deleted_at)
    assert deletes["paginator"]["totalCount"] == 3
    edits = await _walk(
        api, f"/api/{kind}/changes", "changes", feed_page, conforms, **{"from": EPOCH, "changeType": "edit"}
    )
    assert [c["guid"] for c in edits] == alive
    recent = await _data(api, f"/api/{kind}/changes", **{"from": min(deleted_at.values())})
    assert [c["guid"] for c in recent["changes"]] == list(deleted_at)

    snapshot = await _snapshot(api, control, kind)
    assert [row["guid"] for row in snapshot] == alive

    if kind == "products":  # a deleted product's variants have no stock rows any more
        offsets = variant_offsets(SHOP)
        variants = offsets[-1] - sum(offsets[j + 1] - offsets[j] for j in gone_at)
        supplies = await _walk(api, "/api/stocks/{stockId}/supplies".replace("{stockId}", "1"),
                               "supplies", 1000, lambda *a, **k: None)
        assert len(supplies) == variants
        assert not {s["productGuid"] for s in supplies} & set(deleted_at)

    again = await control.delete(f"/shops/{SHOP.eshop_id}/{kind}/{guids[0]}")
    assert again.status_code == 404
    assert (await control.delete(f"/shops/{SHOP.eshop_id}/brands/{guids[1]}")).status_code == 422
    assert (await control.get(f"/shops/{SHOP.eshop_id}")).json()[kind] == count - 3


async def test_the_python_helper_deletes_and_reset_restores(
    api: httpx.AsyncClient, control: httpx.AsyncClient, sb: RunningSandbox
) -> None:
    code = order_code(SHOP, 5)
    product, customer = entity_guid(SHOP, "product", 3), entity_guid(SHOP, "customer", 4)
    sb.state.delete_order(SHOP.eshop_id, code)
    sb.state.delete_product(SHOP.eshop_id, product)
    sb.state.delete_customer(SHOP.eshop_id, customer)
    for path in (f"/api/orders/{code}", f"/api/products/{product}", f"/api/customers/{customer}"):
        assert (await api.get(path)).status_code == 404
    with pytest.raises(KeyError):
        sb.state.delete_order(SHOP.eshop_id, code)
    with pytest.raises(KeyError):
        sb.state.delete_customer(SHOP.eshop_id, "not-a-guid")
    (await control.post("/reset")).raise_for_status()
    token = sb.state.api_token(SHOP.eshop_id)
    for path in (f"/api/orders/{code}", f"/api/products/{product}", f"/api/customers/{customer}"):
        assert (await api.get(path, headers={"Shoptet-Access-Token": token})).status_code == 200


# -- the overlay itself, without a server


def _brute_orders(data: ShopData, f: OrderFilter) -> list[int]:
    return [
        i
        for i in range(data.order_count)
        if not data.is_deleted("orders", i)
        and data._order_matches(i, f)
        and (f.status_id is None or data.order_full(i)["status"]["id"] == f.status_id)
    ]


def _brute_feed(data: ShopData, since: float, change_type: str | None) -> list[int]:
    entries = []
    for i in range(data.order_count):
        item = data.order_change_item(i)
        when = data._order_feed_time(i)
        if when >= since and change_type in (None, item["changeType"]):
            entries.append((when, i))
    return [i for _, i in sorted(entries)]


def _pages(selection: Selection, per_page: int) -> list[int]:
    return [i for start in range(0, len(selection), per_page) for i in selection.window(start, per_page)]


def test_selections_with_edits_creations_and_deletions_match_brute_force() -> None:
    spec = ShopSpec(eshop_id=7, orders=400, products=30, customers=40)
    data, tl = ShopData(spec), spec.timeline
    now = tl.end_ts + 30 * 86400  # the control API edits after the generated history
    for i in (0, 5, 6, 7, 120, 250, 399):
        data.update_order(order_code(spec, i), now, status_id=-2)
    created = [data.create_order(now + n) for n in range(3)]
    for i in (6, 7, 8, 121, 399):  # edited, edited, plain, plain, last
        data.delete("orders", i, now + 10)
    data.delete("orders", data.order_index(created[1]) or 0, now + 11)
    mid = tl.order_time(200)
    filters = [
        OrderFilter(),
        OrderFilter(creation_from=tl.order_time(6), creation_to=tl.order_time(121)),
        OrderFilter(change_from=mid),
        OrderFilter(code_from=order_code(spec, 7), code_to=order_code(spec, 250)),
        OrderFilter(status_id=-2),
    ]
    for f in filters:
        selection = data.select_orders(f)
        assert len(selection) == len(_brute_orders(data, f)), f
        for per_page in (1, 7, 50):
            assert _pages(selection, per_page) == _brute_orders(data, f), (f, per_page)
    for since in (0, mid, now, now + 10, now + 11, now + 12):
        for change_type in (None, "edit", "delete"):
            feed = data.order_changes(since, change_type)
            assert _pages(feed, 13) == _brute_feed(data, since, change_type), (since, change_type)
    for kind, n in (("products", spec.products), ("customers", spec.customers)):
        for j in (0, 1, n // 2, n - 1):
            data.delete(kind, j, now + j)
        alive = [j for j in range(n) if not data.is_deleted(kind, j)]
        assert _pages(data.select_by_time(kind, TimeFilter()), 4) == alive
        assert _pages(data.changes(kind, 0, "edit"), 4) == alive
        assert _pages(data.changes(kind, 0), 4) == [*alive, 0, 1, n // 2, n - 1]
        assert _pages(data.changes(kind, now + 1, "delete"), 4) == [1, n // 2, n - 1]
        assert data.find(kind, entity_guid(spec, kind[:-1], 1)) is None


def test_paging_a_huge_shop_with_deletions_never_generates_the_skipped_orders(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    spec = ShopSpec(eshop_id=8, orders=300_000)
    data = ShopData(spec)
    now = spec.timeline.end_ts + 60
    gone = [0, 1, 150_000, 299_999]
    for i in gone:
        data.delete("orders", i, now)
    built: list[int] = []
    real = shops_module.order_full
    monkeypatch.setattr(shops_module, "order_full", lambda s, i: built.append(i) or real(s, i))
    selection = data.select_orders(OrderFilter())
    assert len(selection) == 300_000 - len(gone)
    assert selection.window(149_996, 3) == [149_998, 149_999, 150_001]
    feed = data.order_changes(0)
    assert len(feed) == 300_000 and feed.window(len(feed) - 4, 4) == gone
    assert built == []  # nothing was generated to count, skip or order
    assert len(data.deleted["orders"]) == len(gone)
