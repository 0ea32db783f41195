"""The tagged cache: one computation per key under a stampede, stale-while-revalidate past the
TTL, writes that invalidate exactly their tags, warming after an ingest, per-kind counters."""

from __future__ import annotations

import asyncio
import secrets
from typing import Any

import orjson

from activities.search.warm import warm_after_ingest
from activities.snapshots.ingest.loader import Loader, build_batch
from db import summaries, tagged_cache
from db.engine import raw_connection, session_factory
from db.redis_client import redis_client
from infra.sandbox.generator import ShopSpec, iter_records
from tests.support import CacheClock, MakeShop


async def stats(kind: str) -> dict[str, int]:
    found = {s["kind"]: s for s in await tagged_cache.kind_stats()}
    return {o: found.get(kind, {}).get(o, 0) for o in tagged_cache.OUTCOMES}


async def test_a_hundred_concurrent_misses_compute_once(cache_clock: CacheClock) -> None:
    name, calls = f"stampede:{secrets.token_hex(4)}", []
    release = asyncio.Event()

    async def load() -> dict[str, int]:
        calls.append(1)
        await release.wait()  # every other reader arrives while this one computes
        return {"answer": 42}

    readers = [asyncio.create_task(tagged_cache.cached(name, ["t:stampede"], load, kind="dashboard")) for _ in range(100)]
    while not calls:
        await asyncio.sleep(0)
    await asyncio.sleep(0.1)  # let the other 99 find the lock taken and start waiting
    release.set()
    answers = await asyncio.gather(*readers)
    assert answers == [{"answer": 42}] * 100
    assert len(calls) == 1


async def test_past_its_ttl_one_reader_recomputes_while_the_others_get_the_stale_answer(cache_clock: CacheClock) -> None:
    name, version = f"swr:{secrets.token_hex(4)}", {"n": 1}

    async def load() -> int:
        return version["n"]

    assert await tagged_cache.cached(name, [], load, kind="shops") == 1
    version["n"] = 2
    cache_clock.now += tagged_cache.ttl_for("shops") + 1  # stale now, still stored
    key = f"{tagged_cache._prefix()}:{name}:"
    await redis_client().set(f"{key}:lock", "another reader", px=5000)  # someone is refreshing
    assert await tagged_cache.cached(name, [], load, kind="shops") == 1
    await redis_client().delete(f"{key}:lock")
    assert await tagged_cache.cached(name, [], load, kind="shops") == 2
    assert await tagged_cache.cached(name, [], load, kind="shops") == 2  # fresh again: a hit
    cache_clock.now += 2 * tagged_cache.ttl_for("shops") + 1
    # older than TTL + grace: Redis dropped it, so nothing stale is ever served that late
    assert await redis_client().ttl(key) <= 2 * tagged_cache.ttl_for("shops")


async def test_ttl_by_kind_can_be_overridden_from_the_environment() -> None:
    from tests.support import app_env

    assert tagged_cache.ttl_for("segments") == tagged_cache.TTL_BY_KIND["segments"]
    with app_env(CACHE_TTLS="segments=42, shops=7"):
        assert (tagged_cache.ttl_for("segments"), tagged_cache.ttl_for("shops")) == (42, 7)


async def ingest(shop_id: int, resource: str, docs: list[dict[str, Any]]) -> None:
    conn = await raw_connection()
    try:
        lines = [(i + 1, orjson.dumps(d)) for i, d in enumerate(docs)]
        await Loader(conn, resource, shop_id).load(build_batch(resource, shop_id, lines, 0, 0))
    finally:
        await conn.close()


async def tag_versions(shop_id: int) -> dict[str, int]:
    names = ("orders", "products", "customers")
    raw = await redis_client().mget([tagged_cache._tag_key(tagged_cache.shop_tag(shop_id, n)) for n in names])
    return {n: int(v or 0) for n, v in zip(names, raw, strict=True)}


