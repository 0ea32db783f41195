"""Sign in and out (session cookie plus its CSRF cookie), who am I, the password, and personal
API tokens for scripts (named, expiring, listed, revocable; all revoked with a password change)."""

from __future__ import annotations

import asyncio
import math
from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy import delete, func, select

from api.common.params import ShortText, Text
from api.deps import SESSION_COOKIE, CurrentCaller, SessionDep, SigninThrottleDep
from api.problems import Problem
from api.security import (
    csrf_token,
    dummy_password_hash,
    hash_password,
    new_token,
    token_hash,
    verify_password,
)
from api.services import audit_log as audit
from api.services import tokens
from api.services.tokens import TokenInfo
from api.web_security import CSRF_COOKIE
from db.config import get_settings
from db.engine import rows_touched
from db.models import Shop, ShopMembership, User, UserSession

router = APIRouter(prefix="/api/auth", tags=["auth"])
SESSION_DAYS = 14


class LoginIn(BaseModel):
    email: ShortText = Field(min_length=3, max_length=320)
    password: Text = Field(min_length=1, max_length=1000)


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
    name: ShortText = Field(min_length=1, max_length=100)
    days: int | None = Field(
        None, ge=1, le=3650, description="Valid for this many days; none = until revoked"
    )


class TokenOut(BaseModel):
    id: int
    name: str
    token: str
    expires_at: datetime | None


class PasswordIn(BaseModel):
    current_password: Text = Field(min_length=1, max_length=1000)
    new_password: Text = Field(min_length=10, max_length=1000)


def _set_session_cookies(response: Response, request: Request, token: str) -> None:
    """The session cookie (HttpOnly) and its CSRF token (readable by our pages' script)."""
    secure = get_settings().secure_cookies or request.url.scheme == "https"
    for name, value, httponly in (
        (SESSION_COOKIE, token, True),
        (CSRF_COOKIE, csrf_token(token), False),
    ):
        response.set_cookie(
            name,
            value,
            httponly=httponly,
            samesite="lax",
            secure=secure,
            max_age=SESSION_DAYS * 86400,
        )


async def _new_session(
    session: SessionDep, user: User, response: Response, request: Request
) -> None:
    token = new_token()
    session.add(
        UserSession(
            token_hash=token_hash(token),
            user_id=user.id,
            expires_at=datetime.now(UTC) + timedelta(days=SESSION_DAYS),
        )
    )
    _set_session_cookies(response, request, token)


def _locked_out(wait: float) -> Problem:
    seconds = math.ceil(wait)
    return Problem(
        429,
        "Too many sign-in attempts",
        f"Sign-in is paused after repeated failures; try again in {seconds} s.",
        headers={"Retry-After": str(seconds)},
        retry_after=seconds,
    )


@router.post(
    "/login",
    responses={
        401: {"description": "Wrong e-mail or password"},
        429: {"description": "Locked out for a while"},
    },
)
async def login(
    body: LoginIn,
    request: Request,
    session: SessionDep,
    response: Response,
    throttle: SigninThrottleDep,
) -> MeOut:
    """Unknown and known e-mails cost the same (one argon2 verification each) and count the same
    towards a lockout, so neither the answer, its time nor the lockout tells which exist."""
    email, ip = body.email.strip().lower(), audit.client_ip(request)
    if wait := await throttle.locked_for(email, ip):
        await audit.record("signin.locked", success=False, email=email, ip=ip, session=session)
        await session.commit()
        raise _locked_out(wait)
    user = (
        await session.execute(select(User).where(func.lower(User.email) == email))
    ).scalar_one_or_none()
    # argon2 takes ~0.1 s of CPU: in a thread, so a burst of sign-ins does not stall other requests
    matches = await asyncio.to_thread(
        verify_password, user.password_hash if user else dummy_password_hash(), body.password
    )
    if user is None or not user.is_active or not matches:
        lockout = await throttle.failed(email, ip)
        await audit.record(
            "signin.failure",
            success=False,
            user_id=user.id if user else None,
            email=email,
            ip=ip,
            detail={"lockout_seconds": lockout} if lockout else {},
            session=session,
        )
        await session.commit()
        raise Problem(401, "Sign-in failed", "Wrong e-mail or password.")
    await throttle.succeeded(email)
    await _new_session(session, user, response, request)
    await audit.record(
        "signin.success", success=True, user_id=user.id, email=email, ip=ip, session=session
    )
    await session.commit()
    return await _me(session, user)


