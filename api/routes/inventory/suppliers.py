"""Suppliers and their offers per variant, which the nightly planning chooses from: listed by
every member of the shop, changed by managers, one at a time or imported from CSV."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response
from pydantic import BaseModel, EmailStr, Field, field_validator

from api.deps import ManagedShop, SessionDep, ShopOfCaller
from api.pagination import Page
from api.problems import Problem
from api.services.inventory import suppliers
from api.services.inventory.suppliers import (
    ImportOut,
    OfferOut,
    PriceBreak,
    RowError,
    SupplierOut,
    check_price_breaks,
)

router = APIRouter(prefix="/api/shops/{shop_id}/suppliers", tags=["suppliers"])

SupplierId = Annotated[int, Path(ge=1)]
Limit = Annotated[int, Query(ge=1, le=500)]
Days = Annotated[Decimal, Field(ge=0, le=999, max_digits=8, decimal_places=2)]
MAX_CSV_BYTES = 5 * 1024 * 1024


class SupplierIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    email: EmailStr | None = None
    currency: str = Field(default="CZK", pattern=r"^[A-Z]{3}$")
    lead_time_days: Days = Decimal(7)  # mean days from ordering to the goods on the shelf
    lead_time_sd_days: Days = Decimal(2)  # how much that varies (standard deviation)
    order_cost: Decimal = Field(default=Decimal(0), ge=0, max_digits=14, decimal_places=2)

    @field_validator("name")
    @classmethod
    def _strip(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value.strip()


class SupplierPatch(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    email: EmailStr | None = None
    currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    lead_time_days: Days | None = None
    lead_time_sd_days: Days | None = None
    order_cost: Decimal | None = Field(default=None, ge=0, max_digits=14, decimal_places=2)


class OfferIn(BaseModel):
    unit_price: Decimal = Field(gt=0, max_digits=14, decimal_places=2)
    moq: Decimal | None = Field(default=None, ge=0, max_digits=14, decimal_places=3)
    pack_size: Decimal | None = Field(default=None, gt=0, max_digits=14, decimal_places=3)
    price_breaks: list[PriceBreak] = Field(default_factory=list, max_length=50)
    lead_time_days: Days | None = None  # None: the supplier's
    lead_time_sd_days: Days | None = None

    @field_validator("price_breaks")
    @classmethod
    def _tiers(cls, value: list[PriceBreak]) -> list[PriceBreak]:
        try:
            check_price_breaks([t.model_dump() for t in value])
        except RowError as error:
            raise ValueError(str(error).removeprefix("price_breaks: ")) from None
        return sorted(value, key=lambda t: t.min_quantity)


@router.get("")
async def list_suppliers(
    shop: ShopOfCaller, session: SessionDep, cursor: str | None = None, limit: Limit = 100
) -> Page[SupplierOut]:
    return await suppliers.suppliers_page(session, shop.id, cursor, limit)


@router.post("", status_code=201)
async def create_supplier(shop: ManagedShop, session: SessionDep, body: SupplierIn) -> SupplierOut:
    """409 when the shop has a supplier of that name."""
    return await suppliers.create_supplier(session, shop.id, body.model_dump())


@router.post("/offers/import")
async def import_offers(shop: ManagedShop, session: SessionDep, request: Request) -> ImportOut:
    """A CSV body (UTF-8, `,` `;` or tab separated, decimal comma accepted) with the header
    `supplier,variant_code,unit_price,moq,pack_size,price_breaks,lead_time_days,
    lead_time_sd_days`; price breaks as `50:90|100:85`. Valid rows are created or replace the
    supplier's offer for the variant; bad rows come back with their line and reason."""
    body = await request.body()
    if len(body) > MAX_CSV_BYTES:
        raise Problem(
            413, "CSV too large", f"at most {MAX_CSV_BYTES // 1024 // 1024} MB per import"
        )
    try:
        content = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Problem(
            422, "Invalid CSV", "body: the file is not UTF-8; save it as CSV UTF-8"
        ) from None
    if not content.strip():
        raise Problem(422, "Invalid CSV", "body: the file is empty")
    return await suppliers.import_offers(session, shop.id, content)


@router.get("/{supplier_id}")
async def get_supplier(
    shop: ShopOfCaller, session: SessionDep, supplier_id: SupplierId
) -> SupplierOut:
    return await suppliers.get_supplier(session, shop.id, supplier_id)


@router.patch("/{supplier_id}")
async def update_supplier(
    shop: ManagedShop, session: SessionDep, supplier_id: SupplierId, body: SupplierPatch
) -> SupplierOut:
    values: dict[str, Any] = body.model_dump(exclude_unset=True)
    for required in ("name", "currency", "lead_time_days", "lead_time_sd_days", "order_cost"):
        if required in values and values[required] is None:
            raise Problem(422, "Invalid request", f"{required}: may be changed, not removed")
    return await suppliers.update_supplier(session, shop.id, supplier_id, values)


@router.delete("/{supplier_id}", status_code=204)
async def delete_supplier(
    shop: ManagedShop, session: SessionDep, supplier_id: SupplierId
) -> Response:
    """Its offers go with it; 409 while it has open purchase orders."""
    await suppliers.delete_supplier(session, shop.id, supplier_id)
    return Response(status_code=204)


@router.get("/{supplier_id}/offers")
async def list_offers(
    shop: ShopOfCaller,
    session: SessionDep,
    supplier_id: SupplierId,
    cursor: str | None = None,
    limit: Limit = 100,
) -> Page[OfferOut]:
    return await suppliers.offers_page(session, shop.id, supplier_id, cursor, limit)


@router.put("/{supplier_id}/offers/{variant_code:path}")
async def put_offer(
    shop: ManagedShop,
    session: SessionDep,
    supplier_id: SupplierId,
    variant_code: str,
    body: OfferIn,
) -> OfferOut:
    """Create or replace the offer; `variant_code` URL-encoded (codes often hold "/")."""
    return await suppliers.put_offer(
        session, shop.id, supplier_id, variant_code, body.model_dump()
    )


@router.delete("/{supplier_id}/offers/{variant_code:path}", status_code=204)
async def delete_offer(
    shop: ManagedShop, session: SessionDep, supplier_id: SupplierId, variant_code: str
) -> Response:
    await suppliers.delete_offer(session, shop.id, supplier_id, variant_code)
    return Response(status_code=204)
