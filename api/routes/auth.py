"""Sign in and out (session cookie), who am I, and personal API tokens for scripts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Literal

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field
from sqlalchemy import delete, func, select

from api.deps import SESSION_COOKIE, CurrentCaller, SessionDep
from api.problems import Problem
from api.security import new_token, token_hash, verify_password
from db.models import ApiToken, Shop, ShopMembership, User, UserSession

router = APIRouter(prefix="/api/auth", tags=["auth"])
SESSION_DAYS = 14


class LoginIn(BaseModel):
    email: str = Field(min_length=3, max_length=320)
    password: str = Field(min_length=1)


class ShopBrief(BaseModel):
    id: int
    name: str
    eshop_id: int
    role: str


class MeOut(BaseModel):
    id: int
    email: str
    display_name: str
    role: str
    locale: str
    shops: list[ShopBrief]


class ProfileIn(BaseModel):
    locale: Literal["cs", "en"]


class TokenIn(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    days: int | None = Field(None, ge=1, le=3650)


class TokenOut(BaseModel):
    id: int
    name: str
    token: str


@router.post("/login")
async def login(body: LoginIn, session: SessionDep, response: Response) -> MeOut:
    user = (
        await session.execute(select(User).where(func.lower(User.email) == body.email.lower()))
    ).scalar_one_or_none()
    if user is None or not user.is_active or not verify_password(user.password_hash, body.password):
        raise Problem(401, "Sign-in failed", "Wrong e-mail or password.")
    token = new_token()
    session.add(
        UserSession(
            token_hash=token_hash(token),
            user_id=user.id,
            expires_at=datetime.now(UTC) + timedelta(days=SESSION_DAYS),
        )
    )
    await session.commit()
    response.set_cookie(
        SESSION_COOKIE, token, httponly=True, samesite="lax", max_age=SESSION_DAYS * 86400
    )
    return await _me(session, user)


@router.post("/logout", status_code=204)
async def logout(caller: CurrentCaller, session: SessionDep, response: Response) -> None:
    await session.execute(delete(UserSession).where(UserSession.user_id == caller.user.id))
    await session.commit()
    response.delete_cookie(SESSION_COOKIE)


@router.get("/me")
async def me(caller: CurrentCaller, session: SessionDep) -> MeOut:
    return await _me(session, caller.user)


@router.patch("/me")
async def update_me(body: ProfileIn, caller: CurrentCaller, session: SessionDep) -> MeOut:
    """The language switch saves here, so the next sign-in on any device starts in it."""
    user = await session.get(User, caller.user.id)
    if user is None:
        raise Problem(401, "Not signed in", "The signed-in user no longer exists; sign in again.")
    user.locale = body.locale
    await session.commit()
    return await _me(session, user)


@router.post("/tokens", status_code=201)
async def create_token(body: TokenIn, caller: CurrentCaller, session: SessionDep) -> TokenOut:
    token = new_token()
    expires = datetime.now(UTC) + timedelta(days=body.days) if body.days else None
    row = ApiToken(
        user_id=caller.user.id, name=body.name, token_hash=token_hash(token), expires_at=expires
    )
    session.add(row)
    await session.commit()
    return TokenOut(id=row.id, name=row.name, token=token)


async def _me(session: SessionDep, user: User) -> MeOut:
    if user.role == "admin":
        shops = (await session.execute(select(Shop).order_by(Shop.id))).scalars().all()
        briefs = [ShopBrief(id=s.id, name=s.name, eshop_id=s.eshop_id, role="owner") for s in shops]
    else:
        rows = await session.execute(
            select(Shop, ShopMembership.role)
            .join(ShopMembership, ShopMembership.shop_id == Shop.id)
            .where(ShopMembership.user_id == user.id)
            .order_by(Shop.id)
        )
        briefs = [
            ShopBrief(id=s.id, name=s.name, eshop_id=s.eshop_id, role=role) for s, role in rows
        ]
    return MeOut(
        id=user.id,
        email=user.email,
        display_name=user.display_name,
        role=user.role,
        locale=user.locale,
        shops=briefs,
    )
