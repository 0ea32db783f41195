"""The PostgreSQL search backend: full-text over `shopops_cs` plus trigram word similarity.

A query is planned per word before it runs, so every class of query takes a bounded path:

- a word without digits is expanded, through the shop's vocabulary (`search_words`, a btree
  range scan), to the whole words it is a prefix of ("kab" -> kabat | kabel): exact GIN
  entries, which GIN intersects cheaply, instead of a prefix (`'kab':*`) that makes it merge
  the posting lists of every lexeme so starting. More than `EXPANSIONS` words (a one- or
  two-letter prefix): the prefix itself, as before;
- a word the vocabulary has no word for is a typo: it is corrected against the vocabulary's
  trigram index (a small table) to its `CORRECTIONS` most similar words;
- a word with digits is a prefix when it is long enough to be selective (a code part, an EAN),
  else exact ("ALF-0" must not expand to every number starting with 0);
- a query that looks like a code (one token with a digit: a SKU, an order code, partial or
  whole) also takes the btree prefix index on the folded code (`ix_search_documents_code`);
- only when all that finds nothing does the folded query go to the trigram index of the short
  fields (`<%`, word similarity: a typo inside a code), never `%` over long text.

Score = ts_rank_cd (title words weigh most) + word similarity, plus one for a code match. Each
phase takes at most `CANDIDATES` rows before ranking, so a one-letter prefix over a million
products costs about what a precise query costs (the price: for such a broad prefix the best of
the whole hit set may be outside the ranked rows); only the returned page is highlighted, and
facets count the capped candidate set. A one-word query lets GIN sample a broad word's matches
(`gin_fuzzy_search_limit` = FUZZY_LIMIT, set for the statement's transaction and reset after):
collecting all 50 000 matches of "kabat" costs 40 ms, a sample of 2 000 under 1 ms; the ranked
candidates are then a random sample of the matches, which for so broad a word are alike."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any, LiteralString

import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from db.search.types import (
    KINDS,
    PRICE_BUCKETS,
    FacetCount,
    Facets,
    Kind,
    SearchDocument,
    SearchHit,
    SearchQuery,
)

# rows ranked per query at most: enough for a first page and honest facets, bounded work
CANDIDATES = 200
# whole words a typed prefix may stand for before the prefix itself is asked for instead
EXPANSIONS = 10
# vocabulary words a misspelt word is replaced by (the most similar ones)
CORRECTIONS = 3
# a word with digits shorter than this matches only itself (no prefix expansion)
MIN_DIGIT_PREFIX = 4
# a one-word query asks GIN for about this many matches at most (gin_fuzzy_search_limit: a
# random sample of a broad word's matches, of which CANDIDATES are ranked); never for several
# words, whose intersection a sample of each would lose
FUZZY_LIMIT = 2000
WORD = re.compile(r"[^\W_]+")
CODE = re.compile(r"[\w./+-]*\d[\w./+-]*")

UPSERT: LiteralString = """
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


def fold(value: str) -> str:
    """Lower case without diacritics, as `shopops_fold` (unaccent) makes the documents' words."""
    decomposed = unicodedata.normalize("NFKD", value)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def tsquery_text(query: str) -> str:
    """Every word of the query as a prefix, all required: "zlut ku" -> 'zlut':* & 'ku':*
    (the plan without a vocabulary; `PostgresSearch.plan` narrows it)."""
    return " & ".join(f"'{word}':*" for word in WORD.findall(fold(query)))


@dataclass(frozen=True)
class Plan:
    """How one query runs: the tsquery text (None: full text cannot match) and the code prefix
    (None: not code-like)."""

    tsq: str | None
    code_prefix: str | None
    words: dict[str, list[str]] = field(default_factory=dict[str, list[str]])
    # when nothing else matched, try the trigram index of the short fields (a typo inside a
    # code): only for a code-like query; words were already corrected by the vocabulary
    typo_fallback: bool = True
    # one word in the full-text query: GIN may sample it (FUZZY_LIMIT)
    single_word: bool = False


def _scope(query: SearchQuery, params: dict[str, Any], alias: str = "d") -> list[str]:
    scope = [f"{alias}.kind = ANY(:kinds)"]
    if query.shop_ids is not None:
        scope.append(f"{alias}.shop_id = ANY(:shops)")
        params["shops"] = query.shop_ids
    return scope


