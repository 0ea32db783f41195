"""Suppliers and their offers per variant: what the nightly planning chooses from. Without an
offer a variant is recommended with no supplier and the purchasing MILP has nothing to choose,
so the merchant keeps them here, one by one or as a CSV import.

An offer's lead time overrides its supplier's (NULL: the supplier's). The typed lead times are
only the prior: each supplier and offer is shown with the lead time, spread and on-time rate
learnt from its received purchase orders (activities.inventory.supplier_risk), which the
planning uses (kept on them by the nightly planning, `learnt_at`). `supplier_stock` is what the supplier says it has (0: out of stock). Price breaks are all-units
discounts stored as `[[min_quantity, unit_price], ...]`, the shape the planning reads.
Every query is scoped to the shop the route resolved for the caller.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import CursorResult, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from api.pagination import CodeCursor, Page, cursor_id, decode_cursor, encode_cursor, next_id_cursor
from api.problems import Problem

SUPPLIER_COLUMNS = (
    "id",
    "name",
    "email",
    "currency",
    "lead_time_days",
    "lead_time_sd_days",
    "order_cost",
)
OFFER_FIELDS = (
    "unit_price",
    "moq",
    "pack_size",
    "price_breaks",
    "lead_time_days",
    "lead_time_sd_days",
    "supplier_stock",
)
CSV_COLUMNS = ("supplier", "variant_code", *OFFER_FIELDS)
MAX_IMPORT_ROWS = 50_000


RECORD_COLUMNS = (
    "learnt_lead_time_days",
    "learnt_lead_time_sd_days",
    "on_time_rate",
    "deliveries",
    "late_deliveries",
    "overdue_orders",
    "learnt_at",
)


def _supplier_view(row: Any) -> SupplierOut:
    return SupplierOut.model_validate(
        {**{c: row[c] for c in (*SUPPLIER_COLUMNS, *RECORD_COLUMNS)}, "offers": row["offers"]}
    )


def _offer_view(row: Any) -> OfferOut:
    stored: list[tuple[object, object]] = row["price_breaks"] or []  # [[quantity, price], …]
    breaks = [
        PriceBreak(min_quantity=Decimal(str(q)), unit_price=Decimal(str(p))) for q, p in stored
    ]
    return OfferOut.model_validate(
        {
            "supplier_id": row["supplier_id"],
            "variant_code": row["variant_code"],
            "variant_name": row["variant_name"],
            "unit_price": row["unit_price"],
            "moq": row["moq"],
            "pack_size": row["pack_size"],
            "price_breaks": breaks,
            "lead_time_days": row["lead_time_days"],
            "lead_time_sd_days": row["lead_time_sd_days"],
            "supplier_stock": row["supplier_stock"],
            "updated_at": row["updated_at"],
            **{c: row[c] for c in RECORD_COLUMNS},
        }
    )


SUPPLIER_SELECT = (
    "SELECT s.*, (SELECT count(*) FROM supplier_offers o WHERE o.supplier_id = s.id) AS offers "
    "FROM suppliers s WHERE s.shop_id = :shop "
)


class SupplierOut(BaseModel):
    id: int
    name: str
    email: str | None
    currency: str
    lead_time_days: Decimal
    lead_time_sd_days: Decimal
    order_cost: Decimal
    offers: int  # variants it offers
    # learnt from its purchase orders by the last nightly planning (None: not yet)
    learnt_lead_time_days: float | None = None
    learnt_lead_time_sd_days: float | None = None
    on_time_rate: float | None = None
    deliveries: int | None = None  # received order lines
    late_deliveries: int | None = None  # of those, late
    overdue_orders: int | None = None  # open lines already past their expected day
    learnt_at: datetime | None = None


class PriceBreak(BaseModel):
    min_quantity: Decimal = Field(gt=0, max_digits=14, decimal_places=3)
    unit_price: Decimal = Field(gt=0, max_digits=14, decimal_places=2)  # for every unit


class OfferOut(BaseModel):
    supplier_id: int
    variant_code: str
    variant_name: str | None
    unit_price: Decimal
    moq: Decimal | None
    pack_size: Decimal | None
    price_breaks: list[PriceBreak]
    lead_time_days: Decimal | None
    lead_time_sd_days: Decimal | None
    supplier_stock: Decimal | None = None
    updated_at: datetime
    learnt_lead_time_days: float | None = None
    learnt_lead_time_sd_days: float | None = None
    on_time_rate: float | None = None
    deliveries: int | None = None  # received order lines
    late_deliveries: int | None = None  # of those, late
    overdue_orders: int | None = None  # open lines already past their expected day
    learnt_at: datetime | None = None


class RejectedRow(BaseModel):
    row: int  # line in the file; the header is line 1
    reason: str


class ImportOut(BaseModel):
    imported: int
    created: int
    updated: int
    rejected: list[RejectedRow]


async def suppliers_page(
    session: AsyncSession, shop_id: int, cursor: str | None, limit: int
) -> Page[SupplierOut]:
    """The shop's suppliers, newest first, each with how many variants it offers."""
    params: dict[str, Any] = {"shop": shop_id, "limit": limit + 1}
    where = ""
    after = cursor_id(cursor)
    if after is not None:
        where, params["after"] = "AND s.id < :after ", after
    rows = (
        (
            await session.execute(
                text(SUPPLIER_SELECT + where + "ORDER BY s.id DESC LIMIT :limit"), params
            )
        )
        .mappings()
        .all()
    )
    return Page[SupplierOut](
        items=[_supplier_view(r) for r in rows[:limit]],
        next_cursor=next_id_cursor(rows, limit),
    )


