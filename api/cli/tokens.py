"""Personal API tokens from the command line: list, create, revoke (one or all of a user's)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TypeVar

import typer
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.services import audit_log, tokens
from db.engine import rows_touched, session_factory
from db.models import User

app = typer.Typer(no_args_is_help=True)
T = TypeVar("T")


def _run(work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    async def _in_session() -> T:
        async with session_factory()() as session:
            return await work(session)

    return asyncio.run(_in_session())


async def _user(session: AsyncSession, email: str) -> User:
    user = (
        await session.execute(select(User).where(func.lower(User.email) == email.strip().lower()))
    ).scalar_one_or_none()
    if user is None:
        typer.echo(f"no user {email!r}: see `shopops user create`", err=True)
        raise typer.Exit(2)
    return user


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment else "-"


@app.command("list")
def list_tokens(email: str) -> None:
    """A user's tokens: id, state, name, created, last used, expires."""

    async def work(session: AsyncSession) -> None:
        user, now = await _user(session, email), datetime.now(UTC)
        for row in await tokens.of_user(session, user.id):
            typer.echo(
                f"{row.id}\t{tokens.state_of(row, now)}\t{row.name}\t{_when(row.created_at)}"
                f"\t{_when(row.last_used_at)}\t{_when(row.expires_at)}"
            )

    _run(work)


@app.command("create")
def create(
    email: str,
    name: str = typer.Option(..., help="What the token is for, e.g. 'stock export script'."),
    days: int = typer.Option(
        None, min=1, max=3650, help="Valid for this many days (default: until revoked)."
    ),
) -> None:
    """Create a token for a user and print it (the only time it is shown)."""

    async def work(session: AsyncSession) -> str:
        user = await _user(session, email)
        row, token = await tokens.create(session, user.id, name, days, datetime.now(UTC))
        await audit_log.record(
            "token.create",
            success=True,
            user_id=user.id,
            email=user.email,
            detail={"token_id": row.id, "name": name, "days": days, "via": "cli"},
            session=session,
        )
        await session.commit()
        return token

    typer.echo(_run(work))


@app.command("revoke")
def revoke(token_id: int) -> None:
    """Revoke one token by id (any user's)."""

    async def work(session: AsyncSession) -> None:
        row = await tokens.revoke(session, token_id, datetime.now(UTC))
        if row is None:
            typer.echo(f"no API token {token_id}", err=True)
            raise typer.Exit(2)
        await audit_log.record(
            "token.revoke",
            success=True,
            user_id=row.user_id,
            detail={"token_id": row.id, "name": row.name, "via": "cli"},
            session=session,
        )
        await session.commit()
        typer.echo(f"token {row.id} ({row.name}) revoked")

    _run(work)


@app.command("revoke-all")
def revoke_all(email: str) -> None:
    """Revoke every live token of a user (a leaked laptop, a person leaving)."""

    async def work(session: AsyncSession) -> int:
        user = await _user(session, email)
        revoked = await rows_touched(session, tokens.revoke_all(user.id, datetime.now(UTC)))
        await audit_log.record(
            "token.revoke",
            success=True,
            user_id=user.id,
            email=user.email,
            detail={"all": True, "revoked": revoked, "via": "cli"},
            session=session,
        )
        await session.commit()
        return revoked

    typer.echo(f"{_run(work)} token(s) revoked")
