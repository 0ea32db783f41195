"""Named FastAPI dependencies: the database session, the caller and their shops, Temporal.

Every route that takes a shop goes through `ShopOfCaller`, so scoping to the caller's shops
is written once, here, and never per route.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Path, Request
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client

from api.common.params import BigIntId
from api.problems import Problem
from api.security import token_hash
from api.services.signin import SigninThrottle
from db.config import get_settings
from db.engine import session_factory
from db.models import ApiToken, Shop, ShopMembership, User, UserSession
from db.redis_client import redis_client
from infra.temporal_client import connect

SESSION_COOKIE = "shopops_session"
ROLE_RANK = {"viewer": 0, "manager": 1, "owner": 2}


async def _session() -> AsyncIterator[AsyncSession]:
    async with session_factory()() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(_session)]


@dataclass(frozen=True)
class Caller:
    user: User
    memberships: dict[int, str] = field(default_factory=dict)  # shop_id -> role

    @property
    def is_admin(self) -> bool:
        return self.user.role == "admin"

    def role_in(self, shop_id: int) -> str | None:
        return "owner" if self.is_admin else self.memberships.get(shop_id)

    def shop_filter(self) -> list[int] | None:
        """Shop ids the caller may read, or None for an admin (all)."""
        return None if self.is_admin else list(self.memberships)


@dataclass(frozen=True)
class Actor:
    """The caller in plain values, left on the request for the middleware that audits admin
    actions (the ORM row belongs to the request's session)."""

    user_id: int
    email: str
    is_admin: bool


async def _user_from_request(request: Request, session: AsyncSession) -> User | None:
    now = datetime.now(UTC)
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        digest = token_hash(auth[7:].strip())
        row = (
            await session.execute(
                select(User, ApiToken.id)
                .join(ApiToken, ApiToken.user_id == User.id)
                .where(ApiToken.token_hash == digest, ApiToken.revoked_at.is_(None))
                .where((ApiToken.expires_at.is_(None)) | (ApiToken.expires_at > now))
            )
        ).first()
        if row:
            await session.execute(
                update(ApiToken).where(ApiToken.id == row[1]).values(last_used_at=now)
            )
            await session.commit()
            return row[0]
        return None
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        return (
            await session.execute(
                select(User)
                .join(UserSession, UserSession.user_id == User.id)
                .where(UserSession.token_hash == token_hash(cookie), UserSession.expires_at > now)
            )
        ).scalar_one_or_none()
    return None


async def _caller(request: Request, session: SessionDep) -> Caller:
    user = await _user_from_request(request, session)
    if user is None or not user.is_active:
        raise Problem(401, "Not signed in", "Sign in, or send a valid API token as a Bearer token.")
    rows = await session.execute(
        select(ShopMembership.shop_id, ShopMembership.role).where(ShopMembership.user_id == user.id)
    )
    caller = Caller(user=user, memberships={sid: role for sid, role in rows})
    request.state.caller = caller
    request.state.actor = Actor(user.id, user.email, caller.is_admin)
    return caller


CurrentCaller = Annotated[Caller, Depends(_caller)]


async def _admin(caller: CurrentCaller) -> Caller:
    if not caller.is_admin:
        raise Problem(403, "Forbidden", "This page needs the admin role.")
    return caller


AdminCaller = Annotated[Caller, Depends(_admin)]


async def _shop(
    caller: CurrentCaller, session: SessionDep, shop_id: Annotated[BigIntId, Path()]
) -> Shop:
    # Same answer for "missing" and "not yours", so shop ids cannot be probed.
    if caller.role_in(shop_id) is None:
        raise Problem(404, "Shop not found", f"No shop {shop_id} among your shops.")
    shop = await session.get(Shop, shop_id)
    if shop is None:
        raise Problem(404, "Shop not found", f"No shop {shop_id} among your shops.")
    return shop


ShopOfCaller = Annotated[Shop, Depends(_shop)]


async def _managed_shop(caller: CurrentCaller, shop: ShopOfCaller) -> Shop:
    if ROLE_RANK.get(caller.role_in(shop.id) or "", -1) < ROLE_RANK["manager"]:
        raise Problem(
            403, "Forbidden", "Starting jobs and changing settings needs the manager role."
        )
    return shop


ManagedShop = Annotated[Shop, Depends(_managed_shop)]


async def _owned_shop(caller: CurrentCaller, shop: ShopOfCaller) -> Shop:
    if caller.role_in(shop.id) != "owner":
        raise Problem(403, "Forbidden", "Connecting and removing sales channels needs the owner role.")
    return shop


OwnedShop = Annotated[Shop, Depends(_owned_shop)]


async def _signin_throttle() -> SigninThrottle:
    # async, so it runs on the request's event loop: a sync dependency runs in a worker thread,
    # where redis_client() cannot see the loop and would hand out a client of another loop
    return SigninThrottle(redis_client(), get_settings())


SigninThrottleDep = Annotated[SigninThrottle, Depends(_signin_throttle)]


async def _temporal() -> Client:
    try:
        return await connect()
    except Exception as exc:  # connection refused, DNS, TLS
        raise Problem(
            503, "Workflow engine unavailable", f"Temporal is not reachable: {exc}"
        ) from exc


TemporalDep = Annotated[Client, Depends(_temporal)]