async def get_supplier(session: AsyncSession, shop_id: int, supplier_id: int) -> SupplierOut:
    row = (
        (
            await session.execute(
                text(SUPPLIER_SELECT + "AND s.id = :id"), {"shop": shop_id, "id": supplier_id}
            )
        )
        .mappings()
        .first()
    )
    if row is None:
        raise Problem(404, "Supplier not found", f"No supplier {supplier_id} in this shop.")
    return _supplier_view(row)


def _duplicate_name(name: str) -> Problem:
    return Problem(
        409,
        "Supplier exists",
        f"name: this shop already has a supplier named {name!r}; edit that one instead",
    )


async def create_supplier(
    session: AsyncSession, shop_id: int, values: dict[str, Any]
) -> SupplierOut:
    """A new supplier; its name is unique in the shop (409 otherwise)."""
    try:
        supplier_id = (
            await session.execute(
                text(
                    "INSERT INTO suppliers (shop_id, name, email, currency, lead_time_days, "
                    "lead_time_sd_days, order_cost) VALUES (:shop, :name, :email, :currency, "
                    ":lead_time_days, :lead_time_sd_days, :order_cost) RETURNING id"
                ),
                {"shop": shop_id, **values},
            )
        ).scalar_one()
        await session.commit()
    except IntegrityError:
        await session.rollback()
        raise _duplicate_name(values["name"]) from None
    return await get_supplier(session, shop_id, int(supplier_id))


async def update_supplier(
    session: AsyncSession, shop_id: int, supplier_id: int, values: dict[str, Any]
) -> SupplierOut:
    """Change the given fields only."""
    await get_supplier(session, shop_id, supplier_id)
    if values:
        sets = ", ".join(f"{name} = :{name}" for name in values)
        try:
            await session.execute(
                text(f"UPDATE suppliers SET {sets} WHERE id = :id AND shop_id = :shop"),
                {"id": supplier_id, "shop": shop_id, **values},
            )
            await session.commit()
        except IntegrityError:
            await session.rollback()
            raise _duplicate_name(values.get("name", "")) from None
    return await get_supplier(session, shop_id, supplier_id)


