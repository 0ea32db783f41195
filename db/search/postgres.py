"""The PostgreSQL search backend: full-text over `shopops_cs` plus trigram word similarity.

A record matches when every word of the query is a prefix of one of its lexemes (typing
"zlut ku" finds "Žluťoučký kůň") or when the folded query is word-similar to its short fields
(`<%`: "zlutoucky kon", a partial SKU, an e-mail). Score = ts_rank_cd (title words weigh
most) + word similarity. The hit set is capped at `CANDIDATES` rows before ranking, so a
one-letter prefix over a million products costs the same as a precise query.
"""

from __future__ import annotations

import re
from typing import Any

import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from db.search.types import (
    PRICE_BUCKETS,
    Facets,
    FacetCount,
    Kind,
    SearchDocument,
    SearchHit,
    SearchQuery,
)

# rows ranked per query at most: enough for a first page and honest facets, bounded work
CANDIDATES = 1000
WORD = re.compile(r"\w+")

UPSERT = """
INSERT INTO search_documents AS d
    (shop_id, kind, ref, title, subtitle, body, status, category, brand, price, keys, document)
SELECT s.shop_id, s.kind, s.ref, s.title, s.subtitle, s.body, s.status, s.category, s.brand,
       s.price, shopops_fold(s.keys), shopops_search_document(s.title, s.keys, s.body)
FROM ({source}) s
ON CONFLICT (shop_id, kind, ref) DO UPDATE SET
    title = excluded.title, subtitle = excluded.subtitle, body = excluded.body,
    status = excluded.status, category = excluded.category, brand = excluded.brand,
    price = excluded.price, keys = excluded.keys, document = excluded.document,
    updated_at = now()
"""
FROM_JSON = (
    "SELECT * FROM jsonb_to_recordset(CAST(:docs AS jsonb)) AS x(shop_id bigint, kind text, "
    "ref text, title text, subtitle text, body text, status text, category text, brand text, "
    "price numeric, keys text)"
)


def tsquery_text(query: str) -> str:
    """Every word of the query as a prefix, all required: "zlut ku" -> 'zlut':* & 'ku':*."""
    return " & ".join(f"'{word}':*" for word in WORD.findall(query))


def _where(query: SearchQuery) -> tuple[str, dict[str, Any]]:
    params: dict[str, Any] = {
        "tsq": tsquery_text(query.text), "fq": query.text, "kinds": list(query.kinds),
    }
    match = "shopops_fold(:fq) <% d.keys"
    if params["tsq"]:
        match = f"(d.document @@ to_tsquery('shopops_cs', :tsq) OR {match})"
    clauses = [match, "d.kind = ANY(:kinds)"]
    if query.shop_ids is not None:
        clauses.append("d.shop_id = ANY(:shops)")
        params["shops"] = query.shop_ids
    for column in ("status", "category", "brand"):
        value = getattr(query, column)
        if value is not None:
            clauses.append(f"d.{column} = :{column}")
            params[column] = value
    return " AND ".join(clauses), params


def _rank(params: dict[str, Any]) -> str:
    fts = "ts_rank_cd(d.document, to_tsquery('shopops_cs', :tsq))" if params["tsq"] else "0"
    return f"{fts} + word_similarity(shopops_fold(:fq), d.keys)"


class PostgresSearch:
    """Reads and writes `search_documents` through the caller's session (the caller commits)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def index(self, documents: list[SearchDocument]) -> None:
        if documents:
            docs = orjson.dumps([d.model_dump(mode="json") for d in documents]).decode()
            await self.session.execute(text(UPSERT.format(source=FROM_JSON)), {"docs": docs})

    async def delete(self, shop_id: int, kind: Kind, refs: list[str]) -> None:
        await self.session.execute(
            text("DELETE FROM search_documents WHERE shop_id = :shop AND kind = :kind "
                 "AND ref = ANY(:refs)"),
            {"shop": shop_id, "kind": kind, "refs": refs},
        )

    async def search(self, query: SearchQuery) -> list[SearchHit]:
        if not query.text.strip():
            return []
        where, params = _where(query)
        tsq = "to_tsquery('shopops_cs', :tsq)" if params["tsq"] else "NULL::tsquery"
        rows = await self.session.execute(
            text(
                f"""
                WITH hits AS (
                    SELECT d.shop_id, d.kind, d.ref, d.title, d.subtitle, d.status, d.price,
                           {_rank(params)} AS score
                    FROM search_documents d WHERE {where} LIMIT {CANDIDATES}
                ), best AS (
                    SELECT * FROM hits ORDER BY score DESC, title, ref LIMIT :limit
                )
                SELECT shop_id, kind, ref, title, subtitle, status, price, score,
                       CASE WHEN {tsq} IS NULL THEN title
                            ELSE ts_headline('shopops_cs', title, {tsq},
                                 'StartSel=<mark>, StopSel=</mark>, HighlightAll=true') END
                FROM best ORDER BY score DESC, title, ref
                """
            ),
            {**params, "limit": query.limit},
        )
        return [
            SearchHit(shop_id=r[0], kind=r[1], ref=r[2], title=r[3], subtitle=r[4], status=r[5],
                      price=r[6], score=float(r[7]), highlight=r[8])
            for r in rows
        ]

    async def facets(self, query: SearchQuery) -> Facets:
        if not query.text.strip():
            return Facets()
        where, params = _where(query)
        bounds = ", ".join(str(b) for b in PRICE_BUCKETS)
        rows = await self.session.execute(
            text(
                f"""
                WITH hits AS (
                    SELECT d.kind, d.status, d.category, d.brand,
                           CASE WHEN d.price IS NULL THEN NULL
                                ELSE width_bucket(d.price, ARRAY[{bounds}]::numeric[]) END AS bucket
                    FROM search_documents d WHERE {where} LIMIT {CANDIDATES}
                )
                SELECT 'kind', kind, count(*) FROM hits GROUP BY kind
                UNION ALL SELECT 'status', status, count(*) FROM hits
                    WHERE status IS NOT NULL GROUP BY status
                UNION ALL SELECT 'category', category, count(*) FROM hits
                    WHERE category IS NOT NULL GROUP BY category
                UNION ALL SELECT 'brand', brand, count(*) FROM hits
                    WHERE brand IS NOT NULL GROUP BY brand
                UNION ALL SELECT 'price', bucket::text, count(*) FROM hits
                    WHERE bucket IS NOT NULL GROUP BY bucket
                """
            ),
            params,
        )
        facets = Facets()
        labels = _bucket_labels()
        for facet, value, count in rows:
            label = labels[int(value)] if facet == "price" else value
            getattr(facets, facet).append(FacetCount(value=label, count=count))
        for name in ("kind", "status", "category", "brand"):
            getattr(facets, name).sort(key=lambda c: (-c.count, c.value))
        facets.price.sort(key=lambda c: int(c.value.split("-")[0].rstrip("+")))
        return facets


def _bucket_labels() -> dict[int, str]:
    """width_bucket's numbers as the labels `price_bucket` gives: 0 -> "0-100", … 4 -> "5000+"."""
    edges = (0, *PRICE_BUCKETS)
    labels = {i: f"{edges[i]}-{edges[i + 1]}" for i in range(len(PRICE_BUCKETS))}
    labels[len(PRICE_BUCKETS)] = f"{PRICE_BUCKETS[-1]}+"
    return labels
