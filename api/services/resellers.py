"""Resellers (B2B): the owner manages them, their price lists and API keys; a reseller's key
reads its shop's catalog at its prices and submits orders that land as ordinary orders with
channel `b2b`.

Keys are hashed like personal API tokens (`api.services.tokens`): SHA-256 stored, the key shown
once. A key opens exactly one reseller, hence one shop and one price list; nothing a key
reaches is looked up by anything but that reseller's shop.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated, Any

import orjson
from pydantic import BaseModel, Field
from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from api.common.params import ShortText
from api.pagination import CodeCursor, Page, decode_cursor, encode_cursor
from api.problems import Problem
from api.security import new_token, token_hash
from db.models import (
    Order,
    OrderItem,
    PriceList,
    PriceListItem,
    Product,
    Reseller,
    ResellerKey,
    ResellerOrder,
    Variant,
)
from db.models.channels import OVERSOLD
from db.stock_reservations import OrderLine, available, reserve_order

KEY_PREFIX = "b2b_"
CENT = Decimal("0.01")
Percent = Annotated[Decimal, Field(ge=0, lt=100, max_digits=5, decimal_places=2)]
Money = Annotated[Decimal, Field(ge=0, le=Decimal("999999999999"), max_digits=14, decimal_places=2)]
Quantity = Annotated[Decimal, Field(gt=0, le=100000, max_digits=14, decimal_places=3)]
Code = Annotated[str, Field(min_length=1, max_length=100)]


# ------------------------------------------------------------------ owner side


class ResellerIn(BaseModel):
    name: Annotated[str, Field(min_length=1, max_length=200)]
    email: Annotated[str, Field(max_length=320)] | None = None
    discount_percent: Percent = Decimal(0)


class KeyOut(BaseModel):
    id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class NewKeyOut(KeyOut):
    key: str  # shown once: only its hash is stored


class ResellerOut(BaseModel):
    id: int
    name: str
    email: str | None
    price_list_id: int
    discount_percent: Decimal
    created_at: datetime
    revoked_at: datetime | None
    keys: list[KeyOut]


class PriceIn(BaseModel):
    variant_code: Code
    price: Money


def _key_out(row: ResellerKey) -> KeyOut:
    return KeyOut(
        id=row.id,
        name=row.name,
        prefix=row.prefix,
        created_at=row.created_at,
        last_used_at=row.last_used_at,
        revoked_at=row.revoked_at,
    )


async def of_shop(session: AsyncSession, shop_id: int) -> list[ResellerOut]:
    """A shop's resellers with their keys, newest first (a shop has tens, not thousands)."""
    rows = (
        await session.execute(
            select(Reseller, PriceList.discount_percent)
            .join(PriceList, PriceList.id == Reseller.price_list_id)
            .where(Reseller.shop_id == shop_id)
            .order_by(Reseller.id.desc())
        )
    ).all()
    ids = [r.id for r, _ in rows]
    keys: dict[int, list[KeyOut]] = {i: [] for i in ids}
    if ids:
        found = await session.execute(
            select(ResellerKey)
            .where(ResellerKey.reseller_id.in_(ids))
            .order_by(ResellerKey.id.desc())
        )
        for key in found.scalars():
            keys[key.reseller_id].append(_key_out(key))
    return [
        ResellerOut(
            id=r.id,
            name=r.name,
            email=r.email,
            price_list_id=r.price_list_id,
            discount_percent=discount,
            created_at=r.created_at,
            revoked_at=r.revoked_at,
            keys=keys[r.id],
        )
        for r, discount in rows
    ]


async def create(session: AsyncSession, shop_id: int, body: ResellerIn) -> ResellerOut:
    """A reseller with its own price list (the discount; per-variant prices added later)."""
    price_list = PriceList(shop_id=shop_id, name=body.name, discount_percent=body.discount_percent)
    session.add(price_list)
    await session.flush()
    reseller = Reseller(
        shop_id=shop_id, price_list_id=price_list.id, name=body.name, email=body.email
    )
    session.add(reseller)
    await session.commit()
    return next(r for r in await of_shop(session, shop_id) if r.id == reseller.id)


async def _reseller(session: AsyncSession, shop_id: int, reseller_id: int) -> Reseller:
    row = await session.get(Reseller, reseller_id)
    # same answer for "missing" and "another shop's", so ids cannot be probed
    if row is None or row.shop_id != shop_id:
        raise Problem(404, "Reseller not found", f"No reseller {reseller_id} in this shop.")
    return row


