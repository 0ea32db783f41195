"""Unified stock across channels: reserve an order's units, release them, read what is left.

Available to sell per variant = on hand at the stock master (Shoptet's `variants.stock_total`,
which already counts Shoptet's own orders) − units reserved by other channels' orders. A
reservation locks the variant's `channel_stock` row (`SELECT … FOR UPDATE`) inside the caller's
transaction, the one that imports the order, so two channels racing for the last unit are
serialised: the first reserves it, the second finds nothing left and its line is recorded as
`oversold` with a notification, never silently sold twice. Variant rows are locked in code
order, so two multi-line orders cannot deadlock. Reserving an order twice is a no-op (one row
per order and variant), so an at-least-once import stays exactly-once for stock.

Callers: the channel order import (activities/channels) and the reseller order submission.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from pydantic import BaseModel
from sqlalchemy import func, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import ChannelStock, StockReservation, Variant
from db.models.channels import OVERSOLD, RELEASED, RESERVED
from db.notify import cs_number, notify

ZERO = Decimal(0)


@dataclass(frozen=True)
class OrderLine:
    variant_code: str
    quantity: Decimal


class LineReservation(BaseModel):
    variant_code: str
    quantity: Decimal
    status: str  # reserved | oversold
    available_before: Decimal


class OrderReservation(BaseModel):
    order_code: str
    channel: str
    lines: list[LineReservation]
    already_reserved: bool = False

    @property
    def oversold(self) -> bool:
        return any(line.status == OVERSOLD for line in self.lines)


def _merge(lines: Iterable[OrderLine]) -> list[OrderLine]:
    """One line per variant (an order may list a SKU twice), in lock order."""
    total: dict[str, Decimal] = {}
    for line in lines:
        if line.quantity > 0 and line.variant_code:
            total[line.variant_code] = total.get(line.variant_code, ZERO) + line.quantity
    return [OrderLine(code, total[code]) for code in sorted(total)]


async def _lock(session: AsyncSession, shop_id: int, code: str) -> tuple[Decimal, Decimal]:
    """Lock the variant's stock row (made on first use) and return (on hand, reserved)."""
    await session.execute(
        insert(ChannelStock)
        .values(shop_id=shop_id, variant_code=code)
        .on_conflict_do_nothing(index_elements=["shop_id", "variant_code"])
    )
    reserved = (
        await session.execute(
            select(ChannelStock.reserved)
            .where(ChannelStock.shop_id == shop_id, ChannelStock.variant_code == code)
            .with_for_update()
        )
    ).scalar_one()
    on_hand = (
        await session.execute(
            select(Variant.stock_total).where(Variant.shop_id == shop_id, Variant.code == code)
        )
    ).scalar_one_or_none()
    return (on_hand or ZERO), reserved


async def reserve_order(
    session: AsyncSession, shop_id: int, channel: str, order_code: str, lines: Sequence[OrderLine]
) -> OrderReservation:
    """Reserve every line of one order in the caller's transaction (see the module docstring)."""
    existing = (
        await session.execute(
            select(StockReservation).where(
                StockReservation.shop_id == shop_id,
                StockReservation.channel == channel,
                StockReservation.order_code == order_code,
            )
        )
    ).scalars().all()
    if existing:
        return OrderReservation(
            order_code=order_code, channel=channel, already_reserved=True,
            lines=[
                LineReservation(
                    variant_code=r.variant_code, quantity=r.quantity, status=r.status,
                    available_before=r.available_before,
                )
                for r in existing
            ],
        )
    result = OrderReservation(order_code=order_code, channel=channel, lines=[])
    for line in _merge(lines):
        on_hand, reserved = await _lock(session, shop_id, line.variant_code)
        available = on_hand - reserved
        status = RESERVED if available >= line.quantity else OVERSOLD
        if status == RESERVED:
            await session.execute(
                update(ChannelStock)
                .where(
                    ChannelStock.shop_id == shop_id, ChannelStock.variant_code == line.variant_code
                )
                .values(
                    reserved=ChannelStock.reserved + line.quantity, on_hand=on_hand,
                    updated_at=func.now(),
                )
            )
        session.add(
            StockReservation(
                shop_id=shop_id, channel=channel, order_code=order_code,
                variant_code=line.variant_code, quantity=line.quantity, status=status,
                available_before=available,
            )
        )
        result.lines.append(
            LineReservation(
                variant_code=line.variant_code, quantity=line.quantity, status=status,
                available_before=available,
            )
        )
    if result.oversold:
        short = [line for line in result.lines if line.status == OVERSOLD]
        await notify(
            session, shop_id=shop_id, level="warning", kind="channels.oversold",
            title=f"Order {order_code} from {channel} is oversold",
            title_cs=f"Objednávka {order_code} z kanálu {channel} je přeprodaná",
            body="Not enough stock left for: "
            + ", ".join(
                f"{s.variant_code} (ordered {s.quantity}, available {s.available_before})"
                for s in short
            ),
            body_cs="Nezbývá dost zásob pro: "
            + ", ".join(
                f"{s.variant_code} (objednáno {cs_number(float(s.quantity), 3)}, "
                f"k dispozici {cs_number(float(s.available_before), 3)})"
                for s in short
            ),
            data={
                "channel": channel, "order_code": order_code,
                "variants": [s.variant_code for s in short],
            },
        )
    await session.flush()
    return result


async def release_order(session: AsyncSession, shop_id: int, channel: str, order_code: str) -> int:
    """Give an order's reserved units back (cancelled, refunded or fulfilled); returns the lines
    released. Idempotent: released lines stay released."""
    rows = (
        await session.execute(
            select(StockReservation)
            .where(
                StockReservation.shop_id == shop_id,
                StockReservation.channel == channel,
                StockReservation.order_code == order_code,
                StockReservation.status.in_((RESERVED, OVERSOLD)),
            )
            .order_by(StockReservation.variant_code)
        )
    ).scalars().all()
    for row in rows:
        if row.status == RESERVED:
            await _lock(session, shop_id, row.variant_code)
            await session.execute(
                update(ChannelStock)
                .where(
                    ChannelStock.shop_id == shop_id, ChannelStock.variant_code == row.variant_code
                )
                .values(reserved=ChannelStock.reserved - row.quantity, updated_at=func.now())
            )
        row.status = RELEASED
        row.released_at = func.now()
    await session.flush()
    return len(rows)


AVAILABLE_SQL = text(
    "SELECT v.code, COALESCE(v.stock_total, 0) AS on_hand, COALESCE(c.reserved, 0) AS reserved "
    "FROM variants v LEFT JOIN channel_stock c ON c.shop_id = v.shop_id AND c.variant_code = v.code "
    "WHERE v.shop_id = :shop AND v.code = ANY(:codes)"
)


async def available(session: AsyncSession, shop_id: int, codes: Sequence[str]) -> dict[str, Decimal]:
    """Available to sell (never below zero) of the given variants; unknown variants are absent."""
    rows = (await session.execute(AVAILABLE_SQL, {"shop": shop_id, "codes": list(codes)})).all()
    return {code: max(ZERO, on_hand - reserved) for code, on_hand, reserved in rows}
