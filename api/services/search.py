"""Search across the caller's shops: which backend answers, scoped to which shops."""

from __future__ import annotations

import hashlib

import orjson
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from api.problems import Problem
from db.search import external, sources
from db.search.postgres import PostgresSearch
from db.search.types import KINDS, Facets, Kind, SearchHit, SearchQuery
from db.tagged_cache import cached, shop_tag


class SearchOut(BaseModel):
    query: str
    hits: list[SearchHit]
    facets: Facets


def shops_in_scope(allowed: list[int] | None, shop_id: int | None) -> list[int] | None:
    """The shops a search covers: one asked-for shop of the caller's, else all of them.

    A shop that is not the caller's answers 404, the same as a missing one, so ids cannot be probed.
    """
    if shop_id is None:
        return allowed
    if allowed is not None and shop_id not in allowed:
        raise Problem(404, "Shop not found", f"No shop {shop_id} among your shops.")
    return [shop_id]


async def search(
    session: AsyncSession,
    text: str,
    shop_ids: list[int] | None,
    kind: Kind | None = None,
    *,
    status: str | None = None,
    category: str | None = None,
    brand: str | None = None,
    limit: int = 20,
) -> SearchOut:
    query = SearchQuery(
        text=text, shop_ids=shop_ids, kinds=[kind] if kind else list(KINDS),
        status=status, category=category, brand=brand, limit=limit,
    )
    if shop_ids == []:  # a member of no shop finds nothing, without asking the database
        return SearchOut(query=text, hits=[], facets=Facets())
    if external.enabled():  # SEARCH_BACKEND=opensearch: the documents are there
        async with external.opensearch() as backend:
            hits, facets = await backend.search(query), await backend.facets(query)
        return SearchOut(query=text, hits=hits, facets=facets)

    async def answer() -> SearchOut:
        hits, facets = await PostgresSearch(session).answer(query)
        return SearchOut(query=text, hits=hits, facets=facets)

    if shop_ids is None:  # an admin across every shop: no finite set of tags to depend on
        return await answer()
    return await cached(
        f"search:{_key(query)}",
        [shop_tag(shop, RESOURCE_OF_KIND[k]) for shop in shop_ids for k in query.kinds],
        answer,
        kind="search",
        dump=lambda value: value.model_dump(mode="json"),
        restore=SearchOut.model_validate,
    )


# The writers of `search_documents` move these tags after their commit: the snapshot ingest and
# the sync (per batch, with the rows), the bulk index after a snapshot run (per chunk) and the
# backfill command. A cached answer is never older than the documents it was read from.
RESOURCE_OF_KIND: dict[Kind, str] = {kind: resource for resource, kind in sources.KIND_OF_RESOURCE.items()}


def _key(query: SearchQuery) -> str:
    raw = orjson.dumps(query.model_dump(), option=orjson.OPT_SORT_KEYS)
    return hashlib.blake2b(raw, digest_size=16).hexdigest()
