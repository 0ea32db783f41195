"""The order-status counts are cached in Redis and go stale the moment the shop's orders change."""

from __future__ import annotations

import httpx
from sqlalchemy import text
from sqlalchemy.orm import Session

from db import tagged_cache
from infra.sandbox.generator import ShopSpec, iter_records
from tests.support import MakeShop, MakeUser, load_records, login


async def test_statuses_are_cached_and_invalidated_by_the_ingest(api: httpx.AsyncClient, db_session: Session, make_shop: MakeShop, make_user: MakeUser) -> None:
    shop = make_shop()
    user, password = make_user(shops={shop.id: "viewer"})
    await login(api, user.email, password)
    docs = list(iter_records(ShopSpec(eshop_id=shop.eshop_id, seed=5, orders=40, products=10, customers=10), "orders"))

    await load_records(shop.id, "orders", docs[:20])
    before = dict(tagged_cache.COUNTERS)
    first = (await api.get(f"/api/shops/{shop.id}/order-statuses")).json()
    assert sum(s["count"] for s in first) == 20
    # a change behind the loader's back is not seen: the answer comes from the cache
    db_session.execute(text("DELETE FROM orders WHERE shop_id = :s AND code = :c"), {"s": shop.id, "c": docs[0]["code"]})
    db_session.commit()
    assert (await api.get(f"/api/shops/{shop.id}/order-statuses")).json() == first
    assert tagged_cache.COUNTERS["hit"] == before["hit"] + 1
    # the ingest invalidates the shop's orders tag: the next answer is fresh
    await load_records(shop.id, "orders", docs[20:])
    fresh = (await api.get(f"/api/shops/{shop.id}/order-statuses")).json()
    assert sum(s["count"] for s in fresh) == 39
