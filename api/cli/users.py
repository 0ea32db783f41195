"""Create users and grant them shops."""

from __future__ import annotations

from datetime import UTC, datetime

import typer
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from api.security import hash_password, verify_password
from api.services.tokens import revoke_all
from db.engine import sync_engine
from db.models import Shop, ShopMembership, User, UserSession

app = typer.Typer(no_args_is_help=True)


def ensure_user(
    session: Session, email: str, password: str, *, role: str = "member", name: str | None = None
) -> User:
    """Create the user or reset its password and role (idempotent, used by `make run`).

    A password that really changes revokes the user's API tokens and ends their sessions,
    as a change in the UI does; the same password again changes nothing."""
    user = session.execute(select(User).where(User.email == email)).scalar_one_or_none()
    if user is None:
        user = User(
            email=email, display_name=name or email.split("@")[0], password_hash="", role=role
        )
        session.add(user)
        user.password_hash = hash_password(password)
    elif not verify_password(user.password_hash, password):
        session.execute(revoke_all(user.id, datetime.now(UTC)))
        session.execute(delete(UserSession).where(UserSession.user_id == user.id))
        user.password_hash = hash_password(password)
    user.role = role
    session.flush()
    return user


@app.command("create")
def create(
    email: str,
    password: str = typer.Option(..., prompt=True, hide_input=True),
    admin: bool = typer.Option(False, help="Give the admin role (sees every shop)."),
    name: str = typer.Option(None),
) -> None:
    """Create a user (or reset its password)."""
    with Session(sync_engine()) as session:
        user = ensure_user(session, email, password, role="admin" if admin else "member", name=name)
        session.commit()
        typer.echo(f"user {user.id} {user.email} ({user.role})")


@app.command("grant")
def grant(email: str, eshop_id: int, role: str = typer.Option("manager")) -> None:
    """Let a user see a shop (by Shoptet eshop id) with a role: viewer, manager or owner."""
    if role not in ("viewer", "manager", "owner"):
        raise typer.BadParameter("role must be viewer, manager or owner")
    with Session(sync_engine()) as session:
        user = session.execute(select(User).where(User.email == email)).scalar_one_or_none()
        shop = session.execute(select(Shop).where(Shop.eshop_id == eshop_id)).scalar_one_or_none()
        if user is None or shop is None:
            typer.echo(f"no user {email!r} or no shop with eshop id {eshop_id}", err=True)
            raise typer.Exit(2)
        session.merge(ShopMembership(user_id=user.id, shop_id=shop.id, role=role))
        session.commit()
        typer.echo(f"{email} is {role} of shop {shop.id} ({shop.name})")
