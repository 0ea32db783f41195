"""Hot answers every page asks for, cached by kind and tag, and warmed after an ingest.

They live in `db` so the API (which reads them) and the post-ingest warming activity (which
recomputes them before anyone asks) share one definition and one cache key.
"""

from __future__ import annotations

from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from db.models.maintenance import history_view_name
from db.tagged_cache import cached, shop_tag


class StatusCount(BaseModel):
    id: int
    name: str | None
    count: int


class ShopCounts(BaseModel):
    orders: int
    customers: int
    products: int


async def order_status_counts(session: AsyncSession, shop_id: int) -> list[StatusCount]:
    """Statuses the shop's orders (hot and archived) are in, for the status filter.

    Counting millions of orders takes a while, so the answer is cached until the shop's orders
    change (the ingest and the sync invalidate the tag) or for the `orders` kind's TTL.
    """

    async def load() -> list[StatusCount]:
        rows = await session.execute(
            text(
                f"SELECT status_id, max(status_name), count(*) FROM {history_view_name('orders')} "
                "WHERE shop_id = :shop AND status_id IS NOT NULL GROUP BY status_id ORDER BY status_id"
            ),
            {"shop": shop_id},
        )
        return [StatusCount(id=sid, name=name, count=n) for sid, name, n in rows]

    return await cached(
        f"order-statuses:{shop_id}",
        [shop_tag(shop_id, "orders")],
        load,
        kind="orders",
        dump=lambda items: [i.model_dump() for i in items],
        restore=lambda raw: [StatusCount(**i) for i in raw],
    )


async def shop_counts(session: AsyncSession, shop_id: int) -> ShopCounts:
    """How many orders, customers and products a shop has (the dashboard's tiles)."""

    async def load() -> ShopCounts:
        counts: dict[str, int] = {}
        for table in ("orders", "customers", "products"):
            counts[table] = (
                await session.execute(
                    text(f"SELECT count(*) FROM {table} WHERE shop_id = :shop"), {"shop": shop_id}
                )
            ).scalar_one()
        return ShopCounts(**counts)

    return await cached(
        f"shop-counts:{shop_id}",
        [shop_tag(shop_id, r) for r in ("orders", "customers", "products")],
        load,
        kind="dashboard",
        dump=lambda value: value.model_dump(),
        restore=lambda raw: ShopCounts(**raw),
    )


async def warm(session: AsyncSession, shop_id: int) -> list[str]:
    """Recompute a shop's hot answers (after an ingest moved their tags); names what it warmed."""
    await order_status_counts(session, shop_id)
    await shop_counts(session, shop_id)
    return ["order-statuses", "shop-counts"]
