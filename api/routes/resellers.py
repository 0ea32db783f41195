"""Resellers: the owner's routes under /api/shops/{shop_id}/resellers, and the reseller (B2B)
API under /api/b2b/v1, where the caller is a reseller's API key (Bearer), never a user."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response
from pydantic import BaseModel, Field

from api.common.params import BigIntId
from api.deps import ROLE_RANK, CurrentCaller, SessionDep, ShopOfCaller
from api.pagination import Page
from api.problems import Problem
from api.services import resellers
from api.services.resellers import (
    CatalogItem,
    NewKeyOut,
    OrderIn,
    OrderOut,
    PriceIn,
    ResellerIn,
    ResellerOut,
    ResellerPrincipal,
)
from db.config import get_settings
from db.models import Shop
from db.redis_client import redis_client

router = APIRouter(tags=["resellers"])
b2b = APIRouter(prefix="/api/b2b/v1", tags=["b2b"])

IdempotencyKey = Annotated[
    str, Header(alias="Idempotency-Key", min_length=8, max_length=200, pattern=r"^[\x21-\x7e]+$")
]


def _now() -> datetime:
    return datetime.now(UTC)


def _clock() -> float:
    """The rate limit's clock (tests override this dependency to stand in a window)."""
    return time.time()


Clock = Annotated[float, Depends(_clock)]


async def _owned_shop(caller: CurrentCaller, shop: ShopOfCaller) -> Shop:
    if ROLE_RANK.get(caller.role_in(shop.id) or "", -1) < ROLE_RANK["owner"]:
        raise Problem(403, "Forbidden", "Managing resellers and their keys needs the owner role.")
    return shop


OwnedShop = Annotated[Shop, Depends(_owned_shop)]


class KeyIn(BaseModel):
    name: Annotated[str, Field(min_length=1, max_length=100)] = "API key"


class PricesIn(BaseModel):
    prices: list[PriceIn] = Field(min_length=1, max_length=1000)


@router.get("/api/shops/{shop_id}/resellers")
async def list_resellers(shop: OwnedShop, session: SessionDep) -> list[ResellerOut]:
    return await resellers.of_shop(session, shop.id)


@router.post("/api/shops/{shop_id}/resellers", status_code=201)
async def create_reseller(shop: OwnedShop, session: SessionDep, body: ResellerIn) -> ResellerOut:
    return await resellers.create(session, shop.id, body)


@router.delete("/api/shops/{shop_id}/resellers/{reseller_id}", status_code=204)
async def revoke_reseller(
    shop: OwnedShop, session: SessionDep, reseller_id: Annotated[BigIntId, Path()]
) -> None:
    await resellers.revoke(session, shop.id, reseller_id, _now())


@router.post("/api/shops/{shop_id}/resellers/{reseller_id}/keys", status_code=201)
async def create_reseller_key(
    shop: OwnedShop, session: SessionDep, reseller_id: Annotated[BigIntId, Path()], body: KeyIn
) -> NewKeyOut:
    return await resellers.create_key(session, shop.id, reseller_id, body.name, _now())


@router.delete("/api/shops/{shop_id}/resellers/{reseller_id}/keys/{key_id}", status_code=204)
async def revoke_reseller_key(
    shop: OwnedShop,
    session: SessionDep,
    reseller_id: Annotated[BigIntId, Path()],
    key_id: Annotated[BigIntId, Path()],
) -> None:
    await resellers.revoke_key(session, shop.id, reseller_id, key_id, _now())


@router.put("/api/shops/{shop_id}/resellers/{reseller_id}/prices")
async def set_reseller_prices(
    shop: OwnedShop, session: SessionDep, reseller_id: Annotated[BigIntId, Path()], body: PricesIn
) -> dict[str, int]:
    return {"saved": await resellers.set_prices(session, shop.id, reseller_id, body.prices)}


async def _reseller(
    request: Request, response: Response, session: SessionDep, clock: Clock
) -> ResellerPrincipal:
    auth = request.headers.get("authorization", "")
    key = auth[7:].strip() if auth.lower().startswith("bearer ") else ""
    principal = await resellers.authenticate(session, key, _now()) if key else None
    if principal is None:
        raise Problem(
            401,
            "Invalid API key",
            "Send your reseller API key as `Authorization: Bearer b2b_…`; ask the shop for a new "
            "one if it was revoked.",
            headers={"WWW-Authenticate": "Bearer"},
        )
    limit = get_settings().b2b_rate_limit_per_minute
    counter = f"{principal.key_id}:{principal.key_prefix}"
    retry_after = await resellers.take_request(redis_client(), counter, limit, clock)
    if retry_after is not None:
        raise Problem(
            429,
            "Too many requests",
            f"This key may make {limit} requests a minute; retry after {retry_after} s.",
            headers={"Retry-After": str(retry_after)},
        )
    response.headers["X-RateLimit-Limit"] = str(limit)
    return principal


ResellerCaller = Annotated[ResellerPrincipal, Depends(_reseller)]


@b2b.get("/catalog")
async def catalog(
    principal: ResellerCaller,
    session: SessionDep,
    cursor: Annotated[str | None, Query(max_length=400)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> Page[CatalogItem]:
    return await resellers.catalog_page(session, principal, cursor, limit)


@b2b.post("/orders", status_code=201)
async def submit_order(
    principal: ResellerCaller,
    session: SessionDep,
    idempotency_key: IdempotencyKey,
    body: OrderIn,
    response: Response,
) -> OrderOut:
    order = await resellers.submit_order(session, principal, idempotency_key, body, _now())
    if order.replayed:
        response.status_code = 200
        response.headers["Idempotent-Replayed"] = "true"
    return order
