"""Two channels ordering the last unit at the same moment: exactly one reserves it, the other is
flagged oversold with a notification (real PostgreSQL, two concurrent transactions)."""

from __future__ import annotations

import asyncio
from decimal import Decimal

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from db.engine import session_scope
from db.models import Notification, StockReservation, Variant
from db.models.channels import B2B, OVERSOLD, RESERVED, WOOCOMMERCE
from db.stock_reservations import OrderLine, available, reserve_order
from tests.support import MakeShop


def _variant(db_session: Session, shop_id: int, code: str, stock: int) -> None:
    db_session.add(
        Variant(
            shop_id=shop_id, code=code, product_guid="5f4c9a3e-1111-4e2b-9a64-0c3c1a2b3c4d",
            stock_total=Decimal(stock),
        )
    )
    db_session.commit()


async def _order(shop_id: int, channel: str, code: str, go: asyncio.Event) -> str:
    async with session_scope() as session:
        await session.execute(text("SELECT 1"))  # a transaction open before the race starts
        await go.wait()
        result = await reserve_order(
            session, shop_id, channel, code, [OrderLine("TRIKO-M", Decimal(1))]
        )
        await asyncio.sleep(0)  # let the other transaction reach its lock while this one holds it
        return result.lines[0].status


async def test_last_unit_is_reserved_once_and_the_other_order_is_flagged(
    make_shop: MakeShop, db_session: Session
) -> None:
    shop = make_shop()
    _variant(db_session, shop.id, "TRIKO-M", 1)
    go = asyncio.Event()
    tasks = [
        asyncio.create_task(_order(shop.id, WOOCOMMERCE, "wc1-501", go)),
        asyncio.create_task(_order(shop.id, B2B, "b2b-77", go)),
    ]
    await asyncio.sleep(0)
    go.set()
    statuses = sorted(await asyncio.gather(*tasks))
    assert statuses == [OVERSOLD, RESERVED]

    rows = db_session.scalars(
        select(StockReservation).where(StockReservation.shop_id == shop.id)
    ).all()
    assert sorted(r.status for r in rows) == [OVERSOLD, RESERVED]
    flagged = next(r for r in rows if r.status == OVERSOLD)
    assert flagged.available_before == 0
    notes = db_session.scalars(
        select(Notification).where(
            Notification.shop_id == shop.id, Notification.kind == "channels.oversold"
        )
    ).all()
    assert [n.data["order_code"] for n in notes] == [flagged.order_code]
    async with session_scope() as session:
        assert await available(session, shop.id, ["TRIKO-M"]) == {"TRIKO-M": Decimal(0)}


async def test_reserving_an_order_again_changes_nothing(
    make_shop: MakeShop, db_session: Session
) -> None:
    shop = make_shop()
    _variant(db_session, shop.id, "MIKINA-L", 5)
    lines = [OrderLine("MIKINA-L", Decimal(2)), OrderLine("MIKINA-L", Decimal(1))]
    for _ in range(2):
        async with session_scope() as session:
            await reserve_order(session, shop.id, WOOCOMMERCE, "wc1-9", lines)
    async with session_scope() as session:
        assert await available(session, shop.id, ["MIKINA-L"]) == {"MIKINA-L": Decimal(2)}
