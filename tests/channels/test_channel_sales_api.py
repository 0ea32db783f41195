"""The dashboard's split by channel (`GET /channels/sales`: orders not cancelled and revenue
with VAT per channel and currency in a period, another shop's orders never counted, a bad
period a 422) and the connection's catalog push setting through `PATCH`."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy.orm import Session

from tests.support import MakeShop, MakeUser, assert_problem, login

pytestmark = pytest.mark.usefixtures("temporal_env")

AT = datetime(2026, 11, 2, 10, tzinfo=UTC)
LATER = datetime(2026, 11, 20, 10, tzinfo=UTC)


async def test_revenue_and_orders_per_channel(
    api: httpx.AsyncClient, make_user: MakeUser, make_shop: MakeShop, db_session: Session
) -> None:
    from db.models import Order

    shop, other = make_shop(), make_shop()
    db_session.add_all(
        [
            Order(shop_id=shop.id, code="1001", created_at=AT, total_with_vat=100, currency="CZK"),
            Order(shop_id=shop.id, code="1002", created_at=LATER, total_with_vat=50, currency="CZK"),
            Order(
                shop_id=shop.id, code="1003", created_at=AT, total_with_vat=999, currency="CZK",
                cancelled=True,
            ),
            Order(
                shop_id=shop.id, code="WC1-501", created_at=AT, total_with_vat=200.5,
                currency="CZK", channel="woocommerce",
            ),
            Order(
                shop_id=shop.id, code="B2B-1", created_at=AT, total_with_vat=10, currency="EUR",
                channel="b2b",
            ),
            Order(shop_id=other.id, code="9", created_at=AT, total_with_vat=7, currency="CZK"),
        ]
    )  # fmt: skip
    db_session.commit()
    user, password = make_user(shops={shop.id: "viewer"})
    await login(api, user.email, password)
    url = f"/api/shops/{shop.id}/channels/sales"

    every = await api.get(url)
    assert every.status_code == 200, every.text
    assert [(r["channel"], r["currency"], r["orders"], r["revenue"]) for r in every.json()] == [
        ("b2b", "EUR", 1, "10.00"),
        ("shoptet", "CZK", 2, "150.00"),  # the cancelled one is not revenue
        ("woocommerce", "CZK", 1, "200.50"),
    ]
    early = await api.get(url, params={"created_from": "2026-11-01", "created_to": "2026-11-10"})
    assert [(r["channel"], r["orders"]) for r in early.json()] == [
        ("b2b", 1), ("shoptet", 1), ("woocommerce", 1),
    ]  # fmt: skip
    assert_problem(
        await api.get(url, params={"created_from": "2026-11-10", "created_to": "2026-11-01"}), 422
    )
    assert_problem(await api.get(url, params={"created_from": "yesterday"}), 422)
    assert (await api.get(f"/api/shops/{other.id}/channels/sales")).status_code in (403, 404)


async def test_owner_turns_catalog_push_on(
    api: httpx.AsyncClient, make_user: MakeUser, make_shop: MakeShop
) -> None:
    shop = make_shop()
    user, password = make_user(shops={shop.id: "owner"})
    await login(api, user.email, password)
    added = await api.post(
        f"/api/shops/{shop.id}/channels",
        json={
            "kind": "woocommerce", "name": "Woo", "base_url": "https://eshop.example.cz",
            "consumer_key": "ck_live_1234567890abcd", "consumer_secret": "cs_live_0987654321",
        },
    )  # fmt: skip
    assert added.status_code == 201, added.text
    assert added.json()["catalog_push_enabled"] is False
    cid = added.json()["id"]
    changed = await api.patch(
        f"/api/shops/{shop.id}/channels/{cid}", json={"catalog_push_enabled": True}
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["catalog_push_enabled"] is True
    assert_problem(
        await api.patch(f"/api/shops/{shop.id}/channels/{cid}", json={"catalog_push_enabled": "x"}),
        422,
    )
