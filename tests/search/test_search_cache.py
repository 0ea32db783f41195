"""The search box's answers come from the tagged cache under the tags of the shops and kinds
they cover: a repeat is a hit; the ingest, the bulk index after a snapshot run and the backfill
command each make the next answer fresh; an admin across all shops is never cached."""

from __future__ import annotations

import asyncio

import httpx
from sqlalchemy import text
from sqlalchemy.orm import Session
from temporalio.testing import ActivityEnvironment
from typer.testing import CliRunner

from activities.search.bulk import index_snapshot
from api.cli.search import app as search_cli
from db import tagged_cache
from infra.sandbox.generator import ShopSpec, iter_records
from tests.support import MakeShop, MakeUser, load_records, login
from workflows.snapshots import IndexRequest


async def test_a_repeated_search_is_a_hit_until_a_writer_moves_the_tag(
    api: httpx.AsyncClient, db_session: Session, make_shop: MakeShop, make_user: MakeUser
) -> None:
    shop = make_shop()
    user, password = make_user(shops={shop.id: "viewer"})
    await login(api, user.email, password)
    products = list(iter_records(ShopSpec(eshop_id=shop.eshop_id, seed=13, orders=5, products=12, customers=5), "products"))
    await load_records(shop.id, "products", products[:6])
    wanted = products[7]["name"]

    async def search() -> list[str]:
        answer = await api.get("/api/search", params={"q": wanted, "type": "product"})
        assert answer.status_code == 200, answer.text
        return [h["title"] for h in answer.json()["hits"]]

    assert wanted not in await search()
    hits = tagged_cache.COUNTERS["hit"]
    assert wanted not in await search()
    assert tagged_cache.COUNTERS["hit"] == hits + 1  # the repeat came from the cache

    # a bulk snapshot's batches leave search alone; the index after the run moves the tag
    await load_records(shop.id, "products", products[6:], index_search=False)
    assert wanted not in await search()  # not indexed yet: the documents are what is searched
    await ActivityEnvironment().run(index_snapshot, IndexRequest(run_id=0, shop_id=shop.id, resource="products"))
    assert wanted in await search()

    # the backfill command rewrites the documents and moves the tag as well
    db_session.execute(text("DELETE FROM search_documents WHERE shop_id = :s"), {"s": shop.id})
    db_session.commit()
    assert wanted in await search()  # behind every writer's back: still the cached answer
    done = await asyncio.to_thread(CliRunner().invoke, search_cli, ["--shop-id", str(shop.id)])
    assert done.exit_code == 0, done.output
    assert wanted in await search()


async def test_an_admin_search_across_all_shops_is_never_cached(
    api: httpx.AsyncClient, make_shop: MakeShop, make_user: MakeUser
) -> None:
    shop = make_shop()
    user, password = make_user(role="admin")
    await login(api, user.email, password)
    await load_records(shop.id, "products", list(iter_records(ShopSpec(eshop_id=shop.eshop_id, seed=17, orders=5, products=5, customers=5), "products")))
    before = dict(tagged_cache.COUNTERS)
    for _ in range(2):
        assert (await api.get("/api/search", params={"q": "zzzz nothing"})).status_code == 200
    assert tagged_cache.COUNTERS["hit"] == before["hit"] and tagged_cache.COUNTERS["miss"] == before["miss"]
