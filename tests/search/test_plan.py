"""How the PostgreSQL backend plans each class of query (revision 1900): prefixes expanded to
the shop's whole words, typos corrected against the shop's vocabulary, partial codes through
the code index, short numbers exact, gibberish answered without a trigram scan."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text

from db.engine import session_factory
from db.search.postgres import EXPANSIONS, PostgresSearch
from db.search.types import SearchDocument, SearchQuery
from tests.support import MakeShop


@pytest.fixture
async def backend() -> AsyncIterator[PostgresSearch]:
    async with session_factory()() as session:
        yield PostgresSearch(session)
        await session.commit()


def doc(shop: int, ref: str, title: str, code: str | None = None, keys: str = "") -> SearchDocument:
    return SearchDocument(shop_id=shop, kind="product", ref=ref, title=title, code=code,
                          keys=" ".join(p for p in (title, code, keys) if p))


def q(text_: str, shop: int) -> SearchQuery:
    return SearchQuery(text=text_, shop_ids=[shop])


async def test_the_vocabulary_follows_the_documents_without_numbers(backend: PostgresSearch, make_shop: MakeShop) -> None:
    shop = make_shop().id
    await backend.index([doc(shop, "1", "Žluťoučký kůň", code="ZK-100234", keys="8595000012345")])
    words = (await backend.session.execute(
        text("SELECT word FROM search_words WHERE shop_id = :s ORDER BY word"), {"s": shop}
    )).scalars().all()
    assert words == ["kun", "zk", "zlutoucky"]


async def test_a_prefix_becomes_the_whole_words_it_stands_for(backend: PostgresSearch, make_shop: MakeShop) -> None:
    shop = make_shop().id
    await backend.index([doc(shop, "1", "Zimní kabát"), doc(shop, "2", "Kabel USB"), doc(shop, "3", "Kabelka")])
    plan = await backend.plan(q("zim kab", shop))
    assert plan.tsq == "('zimni') & ('kabat' | 'kabel' | 'kabelka')"
    assert [h.ref for h in await backend.search(q("zim kab", shop))] == ["1"]
    # more whole words than EXPANSIONS: the prefix itself
    await backend.index([doc(shop, f"w{i}", f"Slovo{chr(97 + i)}x") for i in range(EXPANSIONS + 1)])
    assert (await backend.plan(q("slov", shop))).tsq == "'slov':*"
    assert len(await backend.search(q("slov", shop))) == EXPANSIONS + 1


async def test_typos_are_corrected_by_this_shops_vocabulary_only(backend: PostgresSearch, make_shop: MakeShop) -> None:
    mine, theirs = make_shop().id, make_shop().id
    await backend.index([doc(mine, "m", "Kuchyňský hrnek"), doc(theirs, "t", "Tajemný kuchyňský stůl")])
    plan = await backend.plan(q("kuchynksy hrnek", mine))
    assert plan.tsq == "('kuchynsky') & ('hrnek')"
    assert [h.ref for h in await backend.search(q("kuchynksy hrnek", mine))] == ["m"]
    # their word is no correction for us, and gibberish plans no scan at all
    assert (await backend.plan(q("tajemny", mine))).tsq is None
    assert await backend.search(q("tajemny", mine)) == []
    gibberish = await backend.plan(q("qxzwvj", mine))
    assert (gibberish.tsq, gibberish.code_prefix, gibberish.typo_fallback) == (None, None, False)


async def test_codes_by_prefix_and_short_numbers_exact(backend: PostgresSearch, make_shop: MakeShop) -> None:
    shop = make_shop().id
    await backend.index([
        doc(shop, "a", "Batoh", code="BOH-0001234"), doc(shop, "b", "Batoh velký", code="BOH-0001299"),
        doc(shop, "c", "Stan 12", code="STA-1200000"), doc(shop, "d", "Stan 120", code="STA-1300000"),
    ])
    plan = await backend.plan(q("BOH-00012", shop))
    assert plan.code_prefix == "boh-00012%" and plan.typo_fallback
    assert sorted(h.ref for h in await backend.search(q("BOH-00012", shop))) == ["a", "b"]
    assert (await backend.search(q("boh-0001299", shop)))[0].ref == "b"
    # "12" is a number of its own, not every number starting with 12
    assert (await backend.plan(q("stan 12", shop))).tsq == "('stan') & '12'"
    assert [h.ref for h in await backend.search(q("stan 12", shop))] == ["c"]
    # a typo inside a code still reaches the trigram fallback
    assert [h.ref for h in await backend.search(q("BOH-0001243", shop))][:1] == ["a"]
