"""The PostgreSQL search backend: full-text over `shopops_cs` plus trigram word similarity.

A record matches when every word of the query is a prefix of one of its lexemes (typing
"zlut ku" finds "Žluťoučký kůň"); only when that finds nothing does the folded query go
to the trigram index of the short fields (`<%`, word similarity: "zlutouky", a partial
SKU), so a common prefix never pays for a trigram scan. Score = ts_rank_cd (title words weigh
most) + word similarity. Each phase takes at most `CANDIDATES` rows before ranking, so a
one-letter prefix over a million products costs about what a precise query costs (the price:
for such a broad prefix the best of the whole hit set may be outside the ranked rows)."""

from __future__ import annotations

import re
from typing import Any

import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from db.search.types import (
    PRICE_BUCKETS,
    FacetCount,
    Facets,
    Kind,
    SearchDocument,
    SearchHit,
    SearchQuery,
)

# rows ranked per query at most: enough for a first page and honest facets, bounded work
CANDIDATES = 500
WORD = re.compile(r"\w+")

UPSERT = """
INSERT INTO search_documents AS d
    (shop_id, kind, ref, title, code, subtitle, body, status, category, brand, price, keys,
     document)
SELECT s.shop_id, s.kind, s.ref, s.title, s.code, s.subtitle, s.body, s.status, s.category, s.brand,
       s.price, shopops_fold(s.keys), shopops_search_document(s.title, s.keys, s.body)
FROM ({source}) s
ON CONFLICT (shop_id, kind, ref) DO UPDATE SET
    title = excluded.title, code = excluded.code, subtitle = excluded.subtitle, body = excluded.body,
    status = excluded.status, category = excluded.category, brand = excluded.brand,
    price = excluded.price, keys = excluded.keys, document = excluded.document,
    updated_at = now()
"""
FROM_JSON = (
    "SELECT * FROM jsonb_to_recordset(CAST(:docs AS jsonb)) AS x(shop_id bigint, kind text, "
    "ref text, title text, code text, subtitle text, body text, status text, category text, brand text, "
    "price numeric, keys text)"
)


def tsquery_text(query: str) -> str:
    """Every word of the query as a prefix, all required: "zlut ku" -> 'zlut':* & 'ku':*."""
    return " & ".join(f"'{word}':*" for word in WORD.findall(query))


