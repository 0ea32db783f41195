"""The reseller (B2B) API: an owner creates a reseller and a key; the key reads only its own
shop's catalog at its price list's prices, submits idempotent orders that land as ordinary
orders with channel `b2b`, and is rate limited."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import psycopg
import pytest

from api.routes.resellers import _clock  # pyright: ignore[reportPrivateUsage]
from bench.feeds import seed_catalog
from db.engine import libpq_url
from tests.support import TEST_NOW, MakeShop, MakeUser, app_env, assert_problem, login

ITEMS = 12  # V0000000 … V0000011; stock_total = i % 7, price 100 + i (.i)


@pytest.fixture(scope="module")
def pg() -> Iterator[psycopg.Connection[Any]]:
    conn = psycopg.connect(libpq_url(os.environ["DATABASE_URL"]))
    yield conn
    conn.close()


def shop_with_catalog(make_shop: MakeShop, pg: psycopg.Connection[Any]) -> int:
    shop = make_shop()
    seed_catalog(pg, shop.id, ITEMS, "https://www.example.cz/")
    pg.commit()
    return shop.id


async def reseller_key(
    api: httpx.AsyncClient, shop_id: int, discount: str = "10"
) -> tuple[int, str]:
    created = await api.post(
        f"/api/shops/{shop_id}/resellers",
        json={
            "name": "Velkoobchod Šťastný & syn",
            "email": "b2b@example.cz",
            "discount_percent": discount,
        },
    )
    assert created.status_code == 201, created.text
    reseller_id = created.json()["id"]
    key = await api.post(f"/api/shops/{shop_id}/resellers/{reseller_id}/keys", json={"name": "ERP"})
    assert key.status_code == 201, key.text
    assert key.json()["key"].startswith("b2b_")
    return reseller_id, key.json()["key"]


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def two_shops(
    make_shop: MakeShop, make_user: MakeUser, pg: psycopg.Connection[Any]
) -> tuple[int, int, tuple[str, str], tuple[str, str]]:
    a, b = shop_with_catalog(make_shop, pg), shop_with_catalog(make_shop, pg)
    owner_a, pw_a = make_user(shops={a: "owner"})
    owner_b, pw_b = make_user(shops={b: "owner"})
    return a, b, (owner_a.email, pw_a), (owner_b.email, pw_b)


async def test_a_key_reads_its_own_shops_catalog_at_its_prices(
    api: httpx.AsyncClient, two_shops: Any, pg: psycopg.Connection[Any]
) -> None:
    shop_a, shop_b, owner_a, _ = two_shops
    await login(api, *owner_a)
    reseller_id, key = await reseller_key(api, shop_a)
    own = await api.put(
        f"/api/shops/{shop_a}/resellers/{reseller_id}/prices",
        json={"prices": [{"variant_code": "V0000003", "price": "55.50"}]},
    )
    assert own.status_code == 200, own.text
    api.cookies.clear()  # the reseller has no session, only the key
    api.headers.pop("X-CSRF-Token", None)

    seen: list[dict[str, Any]] = []
    cursor = None
    while True:
        page = await api.get("/api/b2b/v1/catalog", params={"limit": 5, **({"cursor": cursor} if cursor else {})}, headers=bearer(key))  # fmt: skip
        assert page.status_code == 200, page.text
        seen.extend(page.json()["items"])
        cursor = page.json()["next_cursor"]
        if cursor is None:
            break
    assert [i["code"] for i in seen] == [f"V{i:07d}" for i in range(ITEMS)]
    by_code = {i["code"]: i for i in seen}
    # 10 % off the retail price, unless the price list names the variant's own price
    assert Decimal(by_code["V0000001"]["retail_price"]) == Decimal("101.01")
    assert Decimal(by_code["V0000001"]["price"]) == Decimal("90.91")
    assert Decimal(by_code["V0000003"]["price"]) == Decimal("55.50")
    assert Decimal(by_code["V0000006"]["stock"]) == 6

    # shop B's variants share the codes, but the key only ever sees shop A's rows
    pg.execute("UPDATE variants SET price_with_vat = 1 WHERE shop_id = %s", (shop_b,))
    pg.execute("DELETE FROM variants WHERE shop_id = %s AND code = 'V0000011'", (shop_a,))
    pg.commit()
    again = (
        await api.get("/api/b2b/v1/catalog", params={"limit": 500}, headers=bearer(key))
    ).json()
    assert len(again["items"]) == ITEMS - 1
    assert all(Decimal(i["retail_price"]) > 1 for i in again["items"])
    # ordering shop B's variant that shop A lacks: unknown, not shop B's stock
    missing = await api.post(
        "/api/b2b/v1/orders",
        json={"items": [{"code": "V0000011", "quantity": 1}]},
        headers={**bearer(key), "Idempotency-Key": "order-missing-1"},
    )
    assert_problem(missing, 422)

    # hostile input: a forged cursor, no key, a wrong key
    assert_problem(
        await api.get("/api/b2b/v1/catalog", params={"cursor": "bm9wZQ"}, headers=bearer(key)), 400
    )
    assert_problem(await api.get("/api/b2b/v1/catalog"), 401)
    assert_problem(await api.get("/api/b2b/v1/catalog", headers=bearer("b2b_" + "x" * 43)), 401)


async def test_owner_routes_are_scoped_and_owner_only(
    api: httpx.AsyncClient, two_shops: Any, make_user: MakeUser
) -> None:
    shop_a, shop_b, owner_a, owner_b = two_shops
    await login(api, *owner_a)
    reseller_id, key = await reseller_key(api, shop_a)
    await login(api, *owner_b)
    # another shop's owner: the shop and its reseller do not exist for them
    assert_problem(await api.get(f"/api/shops/{shop_a}/resellers"), 404)
    assert_problem(
        await api.post(f"/api/shops/{shop_a}/resellers/{reseller_id}/keys", json={}), 404
    )
    assert_problem(
        await api.post(f"/api/shops/{shop_b}/resellers/{reseller_id}/keys", json={}), 404
    )
    assert_problem(await api.delete(f"/api/shops/{shop_b}/resellers/{reseller_id}"), 404)
    # a manager of the shop is not enough
    manager, pw = make_user(shops={shop_a: "manager"})
    await login(api, manager.email, pw)
    assert_problem(await api.get(f"/api/shops/{shop_a}/resellers"), 403)
    # the owner sees the key by its prefix only, and revoking it shuts the API
    await login(api, *owner_a)
    listed = (await api.get(f"/api/shops/{shop_a}/resellers")).json()
    [reseller] = [r for r in listed if r["id"] == reseller_id]
    [listed_key] = reseller["keys"]
    assert "key" not in listed_key and key.startswith(listed_key["prefix"])
    revoked = await api.delete(
        f"/api/shops/{shop_a}/resellers/{reseller_id}/keys/{listed_key['id']}"
    )
    assert revoked.status_code == 204
    assert_problem(await api.get("/api/b2b/v1/catalog", headers=bearer(key)), 401)
    # CSRF: a session's state change without the token is refused, as on every route
    del api.headers["X-CSRF-Token"]
    refused = await api.post(f"/api/shops/{shop_a}/resellers", json={"name": "x"})
    assert refused.status_code == 403


async def test_order_submission_is_idempotent_and_lands_as_a_b2b_order(
    api: httpx.AsyncClient, two_shops: Any, pg: psycopg.Connection[Any]
) -> None:
    shop_a, _, owner_a, _ = two_shops
    await login(api, *owner_a)
    _, key = await reseller_key(api, shop_a, discount="0")
    order = {"items": [{"code": "V0000005", "quantity": 2}, {"code": "V0000002", "quantity": 1}], "reference": "PO-77"}  # fmt: skip
    headers = {**bearer(key), "Idempotency-Key": "po-77-first-try"}

    first, second = await asyncio.gather(
        api.post("/api/b2b/v1/orders", json=order, headers=headers),
        api.post("/api/b2b/v1/orders", json=order, headers=headers),
    )
    statuses = sorted([first.status_code, second.status_code])
    assert statuses == [200, 201], (first.text, second.text)
    assert first.json()["code"] == second.json()["code"]
    code = first.json()["code"]
    assert first.json()["channel"] == "b2b"
    assert Decimal(first.json()["total_with_vat"]) == Decimal("105.05") * 2 + Decimal("102.02")
    replay = await api.post("/api/b2b/v1/orders", json=order, headers=headers)
    assert replay.status_code == 200 and replay.headers["idempotent-replayed"] == "true"
    assert replay.json()["code"] == code

    rows = pg.execute(
        "SELECT channel, item_count, source_name FROM orders WHERE shop_id = %s AND code = %s",
        (shop_a, code),
    ).fetchall()
    assert rows == [("b2b", 2, "B2B: Velkoobchod Šťastný & syn")]
    reserved = dict(pg.execute(
        "SELECT variant_code, quantity FROM stock_reservations "
        "WHERE shop_id = %s AND channel = 'b2b' AND order_code = %s AND status = 'reserved'",
        (shop_a, code),
    ).fetchall())  # fmt: skip
    pg.commit()
    assert reserved == {"V0000005": Decimal(2), "V0000002": Decimal(1)}  # reserved once, not twice

    # the same key with another body is refused, not silently answered with the first order
    other = {"items": [{"code": "V0000005", "quantity": 1}]}
    assert_problem(await api.post("/api/b2b/v1/orders", json=other, headers=headers), 422)
    # more than the stock: refused with what is short
    short = await api.post(
        "/api/b2b/v1/orders",
        json={"items": [{"code": "V0000006", "quantity": 7}]},
        headers={**bearer(key), "Idempotency-Key": "po-78-too-many"},
    )
    body = assert_problem(short, 409)
    assert body["shortages"] == [{"code": "V0000006", "wanted": "7", "available": "6.000"}]
    assert_problem(
        await api.post(
            "/api/b2b/v1/orders",
            json={"items": []},
            headers={**bearer(key), "Idempotency-Key": "po-79-empty"},
        ),
        422,
    )
    assert_problem(await api.post("/api/b2b/v1/orders", json=order, headers=bearer(key)), 422)

    # the owner sees it in the ordinary orders list
    listed = (await api.get(f"/api/shops/{shop_a}/orders", params={"q": code})).json()
    assert [o["code"] for o in listed["items"]] == [code]


async def test_requests_beyond_the_keys_limit_get_429_until_the_next_minute(
    api: httpx.AsyncClient, two_shops: Any
) -> None:
    shop_a, _, owner_a, _ = two_shops
    await login(api, *owner_a)
    _, key = await reseller_key(api, shop_a)
    _, other_key = await reseller_key(api, shop_a)
    app = api._transport.app  # type: ignore[attr-defined]  # pyright: ignore
    window = TEST_NOW.timestamp() // 60 * 60
    app.dependency_overrides[_clock] = lambda: window + 15.0
    try:
        with app_env(B2B_RATE_LIMIT_PER_MINUTE="3"):
            for _ in range(3):
                ok = await api.get("/api/b2b/v1/catalog", params={"limit": 1}, headers=bearer(key))
                assert ok.status_code == 200 and ok.headers["x-ratelimit-limit"] == "3"
            limited = await api.get("/api/b2b/v1/catalog", headers=bearer(key))
            body = assert_problem(limited, 429)
            assert limited.headers["retry-after"] == "45"
            assert "3 requests a minute" in str(body["detail"])
            # another key of the same shop has its own budget
            assert (
                await api.get("/api/b2b/v1/catalog", headers=bearer(other_key))
            ).status_code == 200
            app.dependency_overrides[_clock] = lambda: window + 60.0  # the next minute
            assert (await api.get("/api/b2b/v1/catalog", headers=bearer(key))).status_code == 200
    finally:
        app.dependency_overrides.pop(_clock, None)
