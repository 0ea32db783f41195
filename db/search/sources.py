"""Search documents built from the business tables, refreshed per ingest or sync batch.

One SELECT per kind turns rows into documents; `refresh` upserts the documents of a batch's
keys and drops those whose record is gone (deleted at Shoptet), in the batch's transaction,
so search is current the moment the batch commits and never needs a rebuild.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any, LiteralString, cast

import psycopg

from db.search import external
from db.search.postgres import UPSERT
from db.search.types import Kind, SearchDocument

# documents sent to an external backend per request
EXTERNAL_BATCH = 1000

# resource of the ingest/sync -> the kind its documents have, and its records' key condition
KIND_OF_RESOURCE: dict[str, Kind] = {"products": "product", "orders": "order", "customers": "customer"}
ONLY: dict[Kind, LiteralString] = {
    "product": "p.guid = ANY(%(refs)s::uuid[])",
    "order": "o.code = ANY(%(refs)s::text[])",
    "customer": "c.guid = ANY(%(refs)s::uuid[])",
}

SOURCES: dict[Kind, LiteralString] = {
    "product": """
        SELECT p.shop_id, 'product' AS kind, p.guid::text AS ref, p.name AS title, v.code,
               concat_ws(' · ', p.brand, p.default_category) AS subtitle,
               left(regexp_replace(t.description, '<[^>]*>', ' ', 'g'), 2000) AS body,
               p.visibility AS status, p.default_category AS category, p.brand,
               v.price, concat_ws(' ', p.name, v.codes, v.eans, p.brand) AS keys
        FROM products p
        LEFT JOIN LATERAL (
            SELECT min(code) AS code, string_agg(code, ' ') AS codes, string_agg(ean, ' ') AS eans,
                   min(price_with_vat) AS price
            FROM variants WHERE shop_id = p.shop_id AND product_guid = p.guid
        ) v ON true
        LEFT JOIN LATERAL (
            SELECT description FROM product_translations
            WHERE shop_id = p.shop_id AND product_guid = p.guid ORDER BY locale LIMIT 1
        ) t ON true
        WHERE p.shop_id = %(shop)s AND {only} AND NOT p.deleted
    """,
    "order": """
        SELECT o.shop_id, 'order' AS kind, o.code AS ref, o.code AS title, o.code,
               concat_ws(' · ', o.billing_name, o.email) AS subtitle,
               concat_ws(' ', o.billing_company, o.billing_city, o.billing_zip,
                         (SELECT string_agg(value, ' ') FROM jsonb_each_text(
                             CASE WHEN jsonb_typeof(o.delivery_address) = 'object'
                                  THEN o.delivery_address END)),
                         o.shipping_name) AS body,
               o.status_name AS status, NULL AS category, NULL AS brand,
               o.total_with_vat AS price,
               concat_ws(' ', o.code, o.email, o.phone, o.billing_name, o.billing_company) AS keys
        FROM orders o
        WHERE o.shop_id = %(shop)s AND {only}
    """,
    "customer": """
        SELECT c.shop_id, 'customer' AS kind, c.guid::text AS ref,
               coalesce(c.full_name, c.company, c.email, c.guid::text) AS title, NULL AS code,
               concat_ws(' · ', c.company, c.email) AS subtitle,
               concat_ws(' ', c.city, c.zip) AS body,
               c.customer_group AS status, NULL AS category, NULL AS brand,
               NULL::numeric AS price,
               concat_ws(' ', c.full_name, c.email, c.phone, c.company) AS keys
        FROM customers c
        WHERE c.shop_id = %(shop)s AND {only} AND NOT c.deleted
    """,
}


def _refresh_sql(kind: Kind) -> LiteralString:
    upsert = UPSERT.format(source=SOURCES[kind].format(only=ONLY[kind]))
    return (
        f"WITH up AS ({upsert} RETURNING d.ref) "
        "DELETE FROM search_documents x WHERE x.shop_id = %(shop)s AND x.kind = %(kind)s "
        "AND x.ref = ANY(%(refs)s::text[]) AND NOT EXISTS (SELECT FROM up WHERE up.ref = x.ref)"
    )


REFRESH: dict[Kind, LiteralString] = {kind: _refresh_sql(kind) for kind in SOURCES}


async def refresh(
    cur: psycopg.AsyncCursor[Any] | psycopg.AsyncConnection[Any],
    shop_id: int,
    resource: str,
    refs: list[str],
) -> None:
    """Bring the documents of these records (products, orders or customers) up to date."""
    kind = KIND_OF_RESOURCE.get(resource)
    if kind is None or not refs:
        return
    if external.enabled():
        await _feed_external(cur, shop_id, kind, sorted(set(refs)))
        return
    await cur.execute(REFRESH[kind], {"shop": shop_id, "kind": kind, "refs": sorted(set(refs))})


async def _documents(
    cur: psycopg.AsyncCursor[Any] | psycopg.AsyncConnection[Any], shop_id: int, kind: Kind, only: str,
    params: dict[str, Any],
) -> AsyncIterator[list[SearchDocument]]:
    """The kind's documents from the business tables (the SELECT `search_documents` is filled
    by), EXTERNAL_BATCH at a time."""
    found = await cur.execute(SOURCES[kind].format(only=only), {"shop": shop_id, **params})  # type: ignore[arg-type]
    names = [c.name for c in found.description or []]
    while rows := await found.fetchmany(EXTERNAL_BATCH):
        yield [SearchDocument.model_validate(dict(zip(names, row, strict=True))) for row in rows]


async def _feed_external(
    cur: psycopg.AsyncCursor[Any] | psycopg.AsyncConnection[Any], shop_id: int, kind: Kind, refs: list[str]
) -> None:
    """Upsert the records' documents into the external backend and delete the ones whose
    record is gone. Runs inside the caller's batch transaction: a batch that rolls back after
    this is fed again when it is retried (an upsert of the same documents)."""
    kept: set[str] = set()
    async with external.opensearch() as backend:
        async for documents in _documents(cur, shop_id, kind, ONLY[kind], {"refs": refs}):
            await backend.index(documents)
            kept.update(d.ref for d in documents)
        gone = [ref for ref in refs if ref not in kept]
        if gone:
            await backend.delete(shop_id, kind, gone)


async def backfill(cur: psycopg.AsyncCursor[Any] | psycopg.AsyncConnection[Any], shop_id: int, resource: str) -> int:
    """Index every record of a shop (data ingested before revision 1400); returns the rows."""
    kind = KIND_OF_RESOURCE[resource]
    if external.enabled():
        count = 0
        async with external.opensearch() as backend:
            async for documents in _documents(cur, shop_id, kind, "true", {}):
                await backend.index(documents)
                count += len(documents)
        return count
    done = await cur.execute(UPSERT.format(source=SOURCES[kind].format(only="true")), {"shop": shop_id})
    return done.rowcount


# A bulk snapshot's documents, set-based after the run (`index_all`): keyset chunks in the
# order of each table's primary key, so each chunk is one INSERT … SELECT of a key range.
KEY_OF: dict[Kind, str] = {"product": "p.guid", "order": "o.code", "customer": "c.guid"}
TABLE_OF: dict[Kind, str] = {"product": "products p", "order": "orders o", "customer": "customers c"}
CAST_OF: dict[Kind, str] = {"product": "uuid", "order": "text", "customer": "uuid"}
INDEX_CHUNK = 10_000



def _sql(text: str) -> LiteralString:
    """Our statements are assembled from this module's constant fragments only (no values)."""
    return cast("LiteralString", text)