@router.post("/logout", status_code=204)
async def logout(caller: CurrentCaller, session: SessionDep, response: Response) -> None:
    """Ends every browser session of the user; API tokens stay (revoke them on the tokens page)."""
    await session.execute(delete(UserSession).where(UserSession.user_id == caller.user.id))
    await session.commit()
    response.delete_cookie(SESSION_COOKIE)
    response.delete_cookie(CSRF_COOKIE)


@router.get("/me")
async def me(
    caller: CurrentCaller, session: SessionDep, request: Request, response: Response
) -> MeOut:
    # Re-issue the CSRF cookie for a session signed in before it existed (or whose cookie was cleared).
    if (cookie := request.cookies.get(SESSION_COOKIE)) and CSRF_COOKIE not in request.cookies:
        _set_session_cookies(response, request, cookie)
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


@router.post("/password", status_code=204)
async def change_password(
    body: PasswordIn,
    caller: CurrentCaller,
    session: SessionDep,
    request: Request,
    response: Response,
    throttle: SigninThrottleDep,
) -> None:
    """A new password revokes every API token and ends every session; this browser gets a new one.
    Wrong current passwords count towards the sign-in lockout (a stolen session must not become
    a way to guess the password)."""
    user, now = caller.user, datetime.now(UTC)
    ip = audit.client_ip(request)
    if wait := await throttle.locked_for(user.email, ip):
        raise _locked_out(wait)
    if not await asyncio.to_thread(verify_password, user.password_hash, body.current_password):
        await throttle.failed(user.email, ip)
        await audit.record(
            "password.change",
            success=False,
            user_id=user.id,
            email=user.email,
            ip=ip,
            session=session,
        )
        await session.commit()
        raise Problem(403, "Wrong password", "The current password is wrong; nothing was changed.")
    user.password_hash = hash_password(body.new_password)
    revoked = await rows_touched(session, tokens.revoke_all(user.id, now))
    await session.execute(delete(UserSession).where(UserSession.user_id == user.id))
    await _new_session(session, user, response, request)
    await audit.record(
        "password.change",
        success=True,
        user_id=user.id,
        email=user.email,
        ip=ip,
        detail={"tokens_revoked": revoked},
        session=session,
    )
    await session.commit()


@router.get("/tokens")
async def list_tokens(caller: CurrentCaller, session: SessionDep) -> list[TokenInfo]:
    """The caller's tokens, newest first, revoked and expired ones included (never the token)."""
    now = datetime.now(UTC)
    return [tokens.info(row, now) for row in await tokens.of_user(session, caller.user.id)]


@router.post("/tokens", status_code=201)
async def create_token(
    body: TokenIn, caller: CurrentCaller, session: SessionDep, request: Request
) -> TokenOut:
    """The token is in this answer only; the server keeps its hash."""
    row, token = await tokens.create(
        session, caller.user.id, body.name, body.days, datetime.now(UTC)
    )
    await audit.record(
        "token.create",
        success=True,
        user_id=caller.user.id,
        email=caller.user.email,
        ip=audit.client_ip(request),
        detail={"token_id": row.id, "name": row.name, "days": body.days},
        session=session,
    )
    await session.commit()
    return TokenOut(id=row.id, name=row.name, token=token, expires_at=row.expires_at)


@router.delete("/tokens/{token_id}")
async def revoke_token(
    token_id: Annotated[int, Path(ge=1, le=2**63 - 1)],
    caller: CurrentCaller,
    session: SessionDep,
    request: Request,
) -> TokenInfo:
    """Revoke one of the caller's tokens; at once, for every process (it is looked up per call)."""
    now = datetime.now(UTC)
    row = await tokens.revoke(session, token_id, now, user_id=caller.user.id)
    if row is None:
        raise Problem(404, "Token not found", f"You have no API token {token_id}.")
    await audit.record(
        "token.revoke",
        success=True,
        user_id=caller.user.id,
        email=caller.user.email,
        ip=audit.client_ip(request),
        detail={"token_id": row.id, "name": row.name},
        session=session,
    )
    await session.commit()
    return tokens.info(row, now)


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
