"""Shops the caller may see, with installation, token and sync state."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import select

from api.deps import CurrentCaller, SessionDep, ShopOfCaller
from db import summaries
from db.models import Installation, Shop, SyncCursor

router = APIRouter(prefix="/api/shops", tags=["shops"])


class SyncState(BaseModel):
    resource: str
    last_success_at: datetime | None
    last_error: str | None


class ShopOut(BaseModel):
    id: int
    eshop_id: int
    name: str
    url: str | None
    status: str
    role: str
    installed_at: datetime | None
    token_expires_at: datetime | None
    token_refreshed_at: datetime | None
    last_sync_at: datetime | None
    sync: list[SyncState]


async def _shop_out(session: SessionDep, shop: Shop, role: str) -> ShopOut:
    inst = (
        await session.execute(select(Installation).where(Installation.shop_id == shop.id))
    ).scalar_one_or_none()
    cursors = (
        (await session.execute(select(SyncCursor).where(SyncCursor.shop_id == shop.id)))
        .scalars()
        .all()
    )
    successes = [c.last_success_at for c in cursors if c.last_success_at]
    return ShopOut(
        id=shop.id,
        eshop_id=shop.eshop_id,
        name=shop.name,
        url=shop.url,
        status=shop.status,
        role=role,
        installed_at=inst.installed_at if inst else None,
        token_expires_at=inst.api_token_expires_at if inst else None,
        token_refreshed_at=inst.api_token_refreshed_at if inst else None,
        last_sync_at=max(successes) if successes else None,
        sync=[
            SyncState(
                resource=c.resource, last_success_at=c.last_success_at, last_error=c.last_error
            )
            for c in cursors
        ],
    )


@router.get("")
async def list_shops(caller: CurrentCaller, session: SessionDep) -> list[ShopOut]:
    query = select(Shop).order_by(Shop.id)
    allowed = caller.shop_filter()
    if allowed is not None:
        query = query.where(Shop.id.in_(allowed))
    shops = (await session.execute(query)).scalars().all()
    return [await _shop_out(session, s, caller.role_in(s.id) or "viewer") for s in shops]


@router.get("/{shop_id}")
async def get_shop(shop: ShopOfCaller, caller: CurrentCaller, session: SessionDep) -> ShopOut:
    return await _shop_out(session, shop, caller.role_in(shop.id) or "viewer")


@router.get("/{shop_id}/counts")
async def shop_counts(shop: ShopOfCaller, session: SessionDep) -> dict[str, int]:
    return (await summaries.shop_counts(session, shop.id)).model_dump()
