"""With SEARCH_BACKEND=opensearch the ingest feeds the OpenSearch index through the
SearchBackend interface (upserts, and deletes of records that are gone) and the API asks it.
OpenSearch here is our fake (infra/opensearch/fake.py) served over real HTTP by uvicorn."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import orjson
import pytest
import uvicorn

from activities.snapshots.ingest.loader import Loader, build_batch
from api.services.search import search
from db.engine import raw_connection, session_factory
from db.search import sources
from infra.opensearch.fake import create_app
from infra.sandbox.generator import ShopSpec, iter_records
from tests.support import MakeShop, app_env


@pytest.fixture
def fake_opensearch() -> Iterator[str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "the fake OpenSearch did not start"
        time.sleep(0.02)
    url = f"http://127.0.0.1:{port}"
    with app_env(SEARCH_BACKEND="opensearch", OPENSEARCH_URL=url, OPENSEARCH_INDEX="feed-test"):
        yield url
    server.should_exit = True
    thread.join(timeout=10)


async def test_ingest_feeds_opensearch_and_deletions_leave_it(make_shop: MakeShop, fake_opensearch: str) -> None:
    shop, other = make_shop(), make_shop()
    spec = ShopSpec(eshop_id=shop.eshop_id, seed=7, orders=3, products=4, customers=2)
    products = list(iter_records(spec, "products"))
    conn = await raw_connection()
    try:
        lines = [(i + 1, orjson.dumps(d)) for i, d in enumerate(products)]
        await Loader(conn, "products", shop.id).load(build_batch("products", shop.id, lines, 0, 0))
        stored = await (await conn.execute(
            "SELECT guid::text, name FROM products WHERE shop_id = %s ORDER BY name", (shop.id,)
        )).fetchall()
        in_postgres = await (await conn.execute(
            "SELECT count(*) FROM search_documents WHERE shop_id = %s", (shop.id,)
        )).fetchone()
    finally:
        await conn.close()
    assert len(stored) == 4 and in_postgres == (0,)  # the documents went to OpenSearch only

    guid, name = stored[0]
    async with session_factory()() as session:
        found = await search(session, name, [shop.id], "product")
        assert guid in [h.ref for h in found.hits]
        assert (await search(session, name, [other.id], "product")).hits == []  # tenant isolation

    # a product deleted at Shoptet (flagged by the sync) is deleted from the index on refresh
    conn = await raw_connection()
    try:
        await conn.execute("UPDATE products SET deleted = true WHERE shop_id = %s AND guid = %s", (shop.id, guid))
        await sources.refresh(conn, shop.id, "products", [guid])
        await conn.commit()
        # a backfill sends every live record again
        assert await sources.backfill(conn, shop.id, "products") == 3
    finally:
        await conn.close()
    async with session_factory()() as session:
        assert guid not in [h.ref for h in (await search(session, name, [shop.id], "product")).hits]