def _hits(query: SearchQuery, *, scored: bool = True) -> tuple[str, dict[str, Any]]:
    """A `hits` CTE: full-text matches, and trigram matches only when there are none (a typo),
    so a prefix or an exact code never pays for a trigram scan. Facets need no `score`."""
    params: dict[str, Any] = {
        "tsq": tsquery_text(query.text), "fq": query.text, "kinds": list(query.kinds),
        "limit": query.limit,
    }
    scope = ["d.kind = ANY(:kinds)"]
    if query.shop_ids is not None:
        scope.append("d.shop_id = ANY(:shops)")
        params["shops"] = query.shop_ids
    for column in ("status", "category", "brand"):
        value = getattr(query, column)
        if value is not None:
            scope.append(f"d.{column} = :{column}")
            params[column] = value
    where = " AND ".join(scope)
    columns = (
        "d.shop_id, d.kind, d.ref, d.title, d.code, d.subtitle, d.status, d.category, d.brand, d.price"
    )
    similarity = "word_similarity(shopops_fold(:fq), d.keys)" if scored else "0"
    trigram = (
        f"SELECT {columns}, {similarity} AS score FROM search_documents d "
        f"WHERE shopops_fold(:fq) <% d.keys AND {where}"
    )
    if not params["tsq"]:
        return f"hits AS ({trigram} LIMIT {CANDIDATES})", params
    return (
        f"""fts AS (
            SELECT {columns},
                   {"ts_rank_cd(d.document, to_tsquery('shopops_cs', :tsq))" if scored else "0"}
                   + {similarity} AS score
            FROM search_documents d
            WHERE d.document @@ to_tsquery('shopops_cs', :tsq) AND {where} LIMIT {CANDIDATES}
        ), hits AS (
            SELECT * FROM fts
            UNION ALL
            (SELECT t.* FROM ({trigram}) t WHERE NOT EXISTS (SELECT FROM fts) LIMIT {CANDIDATES})
        )""",
        params,
    )


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
        return (await self.answer(query, facets=False))[0]

    async def facets(self, query: SearchQuery) -> Facets:
        return (await self.answer(query, hits=False))[1]

    async def answer(
        self, query: SearchQuery, *, hits: bool = True, facets: bool = True
    ) -> tuple[list[SearchHit], Facets]:
        """The best hits and the facets of the hit set, from one statement (one index scan)."""
        if not query.text.strip():
            return [], Facets()
        cte, params = _hits(query, scored=hits)
        tsq = "to_tsquery('shopops_cs', :tsq)" if params["tsq"] else "NULL::tsquery"
        bounds = ", ".join(str(b) for b in PRICE_BUCKETS)
        facet_rows = (
            """(SELECT coalesce(json_agg(json_build_array(facet, value, n)), '[]') FROM (
                    SELECT 'kind' AS facet, kind AS value, count(*) AS n FROM bucketed GROUP BY kind
                    UNION ALL SELECT 'status', status, count(*) FROM bucketed
                        WHERE status IS NOT NULL GROUP BY status
                    UNION ALL SELECT 'category', category, count(*) FROM bucketed
                        WHERE category IS NOT NULL GROUP BY category
                    UNION ALL SELECT 'brand', brand, count(*) FROM bucketed
                        WHERE brand IS NOT NULL GROUP BY brand
                    UNION ALL SELECT 'price', bucket::text, count(*) FROM bucketed
                        WHERE bucket IS NOT NULL GROUP BY bucket) f)"""
            if facets else "'[]'::json"
        )
        best = "SELECT * FROM hits ORDER BY score DESC, title, ref LIMIT :limit" if hits else (
            "SELECT * FROM hits WHERE false"
        )
        rows = (
            await self.session.execute(
                text(
                    f"""
                    WITH {cte}, best AS ({best}), bucketed AS (
                        SELECT kind, status, category, brand,
                               CASE WHEN price IS NULL THEN NULL
                                    ELSE width_bucket(price, ARRAY[{bounds}]::numeric[]) END AS bucket
                        FROM hits
                    ), page AS (
                        SELECT shop_id, kind, ref, title, code, subtitle, status, price, score,
                               CASE WHEN {tsq} IS NULL THEN title
                                    ELSE ts_headline('shopops_cs', title, {tsq},
                                         'StartSel=<mark>, StopSel=</mark>, HighlightAll=true')
                               END AS highlight
                        FROM best
                    )
                    SELECT (SELECT coalesce(json_agg(page ORDER BY score DESC, title, ref), '[]')
                            FROM page), {facet_rows}
                    """
                ),
                params,
            )
        ).one()
        found = [SearchHit.model_validate(h) for h in rows[0]]
        counted = Facets()
        labels = _bucket_labels()
        for facet, value, count in rows[1]:
            label = labels[int(value)] if facet == "price" else value
            getattr(counted, facet).append(FacetCount(value=label, count=count))
        for name in ("kind", "status", "category", "brand"):
            getattr(counted, name).sort(key=lambda c: (-c.count, c.value))
        counted.price.sort(key=lambda c: int(c.value.split("-")[0].rstrip("+")))
        return found, counted


def _bucket_labels() -> dict[int, str]:
    """width_bucket's numbers as the labels `price_bucket` gives: 0 -> "0-100", … 4 -> "5000+"."""
    edges = (0, *PRICE_BUCKETS)
    labels = {i: f"{edges[i]}-{edges[i + 1]}" for i in range(len(PRICE_BUCKETS))}
    labels[len(PRICE_BUCKETS)] = f"{PRICE_BUCKETS[-1]}+"
    return labels
