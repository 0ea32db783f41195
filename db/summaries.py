"""Hot answers every page asks for, cached by kind and tag, and warmed after an ingest.

They live in `db` so the API (which reads them) and the post-ingest warming activity (which
recomputes them before anyone asks) share one definition and one cache key.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from db.engine import session_scope
from db.models import Installation, Shop, SyncCursor
from db.models.maintenance import history_view_name
from db.tagged_cache import cached, cached_trailing, invalidate, shop_tag

# the tag of each shop's card (name, status, installation, token and sync state); its writers
# call `shops_changed` after their commit
INFO = "info"


class StatusCount(BaseModel):
    id: int
    name: str | None
    count: int


class ShopCounts(BaseModel):
    orders: int
    customers: int
    products: int


async def one_core(session: AsyncSession) -> None:
    """Run this transaction's scans without parallel workers. A recount is a background refresh
    (readers get the previous answer meanwhile): with two workers it took both cores of a 2-core
    host for a second (1.8 M orders), a stall every request waited out in `make load`; alone it
    takes 1.5 s of one core and leaves the others to the requests."""
    await session.execute(text("SET LOCAL max_parallel_workers_per_gather = 0"))


async def order_status_counts(shop_id: int, *, refresh: bool = False) -> list[StatusCount]:
    """Statuses the shop's orders (hot and archived) are in, for the status filter.

    Counting millions of orders takes a while and the change feed writes every few seconds, so
    the count trails the shop's writes by at most one recount (`cached_trailing`); `refresh`
    counts now (warming).
    """

    async def load() -> list[StatusCount]:
        async with session_scope() as session:
            await one_core(session)
            rows = await session.execute(
                text(
                    f"SELECT status_id, max(status_name), count(*) FROM {history_view_name('orders')} "
                    "WHERE shop_id = :shop AND status_id IS NOT NULL GROUP BY status_id ORDER BY status_id"
                ),
                {"shop": shop_id},
            )
            return [StatusCount(id=sid, name=name, count=n) for sid, name, n in rows]

    return await cached_trailing(
        f"order-statuses:{shop_id}",
        [shop_tag(shop_id, "orders")],
        load,
        kind="orders",
        dump=lambda items: [i.model_dump() for i in items],
        restore=lambda raw: [StatusCount(**i) for i in raw],
        refresh=refresh,
    )


async def shop_counts(shop_id: int, *, refresh: bool = False) -> ShopCounts:
    """How many orders, customers and products a shop has (the dashboard's tiles); trailing
    writes by at most one recount, like the status counts."""

    async def load() -> ShopCounts:
        counts: dict[str, int] = {}
        async with session_scope() as session:
            await one_core(session)
            for table in ("orders", "customers", "products"):
                counts[table] = (
                    await session.execute(
                        text(f"SELECT count(*) FROM {table} WHERE shop_id = :shop"), {"shop": shop_id}
                    )
                ).scalar_one()
        return ShopCounts(**counts)

    return await cached_trailing(
        f"shop-counts:{shop_id}",
        [shop_tag(shop_id, r) for r in ("orders", "customers", "products")],
        load,
        kind="dashboard",
        dump=lambda value: value.model_dump(),
        restore=lambda raw: ShopCounts(**raw),
        refresh=refresh,
    )


async def warm(shop_id: int) -> list[str]:
    """Recount a shop's hot answers (after an ingest moved their tags); names what it warmed."""
    await order_status_counts(shop_id, refresh=True)
    await shop_counts(shop_id, refresh=True)
    return ["order-statuses", "shop-counts"]


class SyncState(BaseModel):
    resource: str
    last_success_at: datetime | None
    last_error: str | None


class ShopCard(BaseModel):
    """A shop as the shop list shows it (the caller's role is added by the API)."""

    id: int
    eshop_id: int
    name: str
    url: str | None
    status: str
    installed_at: datetime | None
    token_expires_at: datetime | None
    token_refreshed_at: datetime | None
    last_sync_at: datetime | None
    sync: list[SyncState]


async def shops_changed(*shop_ids: int) -> None:
    """After a commit that changed what these shops' cards show (status, name, installation,
    token, sync state): exactly their `info` tags."""
    await invalidate(*(shop_tag(s, INFO) for s in shop_ids))


async def shop_ids(session: AsyncSession) -> list[int]:
    """Every shop's id (an admin's list): one primary-key scan, not cached, so a shop added by
    any path (installation, CLI) is listed at once; the cards are what is cached."""
    return list((await session.execute(select(Shop.id).order_by(Shop.id))).scalars())


async def shop_card(session: AsyncSession, shop_id: int) -> ShopCard | None:
    """One shop's card, cached per shop until a writer of that shop calls `shops_changed`."""

    async def load() -> ShopCard | None:
        shop = await session.get(Shop, shop_id)
        if shop is None:
            return None
        inst = (
            await session.execute(select(Installation).where(Installation.shop_id == shop_id))
        ).scalar_one_or_none()
        cursors = (
            (await session.execute(
                select(SyncCursor).where(SyncCursor.shop_id == shop_id).order_by(SyncCursor.resource)
            )).scalars().all()
        )
        successes = [c.last_success_at for c in cursors if c.last_success_at]
        return ShopCard(
            id=shop.id, eshop_id=shop.eshop_id, name=shop.name, url=shop.url, status=shop.status,
            installed_at=inst.installed_at if inst else None,
            token_expires_at=inst.api_token_expires_at if inst else None,
            token_refreshed_at=inst.api_token_refreshed_at if inst else None,
            last_sync_at=max(successes) if successes else None,
            sync=[SyncState(resource=c.resource, last_success_at=c.last_success_at,
                            last_error=c.last_error) for c in cursors],
        )

    return await cached(
        f"shop-card:{shop_id}", [shop_tag(shop_id, INFO)], load, kind="shops",
        dump=lambda card: card.model_dump(mode="json") if card else None,
        restore=lambda raw: ShopCard.model_validate(raw) if raw else None,
    )


class ProductRow(BaseModel):
    guid: str
    name: str | None
    brand: str | None
    category: str | None
    visibility: str | None
    code: str | None  # the first variant's code
    variants: int
    price_min: Decimal | None
    price_max: Decimal | None


async def product_list(session: AsyncSession, shop_id: int, limit: int, offset: int) -> list[ProductRow]:
    """A page of the shop's products by name, cached until the shop's products change (the
    snapshot ingest and the sync invalidate the `products` tag after each batch)."""

    async def load() -> list[ProductRow]:
        rows = await session.execute(
            text(
                "SELECT p.guid::text, p.name, p.brand, p.default_category, p.visibility, v.code, "
                "coalesce(v.n, 0), v.lo, v.hi FROM products p LEFT JOIN LATERAL ("
                "  SELECT min(code) AS code, count(*) AS n, min(price_with_vat) AS lo, "
                "  max(price_with_vat) AS hi FROM variants "
                "  WHERE shop_id = p.shop_id AND product_guid = p.guid) v ON true "
                "WHERE p.shop_id = :shop AND NOT p.deleted ORDER BY p.name, p.guid LIMIT :limit OFFSET :offset"
            ),
            {"shop": shop_id, "limit": limit, "offset": offset},
        )
        return [
            ProductRow(guid=g, name=n, brand=b, category=c, visibility=vis, code=code, variants=k,
                       price_min=lo, price_max=hi)
            for g, n, b, c, vis, code, k, lo, hi in rows
        ]

    return await cached(
        f"products:{shop_id}:{limit}:{offset}", [shop_tag(shop_id, "products")], load, kind="products",
        dump=lambda items: [i.model_dump(mode="json") for i in items],
        restore=lambda raw: [ProductRow.model_validate(i) for i in raw],
    )