async def delete_supplier(session: AsyncSession, shop_id: int, supplier_id: int) -> None:
    """Delete a supplier and its offers. One with open purchase orders stays (409): the orders
    still have to be received or cancelled, and they name it."""
    await get_supplier(session, shop_id, supplier_id)
    open_orders = list(
        (
            await session.execute(
                text(
                    "SELECT id FROM purchase_orders WHERE shop_id = :shop AND supplier_id = :id "
                    "AND status = 'open' ORDER BY id"
                ),
                {"shop": shop_id, "id": supplier_id},
            )
        ).scalars()
    )
    if open_orders:
        raise Problem(
            409,
            "Supplier has open orders",
            f"supplier_id: purchase orders {', '.join(map(str, open_orders))} from this supplier "
            "are open; receive or cancel them first",
            purchase_order_ids=open_orders,
        )
    await session.execute(
        text("DELETE FROM suppliers WHERE id = :id AND shop_id = :shop"),
        {"id": supplier_id, "shop": shop_id},
    )
    await session.commit()


OFFER_SELECT = (
    "SELECT o.*, v.name AS variant_name FROM supplier_offers o "
    "LEFT JOIN variants v ON v.shop_id = o.shop_id AND v.code = o.variant_code "
    "WHERE o.shop_id = :shop AND o.supplier_id = :supplier "
)


async def offers_page(
    session: AsyncSession, shop_id: int, supplier_id: int, cursor: str | None, limit: int
) -> Page[OfferOut]:
    """One supplier's offers by variant code (keyset on the code), with their delivery record."""
    await get_supplier(session, shop_id, supplier_id)
    params: dict[str, Any] = {"shop": shop_id, "supplier": supplier_id, "limit": limit + 1}
    where = ""
    after = decode_cursor(cursor, CodeCursor)
    if after is not None:
        where, params["after"] = "AND o.variant_code > :after ", after.code
    rows = (
        (
            await session.execute(
                text(OFFER_SELECT + where + "ORDER BY o.variant_code LIMIT :limit"), params
            )
        )
        .mappings()
        .all()
    )
    more = len(rows) > limit
    return Page[OfferOut](
        items=[_offer_view(r) for r in rows[:limit]],
        next_cursor=encode_cursor({"code": rows[limit - 1]["variant_code"]}) if more else None,
    )


def _stored_breaks(breaks: list[dict[str, Any]] | None) -> list[list[float]] | None:
    if not breaks:
        return None
    return [[float(b["min_quantity"]), float(b["unit_price"])] for b in breaks]


async def _known_variants(session: AsyncSession, shop_id: int, codes: list[str]) -> set[str]:
    return set(
        (
            await session.execute(
                text("SELECT code FROM variants WHERE shop_id = :shop AND code = ANY(:codes)"),
                {"shop": shop_id, "codes": codes},
            )
        ).scalars()
    )


UPSERT_OFFER = (
    "INSERT INTO supplier_offers (shop_id, supplier_id, variant_code, unit_price, moq, pack_size, "
    "price_breaks, lead_time_days, lead_time_sd_days, supplier_stock, updated_at) VALUES (:shop, "
    ":supplier, :code, :unit_price, :moq, :pack_size, CAST(:price_breaks AS jsonb), "
    ":lead_time_days, :lead_time_sd_days, :supplier_stock, now()) "
    "ON CONFLICT (supplier_id, variant_code) DO UPDATE SET "
    "unit_price = excluded.unit_price, moq = excluded.moq, pack_size = excluded.pack_size, "
    "price_breaks = excluded.price_breaks, lead_time_days = excluded.lead_time_days, "
    "lead_time_sd_days = excluded.lead_time_sd_days, supplier_stock = excluded.supplier_stock, "
    "updated_at = now() "
    "RETURNING (xmax = 0) AS created"
)


def _offer_params(
    shop_id: int, supplier_id: int, code: str, offer: dict[str, Any]
) -> dict[str, Any]:
    breaks = _stored_breaks(offer.get("price_breaks"))
    return {
        "shop": shop_id,
        "supplier": supplier_id,
        "code": code,
        "unit_price": offer["unit_price"],
        "moq": offer.get("moq"),
        "pack_size": offer.get("pack_size"),
        "price_breaks": None if breaks is None else json.dumps(breaks),
        "lead_time_days": offer.get("lead_time_days"),
        "lead_time_sd_days": offer.get("lead_time_sd_days"),
        "supplier_stock": offer.get("supplier_stock"),
    }


