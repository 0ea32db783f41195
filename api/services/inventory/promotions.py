# pyright: strict
"""The merchant's promotions calendar: named promotions over whole days, for the whole shop or
one variant or category. The forecasts read it as a regressor (activities.inventory)."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from api.problems import Problem

COLUMNS = "id, name, starts_on, ends_on, variant_code, category"


class PromotionOut(BaseModel):
    id: int
    name: str
    starts_on: date
    ends_on: date
    variant_code: str | None
    category: str | None


async def list_promotions(
    session: AsyncSession, shop_id: int, overlapping: tuple[date, date] | None
) -> list[PromotionOut]:
    """The shop's promotions by start day; only those overlapping a (from, to) range if given."""
    where, params = "shop_id = :shop", dict[str, Any](shop=shop_id)
    if overlapping is not None:
        where += " AND ends_on >= :since AND starts_on <= :until"
        params |= {"since": overlapping[0], "until": overlapping[1]}
    rows = await session.execute(
        text(f"SELECT {COLUMNS} FROM promotions WHERE {where} ORDER BY starts_on, id"), params
    )
    return [PromotionOut(**row) for row in rows.mappings()]


async def get_promotion(session: AsyncSession, shop_id: int, promotion_id: int) -> PromotionOut:
    row = (
        (
            await session.execute(
                text(f"SELECT {COLUMNS} FROM promotions WHERE shop_id = :shop AND id = :id"),
                {"shop": shop_id, "id": promotion_id},
            )
        )
        .mappings()
        .first()
    )
    if row is None:
        raise Problem(404, "Promotion not found", f"No promotion {promotion_id} in this shop.")
    return PromotionOut(**row)


async def create_promotion(
    session: AsyncSession, shop_id: int, values: dict[str, Any]
) -> PromotionOut:
    promotion_id = (
        await session.execute(
            text(
                "INSERT INTO promotions (shop_id, name, starts_on, ends_on, variant_code, "
                "category) VALUES (:shop, :name, :starts_on, :ends_on, :variant_code, :category) "
                "RETURNING id"
            ),
            {"shop": shop_id, **values},
        )
    ).scalar_one()
    await session.commit()
    return await get_promotion(session, shop_id, int(promotion_id))


async def replace_promotion(
    session: AsyncSession, shop_id: int, promotion_id: int, values: dict[str, Any]
) -> PromotionOut:
    await get_promotion(session, shop_id, promotion_id)
    await session.execute(
        text(
            "UPDATE promotions SET name = :name, starts_on = :starts_on, ends_on = :ends_on, "
            "variant_code = :variant_code, category = :category "
            "WHERE shop_id = :shop AND id = :id"
        ),
        {"shop": shop_id, "id": promotion_id, **values},
    )
    await session.commit()
    return await get_promotion(session, shop_id, promotion_id)


async def delete_promotion(session: AsyncSession, shop_id: int, promotion_id: int) -> None:
    await get_promotion(session, shop_id, promotion_id)
    await session.execute(
        text("DELETE FROM promotions WHERE shop_id = :shop AND id = :id"),
        {"shop": shop_id, "id": promotion_id},
    )
    await session.commit()
