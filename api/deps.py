"""Named FastAPI dependencies: the database session, the caller and their shops, Temporal.

Every route that takes a shop goes through `ShopOfCaller`, so scoping to the caller's shops
is written once, here, and never per route.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import Depends, Path, Request
from sqlalchemy import ScalarSelect, func, select, text, update
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
    memberships: dict[int, str] = field(default_factory=dict[int, str])  # shop_id -> role

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


# A token's `last_used_at` is written at most once a minute: a write and a commit on every
# request was a third of an API call's database work, for a figure shown to the minute.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def _memberships() -> ScalarSelect[Any]:
    """The user's shop memberships as one JSON object {shop_id: role}, read in the same query
    as the user (one round trip, not two)."""
    return (
        select(func.coalesce(func.jsonb_object_agg(ShopMembership.shop_id, ShopMembership.role), text("'{}'::jsonb")))
        .where(ShopMembership.user_id == User.id)
        .scalar_subquery()
    )


async def user_from_request(request: Request, session: AsyncSession) -> tuple[User, dict[int, str]] | None:
    """The signed-in user and their memberships, from a Bearer token or the session cookie."""
    now = datetime.now(UTC)
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        digest = token_hash(auth[7:].strip())
        row = (
            await session.execute(
                select(User, ApiToken.id, ApiToken.last_used_at, _memberships())
                .join(ApiToken, ApiToken.user_id == User.id)
                .where(ApiToken.token_hash == digest, ApiToken.revoked_at.is_(None))
                .where((ApiToken.expires_at.is_(None)) | (ApiToken.expires_at > now))
            )
        ).first()
        if row is None:
            return None
        user, token_id, last_used, memberships = row
        if last_used is None or now - last_used >= LAST_USED_RESOLUTION:
            await session.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=now))
            await session.commit()
        return user, _shop_roles(memberships)
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        found = (
            await session.execute(
                select(User, _memberships())
                .join(UserSession, UserSession.user_id == User.id)
                .where(UserSession.token_hash == token_hash(cookie), UserSession.expires_at > now)
            )
        ).first()
        if found is not None:
            user, memberships = found
            return user, _shop_roles(memberships)
    return None


def _shop_roles(memberships: Any) -> dict[int, str]:
    return {int(shop_id): str(role) for shop_id, role in dict(memberships or {}).items()}


async def _caller(request: Request, session: SessionDep) -> Caller:
    found = await user_from_request(request, session)
    if found is None or not found[0].is_active:
        raise Problem(401, "Not signed in", "Sign in, or send a valid API token as a Bearer token.")
    user, memberships = found
    caller = Caller(user=user, memberships=memberships)
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