async def revoke(session: AsyncSession, shop_id: int, reseller_id: int, now: datetime) -> None:
    """Revoke a reseller and every key of theirs (their orders stay)."""
    row = await _reseller(session, shop_id, reseller_id)
    row.revoked_at = row.revoked_at or now
    await session.execute(
        update(ResellerKey)
        .where(ResellerKey.reseller_id == reseller_id, ResellerKey.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    await session.commit()


async def create_key(
    session: AsyncSession, shop_id: int, reseller_id: int, name: str, now: datetime
) -> NewKeyOut:
    reseller = await _reseller(session, shop_id, reseller_id)
    if reseller.revoked_at is not None:
        raise Problem(409, "Reseller revoked", "A revoked reseller cannot get new keys.")
    key = KEY_PREFIX + new_token()
    row = ResellerKey(
        reseller_id=reseller_id,
        name=name,
        prefix=key[:12],
        token_hash=token_hash(key),
        created_at=now,
    )
    session.add(row)
    await session.commit()
    return NewKeyOut(**_key_out(row).model_dump(), key=key)


async def revoke_key(
    session: AsyncSession, shop_id: int, reseller_id: int, key_id: int, now: datetime
) -> None:
    await _reseller(session, shop_id, reseller_id)
    row = await session.get(ResellerKey, key_id)
    if row is None or row.reseller_id != reseller_id:
        raise Problem(404, "Key not found", f"No key {key_id} of reseller {reseller_id}.")
    row.revoked_at = row.revoked_at or now
    await session.commit()


async def set_prices(
    session: AsyncSession, shop_id: int, reseller_id: int, prices: list[PriceIn]
) -> int:
    """Per-variant prices of the reseller's price list (upsert); unknown codes are a 422."""
    reseller = await _reseller(session, shop_id, reseller_id)
    codes = {p.variant_code for p in prices}
    known = set(
        (
            await session.execute(
                select(Variant.code).where(Variant.shop_id == shop_id, Variant.code.in_(codes))
            )
        ).scalars()
    )
    if missing := sorted(codes - known):
        raise Problem(422, "Unknown variants", f"No variants {missing[:10]} in this shop.")
    from sqlalchemy.dialects.postgresql import insert

    stmt = insert(PriceListItem).values(
        [
            {
                "price_list_id": reseller.price_list_id,
                "variant_code": p.variant_code,
                "price": p.price,
            }
            for p in prices
        ]
    )
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=["price_list_id", "variant_code"], set_={"price": stmt.excluded.price}
        )
    )
    await session.commit()
    return len(prices)


# ------------------------------------------------------------------ reseller side


class ResellerPrincipal(BaseModel):
    """Who a B2B request is: one key of one reseller of one shop, with one price list."""

    key_id: int
    key_prefix: str  # with the id, names the key's rate counter in Redis
    reseller_id: int
    reseller_name: str
    reseller_email: str | None
    shop_id: int
    price_list_id: int
    discount_percent: Decimal


async def authenticate(session: AsyncSession, key: str, now: datetime) -> ResellerPrincipal | None:
    """The live key's reseller, or None (unknown, revoked key or reseller)."""
    if not key.startswith(KEY_PREFIX):
        return None
    row = (
        await session.execute(
            select(ResellerKey.id, ResellerKey.prefix, Reseller, PriceList.discount_percent)
            .join(Reseller, Reseller.id == ResellerKey.reseller_id)
            .join(PriceList, PriceList.id == Reseller.price_list_id)
            .where(
                ResellerKey.token_hash == token_hash(key),
                ResellerKey.revoked_at.is_(None),
                Reseller.revoked_at.is_(None),
            )
        )
    ).first()
    if row is None:
        return None
    key_id, prefix, reseller, discount = row
    await session.execute(
        update(ResellerKey).where(ResellerKey.id == key_id).values(last_used_at=now)
    )
    await session.commit()
    return ResellerPrincipal(
        key_id=key_id,
        key_prefix=prefix,
        reseller_id=reseller.id,
        reseller_name=reseller.name,
        reseller_email=reseller.email,
        shop_id=reseller.shop_id,
        price_list_id=reseller.price_list_id,
        discount_percent=discount,
    )


class CatalogItem(BaseModel):
    code: str
    product_guid: str
    name: str
    ean: str | None
    currency: str
    retail_price: Decimal  # the shop's price with VAT
    price: Decimal  # the reseller's price with VAT
    stock: Decimal  # available units (never below 0)


def reseller_price(retail: Decimal, own: Decimal | None, discount: Decimal) -> Decimal:
    """The price list's own price of the variant, else the retail price less the discount."""
    if own is not None:
        return own
    return (retail * (100 - discount) / 100).quantize(CENT, rounding=ROUND_HALF_UP)


