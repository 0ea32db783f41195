"""The channels API: owner-only connections scoped to the shop, keys encrypted at rest and never
answered, hostile input as 4xx problems, CSRF as every other write, and the orders list's
channel column and filter."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import psycopg
import pytest
from sqlalchemy.orm import Session

from tests.support import MakeShop, MakeUser, assert_problem, login

# connecting a store creates its Temporal schedule: the tests need the Temporal server
pytestmark = pytest.mark.usefixtures("temporal_env")

WOO = {
    "kind": "woocommerce",
    "name": "Woo e-shop",
    "base_url": "https://eshop.example.cz/",
    "consumer_key": "ck_live_1234567890abcd",
    "consumer_secret": "cs_live_secret_0987654321",
}


async def _owner(api: httpx.AsyncClient, make_user: MakeUser, shop_id: int) -> None:
    user, password = make_user(shops={shop_id: "owner"})
    await login(api, user.email, password)


async def test_owner_adds_lists_and_removes_a_connection_with_keys_encrypted(
    api: httpx.AsyncClient, make_user: MakeUser, make_shop: MakeShop, database_url: str
) -> None:
    shop = make_shop()
    await _owner(api, make_user, shop.id)
    added = await api.post(f"/api/shops/{shop.id}/channels", json=WOO)
    assert added.status_code == 201, added.text
    body = added.json()
    assert body["base_url"] == "https://eshop.example.cz" and body["key_hint"] == "abcd"
    assert "consumer_secret" not in body and "consumer_key" not in body
    listed = (await api.get(f"/api/shops/{shop.id}/channels")).json()
    assert [c["id"] for c in listed] == [body["id"]]
    with psycopg.connect(database_url.replace("+psycopg", "")) as pg:
        stored = pg.execute(
            "SELECT consumer_key, consumer_secret FROM channel_connections WHERE id = %s",
            (body["id"],),
        ).fetchone()
    assert stored is not None and "cs_live" not in stored[1] and "ck_live" not in stored[0]
    assert_problem(await api.post(f"/api/shops/{shop.id}/channels", json=WOO), 409)
    removed = await api.delete(f"/api/shops/{shop.id}/channels/{body['id']}")
    assert removed.status_code == 204
    assert (await api.get(f"/api/shops/{shop.id}/channels")).json() == []


async def test_another_shops_user_cannot_see_or_touch_a_connection(
    api: httpx.AsyncClient, make_user: MakeUser, make_shop: MakeShop
) -> None:
    mine, theirs = make_shop(), make_shop()
    await _owner(api, make_user, mine.id)
    connection = (await api.post(f"/api/shops/{mine.id}/channels", json=WOO)).json()
    await _owner(api, make_user, theirs.id)  # now signed in as the other shop's owner
    assert_problem(await api.get(f"/api/shops/{mine.id}/channels"), 404)
    assert_problem(await api.delete(f"/api/shops/{mine.id}/channels/{connection['id']}"), 404)
    assert_problem(await api.post(f"/api/shops/{mine.id}/channels/{connection['id']}/sync"), 404)
    # through their own shop's path, the id of mine is not found either
    assert_problem(await api.delete(f"/api/shops/{theirs.id}/channels/{connection['id']}"), 404)
    assert_problem(await api.get(f"/api/shops/{theirs.id}/channels/{connection['id']}/status"), 404)
    assert (await api.get(f"/api/shops/{theirs.id}/channels")).json() == []


async def test_only_the_owner_connects_and_writes_need_the_csrf_token(
    api: httpx.AsyncClient, make_user: MakeUser, make_shop: MakeShop
) -> None:
    shop = make_shop()
    manager, password = make_user(shops={shop.id: "manager"})
    await login(api, manager.email, password)
    assert_problem(await api.post(f"/api/shops/{shop.id}/channels", json=WOO), 403)
    await _owner(api, make_user, shop.id)
    token = api.headers.pop("X-CSRF-Token")
    assert_problem(await api.post(f"/api/shops/{shop.id}/channels", json=WOO), 403)
    api.headers["X-CSRF-Token"] = token


async def test_hostile_connection_input_is_a_422_problem(
    api: httpx.AsyncClient, make_user: MakeUser, make_shop: MakeShop
) -> None:
    shop = make_shop()
    await _owner(api, make_user, shop.id)
    for change in (
        {"base_url": "http://eshop.example.cz"},  # keys in clear text
        {"base_url": "ftp://eshop.example.cz"},
        {"base_url": "https://user:pw@eshop.example.cz"},
        {"base_url": "https://eshop.example.cz/?x=1"},
        {"name": "a\x00b"},
        {"consumer_key": "short"},
        {"kind": "amazon"},
        {"consumer_secret": "x" * 5000},
    ):
        assert_problem(await api.post(f"/api/shops/{shop.id}/channels", json=WOO | change), 422)
    assert_problem(await api.delete(f"/api/shops/{shop.id}/channels/99999999999999999999"), 422)


async def test_the_orders_list_shows_and_filters_the_channel(
    api: httpx.AsyncClient, make_user: MakeUser, make_shop: MakeShop, db_session: Session
) -> None:
    from db.models import Order

    shop = make_shop()
    at = datetime(2026, 11, 2, 10, tzinfo=UTC)
    db_session.add_all(
        [
            Order(shop_id=shop.id, code="1001", created_at=at, total_with_vat=100),
            Order(
                shop_id=shop.id,
                code="WC1-501",
                created_at=at,
                total_with_vat=200,
                channel="woocommerce",
            ),
        ]
    )
    db_session.commit()
    await _owner(api, make_user, shop.id)
    rows = (await api.get(f"/api/shops/{shop.id}/orders")).json()["items"]
    assert {r["code"]: r["channel"] for r in rows} == {"1001": "shoptet", "WC1-501": "woocommerce"}
    woo = (await api.get(f"/api/shops/{shop.id}/orders", params={"channel": "woocommerce"})).json()
    assert [r["code"] for r in woo["items"]] == ["WC1-501"]
    assert_problem(await api.get(f"/api/shops/{shop.id}/orders", params={"channel": "ebay"}), 422)
    detail = (await api.get(f"/api/shops/{shop.id}/orders/WC1-501")).json()
    assert detail["channel"] == "woocommerce"
    counts = (await api.get(f"/api/shops/{shop.id}/channels/orders")).json()
    assert counts == [{"channel": "shoptet", "orders": 1}, {"channel": "woocommerce", "orders": 1}]
