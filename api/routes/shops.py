"""Shops the caller may see, with installation, token and sync state."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import CurrentCaller, SessionDep, ShopOfCaller
from api.problems import Problem
from db import summaries

router = APIRouter(prefix="/api/shops", tags=["shops"])


class ShopOut(summaries.ShopCard):
    role: str


async def _shop_out(session: SessionDep, shop_id: int, role: str) -> ShopOut | None:
    card = await summaries.shop_card(session, shop_id)
    return ShopOut(**card.model_dump(), role=role) if card else None


@router.get("")
async def list_shops(caller: CurrentCaller, session: SessionDep) -> list[ShopOut]:
    """The caller's shops; each shop's card comes from the tagged cache (kind `shops`)."""
    allowed = caller.shop_filter()
    ids = await summaries.shop_ids(session) if allowed is None else sorted(allowed)
    out = [await _shop_out(session, s, caller.role_in(s) or "viewer") for s in ids]
    return [o for o in out if o is not None]


@router.get("/{shop_id}")
async def get_shop(shop: ShopOfCaller, caller: CurrentCaller, session: SessionDep) -> ShopOut:
    out = await _shop_out(session, shop.id, caller.role_in(shop.id) or "viewer")
    if out is None:
        raise Problem(404, "Shop not found", f"No shop {shop.id}.")
    return out


@router.get("/{shop_id}/products")
async def list_products(
    shop: ShopOfCaller, session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
) -> list[summaries.ProductRow]:
    """A page of the shop's products by name (kind `products`, tag `shop:<id>:products`)."""
    return await summaries.product_list(session, shop.id, limit, offset)


@router.get("/{shop_id}/counts")
async def shop_counts(shop: ShopOfCaller) -> dict[str, int]:
    """The dashboard's tiles, trailing the shop's last write by at most one recount."""
    return (await summaries.shop_counts(shop.id)).model_dump()