def _catalog_query(principal: ResellerPrincipal) -> Any:
    return (
        select(
            Variant.code,
            Variant.product_guid,
            Product.name,
            Variant.name.label("variant_name"),
            Variant.ean,
            Variant.currency,
            Variant.price_with_vat,
            Variant.stock_total,
            Variant.vat_rate,
            PriceListItem.price.label("own_price"),
        )
        .join(
            Product,
            (Product.shop_id == Variant.shop_id) & (Product.guid == Variant.product_guid),
        )
        .outerjoin(
            PriceListItem,
            (PriceListItem.price_list_id == principal.price_list_id)
            & (PriceListItem.variant_code == Variant.code),
        )
        .where(
            Variant.shop_id == principal.shop_id,
            Variant.price_with_vat.is_not(None),
            Product.deleted.is_(False),
            func.coalesce(Product.visibility, "visible") == "visible",
        )
    )


def _item(row: Any, principal: ResellerPrincipal) -> CatalogItem:
    name = f"{row.name} {row.variant_name}".strip() if row.variant_name else row.name
    return CatalogItem(
        code=row.code,
        product_guid=str(row.product_guid),
        name=name,
        ean=row.ean,
        currency=row.currency,
        retail_price=row.price_with_vat,
        price=reseller_price(row.price_with_vat, row.own_price, principal.discount_percent),
        stock=max(row.stock_total or Decimal(0), Decimal(0)),
    )


async def catalog_page(
    session: AsyncSession, principal: ResellerPrincipal, cursor: str | None, limit: int
) -> Page[CatalogItem]:
    """The shop's sellable variants in code order, keyset-paged on the variants' primary key."""
    query = _catalog_query(principal)
    after = decode_cursor(cursor, CodeCursor)
    if after is not None:
        query = query.where(Variant.code > after.code)
    rows = (await session.execute(query.order_by(Variant.code).limit(limit + 1))).all()
    items = [_item(r, principal) for r in rows[:limit]]
    free = await available(session, principal.shop_id, [i.code for i in items])
    items = [i.model_copy(update={"stock": free.get(i.code, i.stock)}) for i in items]  # all channels
    more = len(rows) > limit
    return Page(items=items, next_cursor=encode_cursor({"code": items[-1].code}) if more else None)


class OrderLineIn(BaseModel):
    code: Code
    quantity: Quantity


class OrderIn(BaseModel):
    items: list[OrderLineIn] = Field(min_length=1, max_length=500)
    reference: ShortText | None = None  # the reseller's own order number


class OrderLineOut(BaseModel):
    code: str
    name: str
    quantity: Decimal
    unit_price: Decimal
    price: Decimal


class OrderOut(BaseModel):
    code: str
    channel: str
    created_at: datetime
    currency: str
    total_with_vat: Decimal
    items: list[OrderLineOut]
    replayed: bool = False  # True: this idempotency key's earlier order, nothing new created


def request_hash(body: OrderIn) -> str:
    return hashlib.sha256(orjson.dumps(body.model_dump(mode="json"))).hexdigest()


async def _existing(session: AsyncSession, shop_id: int, code: str, at: datetime) -> OrderOut:
    order = await session.get(Order, (shop_id, code, at))
    assert order is not None  # written in the same transaction as its idempotency row
    items = (
        await session.execute(
            select(OrderItem)
            .where(
                OrderItem.shop_id == shop_id,
                OrderItem.order_code == code,
                OrderItem.created_at == at,
            )
            .order_by(OrderItem.item_id)
        )
    ).scalars()
    return OrderOut(
        code=order.code,
        channel=order.channel,
        created_at=order.created_at,
        currency=order.currency,
        total_with_vat=order.total_with_vat,
        items=[
            OrderLineOut(
                code=i.code or "",
                name=i.name,
                quantity=i.amount,
                unit_price=i.unit_price_with_vat or Decimal(0),
                price=i.price_with_vat,
            )
            for i in items
        ],
        replayed=True,
    )


