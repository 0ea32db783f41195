"""A full snapshot's search documents: left alone by its batches, built set-based after the run.

The batches of a bulk ingest (`Loader(index_search=False)`) write no documents; the after-run
pass indexes every record in keyset chunks (each chunk its own transaction), so the documents
equal what the per-batch refresh would have written, a chunk size that does not divide the
table loses no record, and documents of records that are gone are pruned."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text

from db.engine import raw_connection, session_factory
from db.search import sources
from infra.sandbox.generator import ShopSpec, iter_records
from tests.support import MakeShop, load_records

KIND = {"orders": "order", "products": "product", "customers": "customer"}
COLUMNS = "kind, ref, title, code, subtitle, body, status, category, brand, price, keys, document::text"


async def documents(shop_id: int) -> list[tuple[Any, ...]]:
    async with session_factory()() as session:
        rows = await session.execute(
            text(f"SELECT {COLUMNS} FROM search_documents WHERE shop_id = :s ORDER BY kind, ref"),
            {"s": shop_id},
        )
        return [tuple(r) for r in rows]


async def index_all(shop_id: int, resource: str, chunk: int) -> tuple[int, int]:
    """(documents written, chunks) of the after-run pass."""
    conn = await raw_connection()
    try:
        after: str | None = None
        written = chunks = 0
        since = await sources.pass_started(conn)
        while True:
            upto, done = await sources.index_chunk(conn, shop_id, resource, after, chunk)
            written, chunks = written + done, chunks + 1
            if upto is None:
                break
            after = upto
        await sources.prune(conn, shop_id, resource, since)
        return written, chunks
    finally:
        await conn.close()


@pytest.mark.parametrize("resource", ["orders", "products", "customers"])
async def test_after_run_index_equals_the_per_batch_refresh(make_shop: MakeShop, resource: str) -> None:
    per_batch, bulk = make_shop(), make_shop()
    spec = ShopSpec(eshop_id=per_batch.eshop_id, seed=5, orders=23, products=17, customers=19)
    docs = list(iter_records(spec, resource))
    await load_records(per_batch.id, resource, docs, index_search=True)
    await load_records(bulk.id, resource, docs, index_search=False)
    assert await documents(bulk.id) == []  # the bulk batches left search alone

    written, chunks = await index_all(bulk.id, resource, chunk=5)
    assert written == len(docs)
    assert chunks == len(docs) // 5 + 1  # the last, short or empty, chunk ends the pass
    assert await documents(bulk.id) == await documents(per_batch.id)

    # run again (a retried activity): the same documents, nothing doubled
    assert (await index_all(bulk.id, resource, chunk=7))[0] == len(docs)
    assert await documents(bulk.id) == await documents(per_batch.id)


async def test_documents_of_records_that_are_gone_are_pruned(make_shop: MakeShop) -> None:
    shop = make_shop()
    spec = ShopSpec(eshop_id=shop.eshop_id, seed=6, orders=9, products=3, customers=3)
    orders = list(iter_records(spec, "orders"))
    await load_records(shop.id, "orders", orders, index_search=False)
    await index_all(shop.id, "orders", chunk=4)
    gone = orders[4]["code"]
    async with session_factory()() as session:
        await session.execute(text("DELETE FROM orders WHERE shop_id = :s AND code = :c"), {"s": shop.id, "c": gone})
        await session.commit()
    await index_all(shop.id, "orders", chunk=4)
    refs = [r[1] for r in await documents(shop.id)]
    assert gone not in refs and len(refs) == len(orders) - 1