async def put_offer(
    session: AsyncSession, shop_id: int, supplier_id: int, code: str, offer: dict[str, Any]
) -> OfferOut:
    """Create or replace the supplier's offer for one variant of the shop's catalogue."""
    await get_supplier(session, shop_id, supplier_id)
    if code not in await _known_variants(session, shop_id, [code]):
        raise Problem(422, "Unknown variant", f"variant_code: no variant {code!r} in this shop")
    await session.execute(text(UPSERT_OFFER), _offer_params(shop_id, supplier_id, code, offer))
    await session.commit()
    row = (
        (
            await session.execute(
                text(OFFER_SELECT + "AND o.variant_code = :code"),
                {"shop": shop_id, "supplier": supplier_id, "code": code},
            )
        )
        .mappings()
        .one()
    )
    return _offer_view(row)


async def delete_offer(session: AsyncSession, shop_id: int, supplier_id: int, code: str) -> None:
    await get_supplier(session, shop_id, supplier_id)
    deleted = await session.execute(
        text(
            "DELETE FROM supplier_offers WHERE shop_id = :shop AND supplier_id = :supplier "
            "AND variant_code = :code"
        ),
        {"shop": shop_id, "supplier": supplier_id, "code": code},
    )
    await session.commit()
    assert isinstance(deleted, CursorResult)  # a DELETE answers with a cursor result
    if deleted.rowcount == 0:
        raise Problem(404, "Offer not found", f"Supplier {supplier_id} has no offer for {code!r}.")


# --------------------------------------------------------------------------- CSV import


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    rejected: list[RejectedRow] = field(default_factory=list[RejectedRow])

    def view(self) -> ImportOut:
        return ImportOut(
            imported=self.created + self.updated,
            created=self.created,
            updated=self.updated,
            rejected=self.rejected,
        )


class RowError(ValueError):
    """One CSV row's fault, in words the merchant can act on."""


def _number(raw: str, column: str, *, positive: bool = False) -> Decimal | None:
    """A decimal from a spreadsheet cell: empty is None, a decimal comma is accepted."""
    cell = raw.strip().replace(" ", "").replace("\u00a0", "")
    if not cell:
        return None
    if "," in cell and "." not in cell:
        cell = cell.replace(",", ".")
    try:
        value = Decimal(cell)
    except InvalidOperation:
        raise RowError(f"{column}: {raw!r} is not a number") from None
    if not value.is_finite() or value < 0 or (positive and value == 0):
        raise RowError(f"{column}: {raw!r} must be {'above' if positive else 'at least'} 0")
    return value


def _price_breaks(raw: str) -> list[dict[str, Decimal]] | None:
    """`50:90|100:85` (min quantity : unit price, tiers by `|`; `;` when the file is
    comma-separated)."""
    cell = raw.strip()
    if not cell:
        return None
    tiers: list[dict[str, Any]] = []
    for part in cell.replace(";", "|").split("|"):
        if not part.strip():
            continue
        quantity, sep, price = part.partition(":")
        if not sep:
            raise RowError(f"price_breaks: {part.strip()!r} is not min_quantity:unit_price")
        tiers.append(
            {
                "min_quantity": _number(quantity, "price_breaks", positive=True),
                "unit_price": _number(price, "price_breaks", positive=True),
            }
        )
    return check_price_breaks(tiers)


def check_price_breaks(tiers: list[dict[str, Any]]) -> list[dict[str, Any]] | None:
    """Tiers sorted by quantity, each threshold once (a repeated one is ambiguous)."""
    if not tiers:
        return None
    ordered = sorted(tiers, key=lambda t: t["min_quantity"])
    thresholds = [t["min_quantity"] for t in ordered]
    if len(set(thresholds)) != len(thresholds):
        raise RowError("price_breaks: a minimum quantity is given twice")
    return ordered


