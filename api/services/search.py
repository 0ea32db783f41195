"""Search across the caller's shops: which backend answers, scoped to which shops."""

from __future__ import annotations

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from api.problems import Problem
from db.search.postgres import PostgresSearch
from db.search.types import KINDS, Facets, Kind, SearchHit, SearchQuery


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
    hits, facets = await PostgresSearch(session).answer(query)
    return SearchOut(query=text, hits=hits, facets=facets)
