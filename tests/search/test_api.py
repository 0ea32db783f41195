"""GET /api/search over documents the ingest keeps current, scoped to the caller's shops."""

from __future__ import annotations

import asyncio

import httpx

from db.engine import raw_connection, session_factory
from infra.sandbox.generator import ShopSpec, iter_records
from tests.support import MakeShop, MakeUser, assert_problem, load_records, login


def spec(eshop_id: int) -> ShopSpec:
    return ShopSpec(eshop_id=eshop_id, seed=11, orders=15, products=12, customers=10)


async def test_ingested_records_are_found_by_their_fields_and_only_by_their_shop(
    api: httpx.AsyncClient, make_shop: MakeShop, make_user: MakeUser
) -> None:
    mine, theirs = make_shop(), make_shop()
    user, password = make_user(shops={mine.id: "viewer"})
    await login(api, user.email, password)
    products = list(iter_records(spec(mine.eshop_id), "products"))
    orders = list(iter_records(spec(mine.eshop_id), "orders"))
    customers = list(iter_records(spec(mine.eshop_id), "customers"))
    await load_records(mine.id, "products", products)
    await load_records(mine.id, "orders", orders)
    await load_records(mine.id, "customers", customers)
    await load_records(theirs.id, "products", list(iter_records(spec(theirs.eshop_id), "products")))

    order = orders[3]
    found = (await api.get("/api/search", params={"q": order["code"], "type": "order"})).json()
    assert found["hits"][0]["ref"] == order["code"]
    assert found["hits"][0]["shop_id"] == mine.id
    by_mail = (await api.get("/api/search", params={"q": order["email"]})).json()
    assert order["code"] in [h["ref"] for h in by_mail["hits"] if h["kind"] == "order"]

    name = products[2]["name"]
    hits = (await api.get("/api/search", params={"q": name, "type": "product"})).json()["hits"]
    assert hits and hits[0]["title"] == name
    assert {h["shop_id"] for h in hits} == {mine.id}  # the other shop has equal names, unseen

    customer = customers[1]
    account = customer["accounts"][0]
    for text in (account["email"], account["phone"], account["fullName"]):
        hits = (await api.get("/api/search", params={"q": text, "type": "customer"})).json()["hits"]
        assert customer["guid"] in [h["ref"] for h in hits], text

    # another shop's id: the same 404 as a missing shop
    assert_problem(await api.get("/api/search", params={"q": name, "shop_id": theirs.id}), 404)
    ok = await api.get("/api/search", params={"q": name, "shop_id": mine.id})
    assert ok.status_code == 200


async def test_a_member_of_another_shop_finds_nothing_of_this_one(
    api: httpx.AsyncClient, make_shop: MakeShop, make_user: MakeUser
) -> None:
    shop, other = make_shop(), make_shop()
    products = list(iter_records(spec(shop.eshop_id), "products"))
    await load_records(shop.id, "products", products)
    user, password = make_user(shops={other.id: "owner"})
    await login(api, user.email, password)
    answer = (await api.get("/api/search", params={"q": products[0]["name"]})).json()
    assert answer["hits"] == [] and answer["facets"]["kind"] == []


async def test_hostile_queries_are_4xx_problems(api: httpx.AsyncClient, make_user: MakeUser) -> None:
    user, password = make_user()
    await login(api, user.email, password)
    assert_problem(await api.get("/api/search", params={"q": "a\x00b"}), 422)
    assert_problem(await api.get("/api/search", params={"q": "x" * 101}), 422)
    assert_problem(await api.get("/api/search", params={"q": ""}), 422)
    assert_problem(await api.get("/api/search", params={"q": "kun", "type": "invoice"}), 422)
    assert_problem(await api.get("/api/search", params={"q": "kun", "shop_id": 2**63}), 422)
    for odd in ("'", "\\", "&|!", ":*", "(((", "<%"):
        assert (await api.get("/api/search", params={"q": odd})).status_code == 200, odd


async def test_search_needs_a_signed_in_caller(api: httpx.AsyncClient) -> None:
    assert_problem(await api.get("/api/search", params={"q": "kun"}), 401)


async def test_the_backfill_indexes_data_ingested_before_search(make_shop: MakeShop) -> None:
    from typer.testing import CliRunner

    from api.cli import app
    from db.search.postgres import PostgresSearch
    from db.search.types import SearchQuery

    shop = make_shop()
    products = list(iter_records(spec(shop.eshop_id), "products"))
    await load_records(shop.id, "products", products)
    conn = await raw_connection()
    try:
        await conn.execute("DELETE FROM search_documents WHERE shop_id = %s", (shop.id,))
        await conn.commit()
    finally:
        await conn.close()
    result = await asyncio.to_thread(CliRunner().invoke, app, ["search", "backfill", "--shop-id", str(shop.id)])
    assert result.exit_code == 0, result.output
    assert f"shop {shop.id}: {len(products)} products indexed" in result.output
    async with session_factory()() as session:
        hits = await PostgresSearch(session).search(SearchQuery(text=products[0]["name"], shop_ids=[shop.id]))
    assert products[0]["guid"] in [h.ref for h in hits]
