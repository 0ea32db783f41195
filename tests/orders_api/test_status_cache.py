"""The order-status counts are cached in Redis and go stale the moment the shop's orders change."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

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


async def test_right_after_a_write_the_counts_may_trail_by_one_recount(
    api: httpx.AsyncClient, db_session: Session, make_shop: MakeShop, make_user: MakeUser,
    refresh_wait: Callable[[int], None],
) -> None:
    """With no time to wait for the recount (a big shop; here the recount is held by a table
    lock), the reader that notices the ingest gets the previous counts and starts the recount;
    once it is done the next reader gets the new ones."""
    refresh_wait(0)
    shop = make_shop()
    user, password = make_user(shops={shop.id: "viewer"})
    await login(api, user.email, password)
    docs = list(iter_records(ShopSpec(eshop_id=shop.eshop_id, seed=6, orders=30, products=10, customers=10), "orders"))
    await load_records(shop.id, "orders", docs[:10])
    assert sum(s["count"] for s in (await api.get(f"/api/shops/{shop.id}/order-statuses")).json()) == 10
    assert (await api.get(f"/api/shops/{shop.id}/counts")).json()["orders"] == 10

    await load_records(shop.id, "orders", docs[10:])
    db_session.execute(text("LOCK TABLE orders IN ACCESS EXCLUSIVE MODE"))  # held until commit
    try:
        trailing = (await api.get(f"/api/shops/{shop.id}/order-statuses")).json()
        tiles = (await api.get(f"/api/shops/{shop.id}/counts")).json()
        assert len(tagged_cache._REFRESHES) == 2  # both recounts started, both wait for the lock
    finally:
        db_session.commit()
    assert sum(s["count"] for s in trailing) == 10 and tiles["orders"] == 10
    await asyncio.gather(*list(tagged_cache._REFRESHES))
    assert sum(s["count"] for s in (await api.get(f"/api/shops/{shop.id}/order-statuses")).json()) == 30
    assert (await api.get(f"/api/shops/{shop.id}/counts")).json()["orders"] == 30