async def test_a_product_ingest_invalidates_exactly_the_products_tag(make_shop: MakeShop) -> None:
    shop, other = make_shop(), make_shop()
    spec = ShopSpec(eshop_id=shop.eshop_id, seed=3, orders=6, products=5, customers=3)
    await ingest(shop.id, "orders", list(iter_records(spec, "orders")))
    statuses = await summaries.order_status_counts(shop.id)
    counts = await summaries.shop_counts(shop.id)
    other_counts = await summaries.shop_counts(other.id)
    before, others_before = await tag_versions(shop.id), await tag_versions(other.id)
    orders_kind, dashboard_kind = await stats("orders"), await stats("dashboard")

    await ingest(shop.id, "products", list(iter_records(spec, "products")))

    after = await tag_versions(shop.id)
    assert after == {**before, "products": before["products"] + 1}
    assert await tag_versions(other.id) == others_before
    assert await summaries.order_status_counts(shop.id) == statuses  # still cached
    fresh = await summaries.shop_counts(shop.id)  # built on the products tag: recounted
    assert await summaries.shop_counts(other.id) == other_counts
    assert (fresh.orders, fresh.products) == (counts.orders, 5) and counts.products == 0
    assert (await stats("orders"))["hit"] == orders_kind["hit"] + 1
    dashboard = await stats("dashboard")
    assert dashboard["miss"] == dashboard_kind["miss"] + 1
    assert dashboard["hit"] == dashboard_kind["hit"] + 1  # the other shop's answer


async def test_warming_after_an_ingest_makes_the_next_read_a_hit(make_shop: MakeShop) -> None:
    shop = make_shop()
    spec = ShopSpec(eshop_id=shop.eshop_id, seed=4, orders=4, products=2, customers=2)
    await ingest(shop.id, "orders", list(iter_records(spec, "orders")))
    assert await warm_after_ingest(shop.id) == ["order-statuses", "shop-counts"]
    before = await stats("dashboard")
    assert (await summaries.shop_counts(shop.id)).orders == 4
    assert (await stats("dashboard"))["hit"] == before["hit"] + 1


async def test_the_monitoring_page_shows_hits_and_misses_per_kind(api: Any, make_user: Any, make_shop: MakeShop) -> None:
    from tests.support import login

    shop = make_shop()
    user, password = make_user(role="admin")
    await login(api, user.email, password)
    before = await stats("dashboard")
    for _ in range(3):  # one computation, then two hits
        assert (await api.get(f"/api/shops/{shop.id}/counts")).json() == {"orders": 0, "customers": 0, "products": 0}
    body = (await api.get("/api/admin/monitoring")).json()
    dashboard = next(k for k in body["parts"]["cache"]["kinds"] if k["kind"] == "dashboard")
    assert dashboard["miss"] == before["miss"] + 1 and dashboard["hit"] == before["hit"] + 2
    assert dashboard["ttl_s"] == tagged_cache.TTL_BY_KIND["dashboard"] and dashboard["mean_ms"] >= 0


async def all_tags(shop_id: int) -> dict[str, int]:
    names = ("orders", "products", "customers", "customer-metrics", summaries.INFO)
    raw = await redis_client().mget([tagged_cache._tag_key(tagged_cache.shop_tag(shop_id, n)) for n in names])
    return {n: int(v or 0) for n, v in zip(names, raw, strict=True)}


async def test_product_lists_are_cached_until_the_products_tag_moves(make_shop: MakeShop) -> None:
    shop, other = make_shop(), make_shop()
    spec = ShopSpec(eshop_id=shop.eshop_id, seed=5, orders=2, products=4, customers=2)
    await ingest(shop.id, "products", list(iter_records(spec, "products")))
    async with session_factory()() as session:
        page = await summaries.product_list(session, shop.id, 50, 0)
        assert await summaries.product_list(session, other.id, 50, 0) == []
    assert len(page) == 4 and all(p.variants >= 1 for p in page)
    before = await stats("products")
    async with session_factory()() as session:
        assert await summaries.product_list(session, shop.id, 50, 0) == page  # a hit
    assert (await stats("products"))["hit"] == before["hit"] + 1
    tags, others = await all_tags(shop.id), await all_tags(other.id)

    # a product written (renamed) by a later batch: exactly the products tag, the list follows
    docs = list(iter_records(spec, "products"))
    docs[0]["name"] = "Přejmenovaný výrobek"
    await ingest(shop.id, "products", docs[:1])
    assert await all_tags(shop.id) == {**tags, "products": tags["products"] + 1}
    assert await all_tags(other.id) == others
    async with session_factory()() as session:
        fresh = await summaries.product_list(session, shop.id, 50, 0)
    assert "Přejmenovaný výrobek" in [p.name for p in fresh]