async def submit_order(
    session: AsyncSession,
    principal: ResellerPrincipal,
    idempotency_key: str,
    body: OrderIn,
    now: datetime,
) -> OrderOut:
    """Create the order, its items and its stock reservation in one transaction.

    The idempotency key is serialised by a transaction-scoped advisory lock, so two concurrent
    submissions with one key create one order; the second returns the first's. The variants'
    rows are locked (FOR UPDATE, in code order so two orders cannot deadlock) before their
    stock is checked and taken, so two orders cannot both take the last unit.
    """
    digest = request_hash(body)
    await session.execute(
        text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))"),
        {"k": f"b2b:{principal.reseller_id}:{idempotency_key}"},
    )
    seen = await session.get(ResellerOrder, (principal.reseller_id, idempotency_key))
    if seen is not None:
        if seen.request_hash != digest:
            raise Problem(
                422,
                "Idempotency key reused",
                "This Idempotency-Key was used for a different order; use a new key per order.",
            )
        out = await _existing(session, seen.shop_id, seen.order_code, seen.order_created_at)
        await session.rollback()
        return out
    wanted: dict[str, Decimal] = {}
    for line in body.items:
        wanted[line.code] = wanted.get(line.code, Decimal(0)) + line.quantity
    rows = {
        r.code: r
        for r in (
            await session.execute(
                _catalog_query(principal)
                .where(Variant.code.in_(sorted(wanted)))
                .order_by(Variant.code)
                .with_for_update(of=Variant)
            )
        ).all()
    }
    if missing := sorted(set(wanted) - set(rows)):
        raise Problem(422, "Unknown variants", f"The catalog has no variants {missing[:10]}.")
    free = await available(session, principal.shop_id, sorted(wanted))  # unified stock
    short = [
        {"code": c, "wanted": str(q), "available": str(free.get(c, Decimal(0)))}
        for c, q in wanted.items()
        if free.get(c, Decimal(0)) < q
    ]
    if short:
        raise Problem(
            409, "Not enough stock", "Some variants have less stock than ordered.", shortages=short
        )
    currencies = {rows[c].currency for c in wanted}
    if len(currencies) > 1:
        raise Problem(422, "Mixed currencies", "One order's variants must share one currency.")
    code = f"B2B-{now:%y%m%d}-{secrets.token_hex(4).upper()}"
    lines: list[OrderLineOut] = []
    for item_id, (variant_code, quantity) in enumerate(wanted.items(), start=1):
        row = rows[variant_code]
        unit = _item(row, principal).price
        price = (unit * quantity).quantize(CENT, rounding=ROUND_HALF_UP)
        lines.append(
            OrderLineOut(
                code=variant_code,
                name=_item(row, principal).name,
                quantity=quantity,
                unit_price=unit,
                price=price,
            )
        )
        session.add(
            OrderItem(
                shop_id=principal.shop_id,
                order_code=code,
                item_id=item_id,
                created_at=now,
                item_type="product",
                product_guid=row.product_guid,
                code=variant_code,
                ean=row.ean,
                name=row.name,
                variant_name=row.variant_name,
                amount=quantity,
                unit_price_with_vat=unit,
                price_with_vat=price,
                vat_rate=row.vat_rate,
            )
        )
    # one available-to-sell figure across channels: a WooCommerce import racing for the same
    # last unit may have won since the check above; then this order is refused whole
    reservation = await reserve_order(
        session, principal.shop_id, "b2b", code, [OrderLine(c, q) for c, q in wanted.items()]
    )
    if oversold := [r.variant_code for r in reservation.lines if r.status == OVERSOLD]:
        raise Problem(
            409, "Not enough stock", "Another channel took the last units meanwhile.",
            shortages=[{"code": c, "wanted": str(wanted[c]), "available": "0"} for c in oversold],
        )
    total = sum((line.price for line in lines), Decimal(0))
    currency = currencies.pop()
    session.add(
        Order(
            shop_id=principal.shop_id,
            code=code,
            created_at=now,
            changed_at=now,
            status_name="new",
            paid=False,
            source_name=f"B2B: {principal.reseller_name}",
            email=principal.reseller_email,
            billing_company=principal.reseller_name,
            currency=currency,
            total_with_vat=total,
            item_count=len(lines),
            channel="b2b",
        )
    )
    session.add(
        ResellerOrder(
            reseller_id=principal.reseller_id,
            idempotency_key=idempotency_key,
            request_hash=digest,
            shop_id=principal.shop_id,
            order_code=code,
            order_created_at=now,
        )
    )
    await session.commit()
    return OrderOut(
        code=code,
        channel="b2b",
        created_at=now,
        currency=currency,
        total_with_vat=total,
        items=lines,
    )


# ------------------------------------------------------------------ rate limit

RATE_WINDOW_SECONDS = 60


async def take_request(redis: Any, key: str, limit: int, now: float) -> int | None:
    """Count one request of a key (`key`: its id and prefix) in its current one-minute window (a Redis counter that
    expires with the window); None when within `limit`, else the seconds until the window ends
    (the Retry-After). Windows are fixed, so a burst at a window's edge may get up to twice
    the limit through in a minute; per-minute fairness, not a hard cap, is the point."""
    window = int(now // RATE_WINDOW_SECONDS)
    counter = f"b2b:rate:{key}:{window}"
    pipe = redis.pipeline()
    pipe.incr(counter)
    pipe.expire(counter, RATE_WINDOW_SECONDS * 2)
    count, _ = await pipe.execute()
    if int(count) <= limit:
        return None
    return max(1, int((window + 1) * RATE_WINDOW_SECONDS - now + 0.999))
