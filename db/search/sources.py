"""Search documents built from the business tables, refreshed per ingest or sync batch.

One SELECT per kind turns rows into documents; `refresh` upserts the documents of a batch's
keys and drops those whose record is gone (deleted at Shoptet), in the batch's transaction,
so search is current the moment the batch commits and never needs a rebuild.
"""

from __future__ import annotations

from typing import Any

import psycopg

from db.search.postgres import UPSERT
from db.search.types import Kind

# resource of the ingest/sync -> the kind its documents have, and its records' key condition
KIND_OF_RESOURCE: dict[str, Kind] = {"products": "product", "orders": "order", "customers": "customer"}
ONLY: dict[Kind, str] = {
    "product": "p.guid = ANY(%(refs)s::uuid[])",
    "order": "o.code = ANY(%(refs)s::text[])",
    "customer": "c.guid = ANY(%(refs)s::uuid[])",
}

SOURCES: dict[Kind, str] = {
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


def _refresh_sql(kind: Kind) -> str:
    upsert = UPSERT.format(source=SOURCES[kind].format(only=ONLY[kind]))
    return (
        f"WITH up AS ({upsert} RETURNING d.ref) "
        "DELETE FROM search_documents x WHERE x.shop_id = %(shop)s AND x.kind = %(kind)s "
        "AND x.ref = ANY(%(refs)s::text[]) AND NOT EXISTS (SELECT FROM up WHERE up.ref = x.ref)"
    )


REFRESH: dict[Kind, str] = {kind: _refresh_sql(kind) for kind in SOURCES}


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
    await cur.execute(REFRESH[kind], {"shop": shop_id, "kind": kind, "refs": sorted(set(refs))})  # type: ignore[arg-type]


async def backfill(cur: psycopg.AsyncCursor[Any] | psycopg.AsyncConnection[Any], shop_id: int, resource: str) -> int:
    """Index every record of a shop (data ingested before revision 1400); returns the rows."""
    kind = KIND_OF_RESOURCE[resource]
    done = await cur.execute(UPSERT.format(source=SOURCES[kind].format(only="true")), {"shop": shop_id})  # type: ignore[arg-type]
    return done.rowcount
