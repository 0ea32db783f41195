"""Metered outbound calls: a shop's usage per kind and day, and the daily budgets admins set."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field
from sqlalchemy import select

from api.deps import AdminCaller, CurrentCaller, SessionDep, ShopOfCaller
from api.problems import Problem
from db import metering
from db.models import Shop

router = APIRouter(tags=["usage"])


class BudgetIn(BaseModel):
    daily_limit: int | None = Field(default=None, ge=0, le=10**12)  # None removes the budget


class KindOut(BaseModel):
    kind: str
    description: str
    description_cs: str


class ShopUsageOut(BaseModel):
    shop_id: int
    shop_name: str
    usage: list[metering.UsageOut]


@router.get("/api/usage/kinds")
async def kinds(_caller: CurrentCaller) -> list[KindOut]:
    return [
        KindOut(kind=k, description=v, description_cs=metering.KINDS_CS[k])
        for k, v in metering.KINDS.items()
    ]


@router.get("/api/shops/{shop_id}/usage")
async def shop_usage(
    shop: ShopOfCaller, session: SessionDep, days: Annotated[int, Query(ge=1, le=90)] = 14
) -> list[metering.UsageOut]:
    """Use, refusals and budget per kind and day, newest first (today is live)."""
    return await metering.usage_for(session, shop.id, days=days)


@router.put("/api/shops/{shop_id}/usage/budgets/{kind}", status_code=204)
async def set_budget(
    shop: ShopOfCaller,
    _admin: AdminCaller,
    session: SessionDep,
    kind: Annotated[str, Path(max_length=30)],
    body: BudgetIn,
) -> None:
    """Admins set (or with `daily_limit: null` remove) a shop's daily budget of one kind."""
    if kind not in metering.KINDS:
        raise Problem(
            404, "Unknown metered kind", f"{kind!r} is not metered; one of {', '.join(metering.KINDS)}"
        )
    await metering.set_budget(session, shop.id, kind, body.daily_limit)
    await session.commit()


@router.get("/api/usage")
async def all_usage(_admin: AdminCaller, session: SessionDep) -> list[ShopUsageOut]:
    """Today's use of every shop that used anything or has a budget (the monitoring page)."""
    out = []
    for shop in (await session.execute(select(Shop).order_by(Shop.id))).scalars():
        usage = [u for u in await metering.usage_for(session, shop.id, days=1)]
        if usage:
            out.append(ShopUsageOut(shop_id=shop.id, shop_name=shop.name, usage=usage))
    return out