def _parse_row(row: dict[str, str]) -> tuple[str, str, dict[str, Any]]:
    supplier = (row.get("supplier") or "").strip()
    code = (row.get("variant_code") or "").strip()
    if not supplier:
        raise RowError("supplier: empty")
    if not code:
        raise RowError("variant_code: empty")
    price = _number(row.get("unit_price") or "", "unit_price", positive=True)
    if price is None:
        raise RowError("unit_price: empty")
    if price != price.quantize(Decimal("0.01")):
        raise RowError(f"unit_price: {price} has more than 2 decimals")
    offer = {
        "unit_price": price,
        "moq": _number(row.get("moq") or "", "moq"),
        "pack_size": _number(row.get("pack_size") or "", "pack_size", positive=True),
        "price_breaks": _price_breaks(row.get("price_breaks") or ""),
        "lead_time_days": _number(row.get("lead_time_days") or "", "lead_time_days"),
        "lead_time_sd_days": _number(row.get("lead_time_sd_days") or "", "lead_time_sd_days"),
        "supplier_stock": _number(row.get("supplier_stock") or "", "supplier_stock"),
    }
    return supplier, code, offer


def _reader(content: str) -> csv.DictReader[str]:
    first = content.split("\n", 1)[0]
    delimiter = max((";", ",", "\t"), key=first.count)
    return csv.DictReader(io.StringIO(content), delimiter=delimiter)


async def import_offers(session: AsyncSession, shop_id: int, content: str) -> ImportOut:
    """Upsert the valid rows of a CSV of offers; every bad row is reported by its line number
    in the file (the header is line 1) with the reason, and the good ones are kept."""
    reader = _reader(content)
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in ("supplier", "variant_code", "unit_price") if c not in header]
    if missing:
        raise Problem(
            422,
            "Invalid CSV",
            f"header: missing column {', '.join(missing)}; expected {','.join(CSV_COLUMNS)}",
        )
    reader.fieldnames = header
    suppliers = {
        name.casefold(): sid
        for sid, name in (
            await session.execute(
                text("SELECT id, name FROM suppliers WHERE shop_id = :shop"), {"shop": shop_id}
            )
        ).all()
    }
    result = ImportResult()
    parsed: list[tuple[int, int, str, dict[str, Any]]] = []
    seen: dict[tuple[int, str], int] = {}
    for count, row in enumerate(reader, start=1):
        line = reader.line_num  # the file's line (blank lines are skipped, not counted as rows)
        if count > MAX_IMPORT_ROWS:
            raise Problem(413, "CSV too long", f"at most {MAX_IMPORT_ROWS} rows per import")
        if not any((v or "").strip() for v in row.values() if isinstance(v, str)):
            continue  # a blank line
        try:
            name, code, offer = _parse_row(row)
            supplier_id = suppliers.get(name.casefold())
            if supplier_id is None:
                raise RowError(f"supplier: no supplier {name!r} in this shop; add it first")
            if (supplier_id, code) in seen:
                raise RowError(f"duplicate of line {seen[(supplier_id, code)]}")
        except RowError as error:
            result.rejected.append(RejectedRow(row=line, reason=str(error)))
            continue
        seen[(supplier_id, code)] = line
        parsed.append((line, supplier_id, code, offer))
    known = await _known_variants(session, shop_id, sorted({p[2] for p in parsed}))
    for line, supplier_id, code, offer in parsed:
        if code not in known:
            result.rejected.append(
                RejectedRow(row=line, reason=f"variant_code: no variant {code!r} in this shop")
            )
            continue
        created = (
            await session.execute(
                text(UPSERT_OFFER), _offer_params(shop_id, supplier_id, code, offer)
            )
        ).scalar_one()
        if created:
            result.created += 1
        else:
            result.updated += 1
    await session.commit()
    result.rejected.sort(key=lambda r: r.row)
    return result.view()
