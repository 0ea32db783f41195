# pyright: strict
"""The merchant's promotions calendar: listed by every member of the shop, changed by managers.
Bad input (an end before the start, a blank name, both a variant and a category) is a 422."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Self

from fastapi import APIRouter, Path, Response
from pydantic import BaseModel, Field, field_validator, model_validator

from api.deps import ManagedShop, SessionDep, ShopOfCaller
from api.problems import Problem
from api.services.inventory import promotions
from api.services.inventory.promotions import PromotionOut

router = APIRouter(prefix="/api/shops/{shop_id}/promotions", tags=["promotions"])

PromotionId = Annotated[int, Path(ge=1)]
MAX_DAYS = 366  # a longer "promotion" is a price, not a promotion


class PromotionIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    starts_on: date
    ends_on: date
    variant_code: str | None = Field(default=None, min_length=1, max_length=100)
    category: str | None = Field(default=None, min_length=1, max_length=200)

    @field_validator("name")
    @classmethod
    def _strip(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value.strip()

    @model_validator(mode="after")
    def _days_and_scope(self) -> Self:
        if self.ends_on < self.starts_on:
            raise ValueError(f"ends_on {self.ends_on} is before starts_on {self.starts_on}")
        if (self.ends_on - self.starts_on).days >= MAX_DAYS:
            raise ValueError(f"a promotion lasts at most {MAX_DAYS} days")
        if self.variant_code is not None and self.category is not None:
            raise ValueError("scope a promotion to a variant or a category, not both")
        return self


@router.get("")
async def list_promotions(
    shop: ShopOfCaller,
    session: SessionDep,
    since: date | None = None,
    until: date | None = None,
) -> list[PromotionOut]:
    """Every promotion, or those overlapping since .. until (both or neither)."""
    if (since is None) != (until is None) or (since and until and until < since):
        raise Problem(422, "Bad range", "since and until: give both, with until >= since")
    window = (since, until) if since is not None and until is not None else None
    return await promotions.list_promotions(session, shop.id, window)


@router.post("", status_code=201)
async def create_promotion(
    shop: ManagedShop, session: SessionDep, body: PromotionIn
) -> PromotionOut:
    return await promotions.create_promotion(session, shop.id, body.model_dump())


@router.get("/{promotion_id}")
async def get_promotion(
    shop: ShopOfCaller, session: SessionDep, promotion_id: PromotionId
) -> PromotionOut:
    return await promotions.get_promotion(session, shop.id, promotion_id)


@router.put("/{promotion_id}")
async def replace_promotion(
    shop: ManagedShop, session: SessionDep, promotion_id: PromotionId, body: PromotionIn
) -> PromotionOut:
    return await promotions.replace_promotion(session, shop.id, promotion_id, body.model_dump())


@router.delete("/{promotion_id}", status_code=204)
async def delete_promotion(
    shop: ManagedShop, session: SessionDep, promotion_id: PromotionId
) -> Response:
    await promotions.delete_promotion(session, shop.id, promotion_id)
    return Response(status_code=204)
