"""Order list pages (the text filter's above all) are cached under the shop's `orders` tag: a
repeat is a hit, the ingest makes the next page fresh, another shop's pages stay, a bad cursor
is still a 400."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.orm import Session

from db import tagged_cache
from infra.sandbox.generator import ShopSpec, iter_records
from tests.support import MakeShop, MakeUser, assert_problem, load_records, login


async def test_a_repeated_search_is_a_hit_until_the_ingest_writes_the_shops_orders(
    api: httpx.AsyncClient, db_session: Session, make_shop: MakeShop, make_user: MakeUser
) -> None:
    shop, other = make_shop(), make_shop()
    user, password = make_user(shops={shop.id: "viewer", other.id: "viewer"})
    await login(api, user.email, password)
    docs = list(iter_records(ShopSpec(eshop_id=shop.eshop_id, seed=7, orders=60, products=10, customers=10), "orders"))

    await load_records(shop.id, "orders", docs[:30])
    await load_records(other.id, "orders", docs[:30])
    prefix = docs[0]["code"][:3]
    params = {"q": prefix, "limit": 5}

    async def search(shop_id: int) -> dict[str, Any]:
        answer = await api.get(f"/api/shops/{shop_id}/orders", params=params)
        assert answer.status_code == 200, answer.text
        return answer.json()

    first, theirs = await search(shop.id), await search(other.id)
    assert first["items"] and first["next_cursor"]
    before = dict(tagged_cache.COUNTERS)
    # a change behind the writers' backs is not seen: the page comes from the cache
    db_session.execute(text("DELETE FROM orders WHERE shop_id = :s"), {"s": shop.id})
    db_session.commit()
    assert await search(shop.id) == first
    assert tagged_cache.COUNTERS["hit"] == before["hit"] + 1
    # the next page (its own key) is computed: it reads the database as it is now
    after_first = await api.get(f"/api/shops/{shop.id}/orders", params={**params, "cursor": first["next_cursor"]})
    assert after_first.json()["items"] == []
    # the ingest moves the shop's orders tag: the same search is answered afresh
    await load_records(shop.id, "orders", docs[30:])
    fresh = await search(shop.id)
    expected = sorted((d for d in docs[30:] if d["code"].startswith(prefix)),
                      key=lambda d: (d["creationTime"], d["code"]), reverse=True)
    assert [r["code"] for r in fresh["items"]] == [d["code"] for d in expected[:5]]
    hits = tagged_cache.COUNTERS["hit"]
    assert await search(other.id) == theirs  # the other shop's page was not moved
    assert tagged_cache.COUNTERS["hit"] == hits + 1
    # a cursor that does not belong to these filters is refused, cached or not
    bad = await api.get(f"/api/shops/{shop.id}/orders", params={"q": "zzz", "cursor": first["next_cursor"]})
    assert_problem(bad, 400)