async def test_shop_cards_are_cached_and_a_sync_finishing_moves_only_that_shops_info_tag(
    api: Any, make_user: Any, make_shop: MakeShop
) -> None:
    from activities.sync import finish_sync, record_sync_error
    from db.engine import session_scope
    from db.models import SyncCursor
    from tests.support import login
    from workflows.sync import FinishRequest

    shop, other = make_shop(), make_shop()
    async with session_scope() as session:
        session.add(SyncCursor(shop_id=shop.id, resource="orders"))
    user, password = make_user(shops={shop.id: "manager", other.id: "viewer"})
    await login(api, user.email, password)
    first = {s["id"]: s for s in (await api.get("/api/shops")).json()}
    assert (first[shop.id]["role"], first[other.id]["role"]) == ("manager", "viewer")
    assert first[shop.id]["last_sync_at"] is None
    before = await stats("shops")
    assert (await api.get("/api/shops")).json() == list(first.values())
    assert (await stats("shops"))["hit"] == before["hit"] + 2  # both cards
    tags, others = await all_tags(shop.id), await all_tags(other.id)

    await finish_sync(FinishRequest(shop.id, "orders", reconciled=False))
    assert await all_tags(shop.id) == {**tags, summaries.INFO: tags[summaries.INFO] + 1}
    assert await all_tags(other.id) == others
    listed = {s["id"]: s for s in (await api.get("/api/shops")).json()}
    assert listed[shop.id]["last_sync_at"] is not None and listed[other.id] == first[other.id]

    await record_sync_error(shop.id, "orders", "Shoptet answered 503")
    card = (await api.get(f"/api/shops/{shop.id}")).json()
    assert card["sync"] == [{"resource": "orders", "last_success_at": listed[shop.id]["last_sync_at"],
                             "last_error": "Shoptet answered 503"}]


async def test_product_list_api_is_scoped_and_bounded(api: Any, make_user: Any, make_shop: MakeShop) -> None:
    from tests.support import assert_problem, login

    shop, other = make_shop(), make_shop()
    user, password = make_user(shops={shop.id: "viewer"})
    await login(api, user.email, password)
    assert (await api.get(f"/api/shops/{shop.id}/products")).json() == []
    assert_problem(await api.get(f"/api/shops/{other.id}/products"), 404)
    assert_problem(await api.get(f"/api/shops/{shop.id}/products?limit=0"), 422)
    assert_problem(await api.get(f"/api/shops/{shop.id}/products?offset=-1"), 422)


async def test_reads_are_counted_in_redis_at_most_once_a_second(cache_clock: CacheClock) -> None:
    """Per-kind counts are added up in the process and written by the first read a second
    later (a Redis round trip per read before); the monitoring page's read flushes first."""
    name, tag = f"counted:{secrets.token_hex(4)}", f"test:{secrets.token_hex(4)}"
    key = tagged_cache._stats_key("segments")  # pyright: ignore[reportPrivateUsage]

    async def load() -> int:
        return 7

    await tagged_cache.flush_stats()
    stored = await redis_client().hgetall(key)
    for _ in range(20):
        assert await tagged_cache.cached(name, [tag], load, kind="segments") == 7
    assert await redis_client().hgetall(key) == stored, "nothing written per read"
    cache_clock.now += tagged_cache.STATS_FLUSH_S
    assert await tagged_cache.cached(name, [tag], load, kind="segments") == 7  # due: writes all 21
    after = await redis_client().hgetall(key)
    assert int(after[b"hit"]) - int(stored.get(b"hit", b"0")) == 20
    assert int(after[b"miss"]) - int(stored.get(b"miss", b"0")) == 1
    for _ in range(3):
        await tagged_cache.cached(name, [tag], load, kind="segments")
    assert (await stats("segments"))["hit"] == int(after[b"hit"]) + 3  # kind_stats flushed them