def _range_only(kind: Kind, *, lower: bool, upper: bool) -> str:
    key, cast = KEY_OF[kind], CAST_OF[kind]
    return " AND ".join(
        [*([f"{key} > %(after)s::{cast}"] if lower else []), *([f"{key} <= %(upto)s::{cast}"] if upper else [])]
    ) or "true"


def _range_sql(kind: Kind, *, lower: bool, upper: bool) -> str:
    return UPSERT.format(source=SOURCES[kind].format(only=_range_only(kind, lower=lower, upper=upper)))


def _bound_sql(kind: Kind, *, lower: bool) -> str:
    key, cast = KEY_OF[kind], CAST_OF[kind]
    after = f"AND {key} > %(after)s::{cast} " if lower else ""
    return (
        f"SELECT {key}::text FROM {TABLE_OF[kind]} WHERE {key.split('.')[0]}.shop_id = %(shop)s "
        f"{after}ORDER BY {key} OFFSET %(skip)s LIMIT 1"
    )


async def index_chunk(
    conn: psycopg.AsyncConnection[Any], shop_id: int, resource: str, after: str | None,
    chunk: int = INDEX_CHUNK,
) -> tuple[str | None, int]:
    """Index the next `chunk` records after key `after` (None: from the first) in one
    transaction; returns (the last key done, or None when the table is done; documents written)."""
    kind = KIND_OF_RESOURCE[resource]
    lower = after is not None
    params: dict[str, Any] = {"shop": shop_id, "after": after, "skip": chunk - 1}
    async with conn.transaction():
        cur = await conn.execute(_sql(_bound_sql(kind, lower=lower)), params)
        row = await cur.fetchone()
        upto: str | None = row[0] if row else None
        params["upto"] = upto
        if external.enabled():  # a large tenant's documents go to its OpenSearch backend
            written = 0
            only = _range_only(kind, lower=lower, upper=upto is not None)
            async with external.opensearch() as backend:
                async for documents in _documents(conn, shop_id, kind, only, params):
                    await backend.index(documents)
                    written += len(documents)
            return upto, written
        done = await conn.execute(_sql(_range_sql(kind, lower=lower, upper=upto is not None)), params)
        return upto, done.rowcount


async def pass_started(conn: psycopg.AsyncConnection[Any]) -> datetime:
    """The database's clock before an indexing pass: every document the pass writes is newer."""
    cur = await conn.execute("SELECT clock_timestamp()")
    row = await cur.fetchone()
    assert row is not None
    started: datetime = row[0]
    return started


async def prune(conn: psycopg.AsyncConnection[Any], shop_id: int, resource: str, since: datetime) -> int:
    """After a pass that indexed every live record: drop the documents it did not write (their
    record is gone or deleted; sync refreshes write newer ones too); returns how many."""
    kind = KIND_OF_RESOURCE[resource]
    done = await conn.execute(
        "DELETE FROM search_documents WHERE shop_id = %(shop)s AND kind = %(kind)s AND updated_at < %(since)s",
        {"shop": shop_id, "kind": kind, "since": since},
    )
    return done.rowcount
