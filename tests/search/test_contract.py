"""The search contract every backend keeps: PostgreSQL, and the OpenSearch adapter against our
fake OpenSearch (infra/opensearch; not a real cluster)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import httpx
import pytest

from db.engine import session_factory
from db.search.opensearch import OpenSearchSearch
from db.search.postgres import PostgresSearch
from db.search.types import SearchBackend, SearchDocument, SearchQuery
from infra.opensearch.fake import create_app as fake_opensearch
from tests.support import MakeShop


@pytest.fixture(params=["postgres", "opensearch"])
async def backend(request: pytest.FixtureRequest) -> AsyncIterator[SearchBackend]:
    if request.param == "postgres":
        async with session_factory()() as session:
            yield PostgresSearch(session)
        return
    transport = httpx.ASGITransport(app=fake_opensearch())
    async with httpx.AsyncClient(transport=transport, base_url="http://opensearch.test") as client:
        adapter = OpenSearchSearch(client, index="contract")
        await adapter.ensure_index()
        yield adapter


def product(shop_id: int, ref: str, title: str, *, codes: str = "", brand: str | None = None,
            category: str | None = None, body: str | None = None, price: str | None = None) -> SearchDocument:
    return SearchDocument(
        shop_id=shop_id, kind="product", ref=ref, title=title, body=body, brand=brand,
        category=category, status="visible", price=Decimal(price) if price else None,
        keys=" ".join(p for p in (title, codes, brand) if p),
    )


def q(text: str, shop_id: int, **kw: object) -> SearchQuery:
    return SearchQuery(text=text, shop_ids=[shop_id], **kw)  # type: ignore[arg-type]


async def refs(backend: SearchBackend, query: SearchQuery) -> list[str]:
    return [h.ref for h in await backend.search(query)]


async def test_diacritics_prefixes_and_typos_find_the_same_product(backend: SearchBackend, make_shop: MakeShop) -> None:
    shop = make_shop().id
    await backend.index([
        product(shop, "kun", "Žluťoučký kůň", codes="ZK-100234 8595000012345"),
        product(shop, "stul", "Dubový stůl", codes="DS-7781"),
    ])
    for text in ("zlutoucky kun", "ŽLUŤOUČKÝ KŮŇ", "zlut", "zlutoucky ku", "zlutouky kun", "ZK-1002", "8595000012345"):
        assert await refs(backend, q(text, shop)) == ["kun"], text
    assert await refs(backend, q("stul", shop)) == ["stul"]
    assert await refs(backend, q("qqxz", shop)) == []


async def test_a_title_match_ranks_above_a_short_field_match_above_a_body_match(backend: SearchBackend, make_shop: MakeShop) -> None:
    shop = make_shop().id
    await backend.index([
        product(shop, "c", "Houpací stolička", body="Oblíbená hračka, vydrží i kůň."),
        product(shop, "a", "Dřevěný kůň"),
        product(shop, "b", "Dětská hračka", brand="Kůň Toys"),
        product(shop, "x", "Stolní lampa"),
    ])
    assert await refs(backend, q("kůň", shop)) == ["a", "b", "c"]
    hit = (await backend.search(q("kun", shop)))[0]
    assert "<mark>" in hit.highlight and "kůň" in hit.highlight


async def test_another_shops_documents_are_never_found(backend: SearchBackend, make_shop: MakeShop) -> None:
    mine, theirs = make_shop().id, make_shop().id
    await backend.index([product(theirs, "secret", "Tajný kůň"), product(mine, "own", "Můj stůl")])
    assert await refs(backend, q("tajny", mine)) == []
    assert await refs(backend, q("tajny", theirs)) == ["secret"]
    facets = await backend.facets(q("tajny", mine))
    assert facets.kind == []


async def test_deleted_documents_disappear_and_reindexing_replaces(backend: SearchBackend, make_shop: MakeShop) -> None:
    shop = make_shop().id
    await backend.index([product(shop, "p1", "Modrý hrnek"), product(shop, "p2", "Modrá váza")])
    await backend.delete(shop, "product", ["p2"])
    assert await refs(backend, q("modr", shop)) == ["p1"]
    await backend.index([product(shop, "p1", "Zelený hrnek")])
    assert await refs(backend, q("modr", shop)) == []
    assert await refs(backend, q("zeleny", shop)) == ["p1"]


async def test_facets_count_the_hit_set(backend: SearchBackend, make_shop: MakeShop) -> None:
    shop = make_shop().id
    await backend.index([
        product(shop, "1", "Trička bavlněné", brand="Alfa", category="Oblečení", price="250"),
        product(shop, "2", "Trička lněné", brand="Alfa", category="Oblečení", price="750"),
        product(shop, "3", "Trička dětské", brand="Beta", category="Děti", price="90"),
        product(shop, "4", "Kalhoty", brand="Beta", category="Oblečení", price="900"),
    ])
    facets = await backend.facets(q("tricka", shop))
    assert [(c.value, c.count) for c in facets.brand] == [("Alfa", 2), ("Beta", 1)]
    assert [(c.value, c.count) for c in facets.category] == [("Oblečení", 2), ("Děti", 1)]
    assert [(c.value, c.count) for c in facets.price] == [("0-100", 1), ("100-500", 1), ("500-1000", 1)]
    assert [(c.value, c.count) for c in facets.kind] == [("product", 3)]
    assert await refs(backend, q("tricka", shop, brand="Beta")) == ["3"]