def _hits(query: SearchQuery, plan: Plan, *, scored: bool = True) -> tuple[str, dict[str, Any]]:
    """A `hits` CTE: code-prefix and full-text matches, and trigram matches only when there are
    none (a typo inside a code), so a prefix or an exact code never pays for a trigram scan.
    Facets need no `score`."""
    params: dict[str, Any] = {
        "tsq": plan.tsq or "", "fq": fold(query.text), "kinds": list(query.kinds), "limit": query.limit,
    }
    scope = _scope(query, params)
    for column in ("status", "category", "brand"):
        value = getattr(query, column)
        if value is not None:
            scope.append(f"d.{column} = :{column}")
            params[column] = value
    where = " AND ".join(scope)
    columns = (
        "d.shop_id, d.kind, d.ref, d.title, d.code, d.subtitle, d.status, d.category, d.brand, d.price"
    )
    similarity = "word_similarity(:fq, d.keys)" if scored else "0"
    rank = "ts_rank_cd(d.document, to_tsquery('shopops_cs', :tsq))" if scored and plan.tsq else "0"
    # A GIN phase is a MATERIALIZED CTE without a LIMIT of its own, read up to CANDIDATES rows:
    # planned for all its rows it always takes the bitmap index scan (a LIMIT inside would make
    # a common word look cheaper by a sequential scan that stops early, which it then is not for
    # a rarer one), and being read lazily it fetches only the rows taken from the heap.
    ctes: list[str] = []
    phases: list[str] = []
    if plan.code_prefix is not None:
        params["code"] = plan.code_prefix
        phases.append(
            f"SELECT {columns}, 1 + {similarity} AS score FROM search_documents d "
            f"WHERE d.code IS NOT NULL AND shopops_fold(d.code) LIKE :code AND {where} "
            f"LIMIT {CANDIDATES}"
        )
    if plan.tsq:
        # per kind, from its own partial index (the literal lets the planner prove it), so
        # each kind the search box groups by gets its candidates
        for kind in (k for k in KINDS if k in query.kinds):
            ctes.append(
                f"fts_{kind} AS MATERIALIZED (SELECT {columns}, {rank} + {similarity} AS score "
                f"FROM search_documents d WHERE d.document @@ to_tsquery('shopops_cs', :tsq) "
                f"AND d.kind = '{kind}' AND {where})"
            )
            phases.append(f"SELECT * FROM fts_{kind} LIMIT {CANDIDATES}")
    if plan.typo_fallback:
        ctes.append(
            f"trigram AS MATERIALIZED (SELECT {columns}, {similarity} AS score "
            f"FROM search_documents d WHERE :fq <% d.keys AND {where})"
        )
    trigram = f"SELECT * FROM trigram LIMIT {CANDIDATES}"
    if not phases:
        if not plan.typo_fallback:  # no word of the query is (like) a word of the shop's
            return f"hits AS (SELECT {columns}, 0::float8 AS score FROM search_documents d WHERE false)", params
        return ", ".join([*ctes, f"hits AS ({trigram})"]), params
    found = " UNION ALL ".join(f"({phase})" for phase in phases)
    fallback = (
        f" UNION ALL (SELECT t.* FROM ({trigram}) t WHERE NOT EXISTS (SELECT FROM found))"
        if plan.typo_fallback else ""
    )
    return (
        ", ".join([*ctes, f"""found AS MATERIALIZED (
            SELECT DISTINCT ON (shop_id, kind, ref) * FROM ({found}) f
            ORDER BY shop_id, kind, ref, score DESC
        )""", f"hits AS (SELECT * FROM found{fallback})"]),
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

    async def plan(self, query: SearchQuery) -> Plan:
        """The query's words against the shop's vocabulary (one statement): prefixes expanded
        to whole words, typos corrected, digits kept short; see the module's docstring."""
        text_ = fold(query.text)
        words = list(dict.fromkeys(WORD.findall(text_)))
        stripped = text_.strip()
        code_prefix = None
        if CODE.fullmatch(stripped) and (len(stripped) >= MIN_DIGIT_PREFIX or not stripped.isdigit()):
            escaped = stripped.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            code_prefix = escaped + "%"
        alpha = [w for w in words if not any(c.isdigit() for c in w)]
        found: dict[str, list[str]] = {}
        if alpha:
            params: dict[str, Any] = {"words": alpha, "n": EXPANSIONS + 1, "c": CORRECTIONS}
            shops = ""
            if query.shop_ids is not None:
                shops = "AND w.shop_id = ANY(:shops)"
                params["shops"] = query.shop_ids
            rows = await self.session.execute(
                text(
                    f"""
                    SELECT q.word, coalesce(e.words, c.words, '{{}}') AS words
                    FROM unnest(CAST(:words AS text[])) AS q(word)
                    LEFT JOIN LATERAL (
                        SELECT array_agg(x.word ORDER BY length(x.word), x.word) AS words FROM (
                            SELECT DISTINCT w.word FROM search_words w
                            WHERE w.word >= q.word AND w.word < q.word || chr(1114111)
                              AND w.word LIKE q.word || '%' {shops}
                            ORDER BY w.word LIMIT :n
                        ) x HAVING count(*) > 0
                    ) e ON true
                    LEFT JOIN LATERAL (
                        SELECT array_agg(y.word ORDER BY y.sim DESC, y.word) AS words FROM (
                            SELECT w.word, max(similarity(w.word, q.word)) AS sim FROM search_words w
                            WHERE e.words IS NULL AND w.word % q.word {shops}
                            GROUP BY w.word ORDER BY sim DESC, w.word LIMIT :c
                        ) y HAVING count(*) > 0
                    ) c ON true
                    """
                ),
                params,
            )
            found = {word: list(expanded) for word, expanded in rows}
        terms: list[str] = []
        for word in words:
            if word in found:
                expanded = found[word]
                if not expanded:  # neither a prefix of a word of the shop's nor like one
                    return Plan(None, code_prefix, found, code_prefix is not None)
                if len(expanded) > EXPANSIONS:
                    terms.append(f"'{word}':*")
                else:
                    terms.append("(" + " | ".join(f"'{w}'" for w in expanded) + ")")
            elif len(word) >= MIN_DIGIT_PREFIX or not word.isdigit():
                terms.append(f"'{word}':*")
            else:
                terms.append(f"'{word}'")
        return Plan(
            " & ".join(terms) or None, code_prefix, found, code_prefix is not None,
            single_word=len(terms) == 1,
        )

    async def search(self, query: SearchQuery) -> list[SearchHit]:
        return (await self.answer(query, facets=False))[0]

    async def facets(self, query: SearchQuery) -> Facets:
        return (await self.answer(query, hits=False))[1]

    async def answer(
        self, query: SearchQuery, *, hits: bool = True, facets: bool = True
    ) -> tuple[list[SearchHit], Facets]:
        """The best hits and the facets of the hit set, from one statement (one index scan)."""
        if not WORD.search(fold(query.text)):
            return [], Facets()
        plan = await self.plan(query)
        sampled = plan.single_word and not plan.typo_fallback
        if sampled:  # a broad word: GIN collects a sample, not every match (module docstring)
            await self._gin_limit(FUZZY_LIMIT)
        try:
            return await self._answer(query, plan, hits=hits, facets=facets)
        finally:
            if sampled:
                await self._gin_limit(0)

    async def _gin_limit(self, limit: int) -> None:
        await self.session.execute(
            text("SELECT set_config('gin_fuzzy_search_limit', :n, true)"), {"n": str(limit)}
        )

    async def _answer(
        self, query: SearchQuery, plan: Plan, *, hits: bool, facets: bool
    ) -> tuple[list[SearchHit], Facets]:
        cte, params = _hits(query, plan, scored=hits)
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
            counts: list[FacetCount] = getattr(counted, name)
            counts.sort(key=lambda c: (-c.count, c.value))
        counted.price.sort(key=lambda c: int(c.value.split("-")[0].rstrip("+")))
        return found, counted


def _bucket_labels() -> dict[int, str]:
    """width_bucket's numbers as the labels `price_bucket` gives: 0 -> "0-100", … 4 -> "5000+"."""
    edges = (0, *PRICE_BUCKETS)
    labels = {i: f"{edges[i]}-{edges[i + 1]}" for i in range(len(PRICE_BUCKETS))}
    labels[len(PRICE_BUCKETS)] = f"{PRICE_BUCKETS[-1]}+"
    return labels
