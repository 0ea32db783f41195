"""Global search over the caller's products, orders and customers (the UI's Ctrl+K box)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.common.params import BigIntId, ShortText
from api.deps import CurrentCaller, SessionDep
from api.services import search as service
from api.services.search import SearchOut
from db.search.types import Kind

router = APIRouter(prefix="/api", tags=["search"])

Q = Annotated[
    ShortText,
    Query(min_length=1, max_length=100, description="Words, a prefix, a code, an EAN, an e-mail."),
]


@router.get("/search")
async def search(
    caller: CurrentCaller,
    session: SessionDep,
    q: Q,
    type: Annotated[Kind | None, Query(description="product, order or customer; all if absent")] = None,
    shop_id: BigIntId | None = None,
    status: ShortText | None = None,
    category: ShortText | None = None,
    brand: ShortText | None = None,
    limit: Annotated[int, Query(ge=1, le=50)] = 20,
) -> SearchOut:
    """Best matches first, with facets over the hit set; only the caller's shops."""
    shops = service.shops_in_scope(caller.shop_filter(), shop_id)
    return await service.search(
        session, q, shops, type, status=status, category=category, brand=brand, limit=limit
    )
